/**
 * `explainAccess` (db/explain/explain.ts) on the demo seed: each verdict names the policy and arm that let a row
 * through, or the rule that stopped it, evaluated in the database as the persona; and the verdict is what happens
 * when the persona really reads or updates the row.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, type PoolClient } from "pg";
import { applySql, explainAccess, type ExplainRequest, type Explanation } from "../../db";
import { DEMO_ROWS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing";
import { configSource, runCli } from "../cli/cli";
import { column, openCrmDatabase, persona } from "../crm/crm-database";

let crm: AppTestDatabase;
let owner: PoolClient;
let folder: string;
let config: string;

beforeAll(async () => {
  crm = await openCrmDatabase();
  owner = await crm.db.pool.connect();
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-explain-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
});
afterAll(async () => {
  owner?.release();
  await rm(folder, { recursive: true, force: true });
  await crm?.close();
});

const explain = (request: ExplainRequest): Promise<Explanation> => explainAccess(owner, crm.app, request);

/** The only role's explanation. */
async function only(request: ExplainRequest) {
  const explanation = await explain(request);
  expect(explanation.roles).toHaveLength(1);
  return explanation.roles[0]!;
}

/** Labels of the arms of the stage's permissive policy that pass. */
const passingArms = (role: Awaited<ReturnType<typeof only>>, stage = 0) =>
  role.stages[stage]!.permissive.flatMap((p) => (p.arms ?? []).filter((a) => a.passes).map((a) => `${p.name}: ${a.label}`));

const exists = (table: string, id: number) =>
  crm.root(async (c) => (await c.query(`select 1 from crm.${table} where id = $1`, [id])).rowCount === 1);

test("rita sees her own customer 2 because of own(owner_id) in sales_rep__select, and every restriction passes", async () => {
  const role = await only({ user: "rita", table: "customers", row: "2" });
  expect(role).toMatchObject({ role: "sales_rep", identity: "4", privilege: true, rowSecurity: "on", allowed: true, drift: [] });
  expect(passingArms(role)).toEqual(["sales_rep__select: own(owner_id)"]);
  expect(role.stages[0]!.restrictive.map((r) => [r.name, r.passes])).toEqual([
    ["restrict__archived__sales_rep", true],
    ["restrict__soft_deleted__sales_rep", true],
    ["restrict__vip__sales_rep", true],
  ]);
  expect(role.answer).toBe(
    "rita can see customers 2 as sales_rep because it passes sales_rep__select through own(owner_id): rows they own (owner_id), and no restriction stops it",
  );
});

test("rita cannot see her teammate rick's customer 4 (which exists): no arm of sales_rep__select passes", async () => {
  expect(await exists("customers", 4)).toBe(true);
  const role = await only({ user: "rita", table: "customers", row: "4" });
  expect(role.allowed).toBe(false);
  expect(passingArms(role)).toEqual([]);
  expect(role.stages[0]!.permissive[0]!.arms!.map((a) => a.label)).toEqual([
    "own(owner_id)",
    "pool(owner_id)",
    "granted(id)",
    "member(id, open_project_customers)",
  ]);
  expect(role.answer).toBe(
    "rita cannot see customers 4 as sales_rep because no arm of sales_rep__select passes (own(owner_id), pool(owner_id), granted(id), member(id, open_project_customers)) for the row",
  );
});

test("a pool customer passes through the pool arm, a granted one through the granted arm, an open project's through the member arm", async () => {
  expect(passingArms(await only({ user: "rita", table: "customers", row: String(DEMO_ROWS.poolCustomers[0]) }))).toEqual([
    "sales_rep__select: pool(owner_id)",
  ]);
  expect(passingArms(await only({ user: "rick", table: "customers", row: String(DEMO_ROWS.grantedCustomer) }))).toEqual([
    "sales_rep__select: granted(id)",
  ]);
  expect(passingArms(await only({ user: "rita", table: "customers", row: String(DEMO_ROWS.openProjectCustomer) }))).toEqual([
    "sales_rep__select: member(id, open_project_customers)",
  ]);
  // an expired grant opens nothing
  expect((await only({ user: "rick", table: "customers", row: String(DEMO_ROWS.expiredGrantCustomer) })).allowed).toBe(false);
});

test("sam, a supervisor, sees rick's customer 4 through his unit tree, but the VIP customer 1 (which exists) is stopped by the vip restriction", async () => {
  expect(passingArms(await only({ user: "sam", table: "customers", row: "4" }))).toEqual([
    "supervisor__select: unitTree(unit_id)",
  ]);
  expect(await exists("customers", DEMO_ROWS.vipCustomer)).toBe(true);
  const role = await only({ user: "sam", table: "customers", row: String(DEMO_ROWS.vipCustomer) });
  expect(role.allowed).toBe(false);
  expect(role.stages[0]!.restrictive.filter((r) => !r.passes).map((r) => [r.name, r.restriction])).toEqual([
    ["restrict__vip__supervisor", { name: "vip", words: "hides rows matching tier is 'vip', unless rows they own (owner_id)" }],
  ]);
  expect(role.answer).toBe(
    "sam cannot see customers 1 as supervisor because restriction vip (policy restrict__vip__supervisor) stops it: it hides rows matching tier is 'vip', unless rows they own (owner_id), although it passes supervisor__select through unitTree(unit_id): rows of their unit and its sub-units (unit_id)",
  );
});

test("a soft-deleted customer (which exists) is stopped by the soft_deleted restriction", async () => {
  expect(await exists("customers", DEMO_ROWS.deletedCustomer)).toBe(true);
  const role = await only({ user: "sam", table: "customers", row: String(DEMO_ROWS.deletedCustomer) });
  expect(role.allowed).toBe(false);
  expect(role.stages[0]!.restrictive.filter((r) => !r.passes).map((r) => r.restriction?.name)).toEqual(["soft_deleted"]);
});

test("olga is frozen: the database knows no user for her, so nothing passes, and the answer says so", async () => {
  const explanation = await explain({ user: "olga", table: "customers", row: String(DEMO_ROWS.olgaCustomers[0]) });
  expect(explanation.user).toEqual({ username: "olga", id: "17", status: "frozen", active: false });
  const role = explanation.roles[0]!;
  expect(role).toMatchObject({ identity: null, allowed: false });
  // her own customer: the own arm alone would pass, the policy's guard (a known, active user) does not
  expect(role.stages[0]!.permissive[0]!.passes).toBe(false);
  expect(role.answer).toBe(
    "olga cannot see customers 19 as sales_rep because the database knows no active user olga holding sales_rep (status frozen), and every policy asks for one",
  );
});

test("rita may update her customer 2 but not its tier: no UPDATE grant on tier", async () => {
  const role = await only({ user: "rita", table: "customers", row: "2", command: "update", column: "tier" });
  expect(role.stages.map((s) => [s.policies, s.clause, s.passes])).toEqual([
    ["select", "using", true],
    ["update", "using", true],
    ["update", "with check", true],
  ]);
  expect(role.columns).toEqual([{ column: "tier", select: "granted", insert: false, update: false }]);
  expect(role.answer).toBe(
    "rita can update customers 2 as sales_rep because it passes sales_rep__update through own(owner_id): rows they own (owner_id), and no restriction stops it; they cannot update tier (no UPDATE grant on tier); triggers on customers also run and may refuse or change it: gatehouse_approval, gatehouse_guard, gatehouse_guard_moved, gatehouse_owner__owner_id",
  );
});

test("ian, an intern, reads a contact's phone only masked, as phone_masked", async () => {
  const role = await only({ user: "ian", table: "contacts", row: "15", column: "phone" });
  expect(role.allowed).toBe(true);
  expect(passingArms(role)).toEqual(["intern__select: via(customer_id, customers, own(owner_id))"]);
  expect(role.columns).toEqual([{ column: "phone", select: "masked", twin: "phone_masked", insert: false, update: false }]);
  expect(role.answer).toMatch(/; they read phone only masked, as phone_masked \(no SELECT grant on phone\)$/);
});

test("rita reads the phone of her own customer's contact raw, and of her open project customer's contact masked: a row-dependent mask", async () => {
  const own = await only({ user: "rita", table: "contacts", row: "4", column: "phone" });
  expect(own.columns).toEqual([
    {
      column: "phone",
      select: "masked",
      twin: "phone_masked",
      byRow: { rows: "rows whose customers row is visible to them and matches: rows they own (owner_id)", raw: true },
      insert: true,
      update: true,
    },
  ]);
  expect(own.answer).toMatch(/they read phone raw on rows whose customers row .* and masked elsewhere .*; on this row raw$/);
  const borrowed = await only({ user: "rita", table: "contacts", row: "12", column: "phone" });
  expect(borrowed.allowed).toBe(true);
  expect(borrowed.columns[0]!.byRow).toEqual({ rows: own.columns[0]!.byRow!.rows, raw: false });
  expect(borrowed.answer).toMatch(/; on this row masked$/);
});

test("insert: rita may insert a row like her customer 2 (own and unit); delete: she holds no DELETE privilege on customers", async () => {
  const insert = await only({ user: "rita", table: "customers", row: "2", command: "insert" });
  expect(insert.stages.map((s) => [s.policies, s.clause])).toEqual([["insert", "with check"]]);
  expect(passingArms(insert)).toEqual(["sales_rep__insert: and(own(owner_id), unit(unit_id))"]);
  expect(insert.allowed).toBe(true);
  const del = await only({ user: "rita", table: "customers", row: "2", command: "delete" });
  expect(del).toMatchObject({ privilege: false, allowed: false });
  expect(del.answer).toBe("rita cannot delete customers 2 as sales_rep because sales_rep holds no DELETE privilege on customers");
});

test("sam may delete rick's customer 4 by row security; the answer names the triggers that still run (the approval gate, the soft delete)", async () => {
  const explanation = await explain({ user: "sam", table: "customers", row: "4", command: "delete" });
  expect(explanation.triggers).toEqual(["gatehouse_approval", "gatehouse_soft_delete"]);
  expect(explanation.answer).toBe(
    "sam can delete customers 4 as supervisor because it passes supervisor__delete through unitTree(unit_id): rows of their unit and its sub-units (unit_id), and no restriction stops it; triggers on customers also run and may refuse or change it: gatehouse_approval, gatehouse_soft_delete",
  );
});

test("delete: rita's sales_rep role has no delete policy on contacts, and says so", async () => {
  const role = await only({ user: "rita", table: "contacts", row: "3", command: "delete" });
  expect(role.allowed).toBe(false);
  expect(role.stages.map((s) => [s.policies, s.permissive.length])).toEqual([
    ["select", 1],
    ["delete", 0],
  ]);
});

test("an update stopped by an and() arm names the failing part: rita's draft-only quote rule on a submitted quote", async () => {
  const quote = await crm.root(async (c) =>
    column<number>(
      c,
      "select q.id::int from crm.quotes q join crm.customers c on c.id = q.customer_id where c.owner_id = 4 and q.status <> 'draft' order by q.id limit 1",
    ),
  );
  expect(quote).toHaveLength(1);
  const role = await only({ user: "rita", table: "quotes", row: String(quote[0]), command: "update" });
  expect(role.allowed).toBe(false);
  expect(role.answer).toMatch(
    /no arm of sales_rep__update passes \(and\(via\(customer_id, customers, own\(owner_id\)\), is\(status, draft\)\) \(fails on is\(status, draft\)\)\)/,
  );
});

test("on the mobile channel lena's update of a signed contract is stopped by the mobile_read_only ban, as the database refuses it", async () => {
  const request: ExplainRequest = { user: "lena", table: "contracts", row: "3", command: "update", column: "legal_status" };
  const web = await only({ ...request, channel: "web" });
  expect(web).toMatchObject({ allowed: true, drift: [] });
  const mobile = await only({ ...request, channel: "mobile" });
  expect(mobile).toMatchObject({ allowed: false, drift: [] });
  expect(mobile.stages.map((s) => [s.clause, s.passes])).toEqual([
    ["using", true],
    ["using", true],
    ["with check", false],
  ]);
  expect(mobile.answer).toMatch(
    /^lena cannot update contracts 3 as legal because restriction mobile_read_only \(policy restrict__mobile_read_only__legal__update\) stops it: it hides every row, unless requests not through mobile, although /,
  );
  const refused = await crm.as(persona("lena", { channel: "mobile" }), (c) =>
    c.query("update crm.contracts set legal_status = legal_status where id = 3").then(
      () => null,
      (error: Error) => error.message,
    ),
  );
  expect(refused).toBe(
    'new row violates row-level security policy "restrict__mobile_read_only__legal__update" for table "contracts"',
  );
});

test("every verdict equals what the persona meets: select the row as them, and update it in a rolled-back transaction", async () => {
  const cases: [string, number][] = [
    ["rita", 2],
    ["rita", 4],
    ["rita", 16],
    ["rick", 8],
    ["sam", 1],
    ["sam", 4],
    ["sam", 21],
    ["olga", 19],
    ["erin", 7],
  ];
  for (const [username, id] of cases) {
    const seen = await crm.as(
      persona(username),
      async (c) => (await c.query("select id from crm.customers where id = $1", [id])).rowCount,
    );
    const select = await only({ user: username, table: "customers", row: String(id) });
    expect([username, id, select.allowed]).toEqual([username, id, seen === 1]);
    const updated = await crm.as(persona(username), async (c) => {
      await c.query("savepoint s");
      try {
        return (await c.query("update crm.customers set name = name where id = $1", [id])).rowCount;
      } catch {
        await c.query("rollback to savepoint s");
        return 0;
      }
    });
    const update = await only({ user: username, table: "customers", row: String(id), command: "update" });
    expect([username, id, "update", update.allowed]).toEqual([username, id, "update", updated === 1]);
  }
});

test("through the authenticator's own login (no superuser needed to act as the user) the verdict is the same", async () => {
  const asUser = new Client({ connectionString: crm.authenticatorUrl });
  await asUser.connect();
  try {
    const explanation = await explainAccess(owner, crm.app, { user: "rita", table: "customers", row: "2" }, { asUser });
    expect(explanation.roles[0]!.allowed).toBe(true);
    expect(passingArms(explanation.roles[0]!)).toEqual(["sales_rep__select: own(owner_id)"]);
  } finally {
    await asUser.end();
  }
});

test("a hand-altered live policy is trusted for the verdict and reported as drift", async () => {
  await owner.query('alter policy "sales_rep__select" on crm.customers using (true)');
  try {
    const role = await only({ user: "rita", table: "customers", row: "4" });
    expect(role.allowed).toBe(true);
    expect(role.drift).toEqual([
      "the live policy sales_rep__select differs from the definitions: it passes this row, their arms fail it",
    ]);
    expect(role.answer).toMatch(/\(the live policies differ from the definitions: run gatehouse check\)$/);
  } finally {
    await applySql(owner, crm.compiled.sql);
  }
  expect((await only({ user: "rita", table: "customers", row: "4" })).allowed).toBe(false);
});

test("a user holding two roles gets one explanation per role, and --role picks one", async () => {
  await owner.query("insert into crm.user_roles (user_id, role) values (4, 'intern')");
  try {
    const both = await explain({ user: "rita", table: "customers", row: String(DEMO_ROWS.poolCustomers[0]) });
    expect(both.roles.map((r) => [r.role, r.allowed])).toEqual([
      ["intern", false],
      ["sales_rep", true],
    ]);
    expect(both.answer.split("\n")).toEqual([
      "rita cannot see customers 16 as intern because no arm of intern__select passes (own(owner_id)) for the row",
      "rita can see customers 16 as sales_rep because it passes sales_rep__select through pool(owner_id): the unowned pool (owner_id is null), and no restriction stops it",
    ]);
    const one = await explain({ user: "rita", table: "customers", row: "16", role: "intern" });
    expect(one.roles.map((r) => r.role)).toEqual(["intern"]);
  } finally {
    await owner.query("delete from crm.user_roles where user_id = 4 and role = 'intern'");
  }
});

test("with row level security off on the table, the answer says so and no policy is needed", async () => {
  await owner.query("alter table crm.customers disable row level security");
  try {
    const role = await only({ user: "rita", table: "customers", row: "4" });
    expect(role).toMatchObject({ rowSecurity: "off", allowed: true });
    expect(role.answer).toBe(
      "rita can see customers 4 as sales_rep because row level security is off on customers for sales_rep",
    );
  } finally {
    await applySql(owner, crm.compiled.sql);
  }
});

test("when the definitions no longer compile against the schema, the live policies still decide, without arms, and a note says why", async () => {
  await owner.query("alter table crm.partner_shares rename column expires_at to ends_at");
  try {
    const explanation = await explain({ user: "rita", table: "customers", row: "2" });
    expect(explanation.notes).toEqual([
      expect.stringMatching(/^the definitions do not compile against this database, so policies are not split into arms: /),
    ]);
    const role = explanation.roles[0]!;
    expect(role).toMatchObject({ allowed: true, drift: [] });
    expect(role.stages[0]!.permissive[0]!.arms).toBeUndefined();
    expect(role.answer).toBe(
      "rita can see customers 2 as sales_rep because it passes sales_rep__select, and no restriction stops it",
    );
  } finally {
    await owner.query("alter table crm.partner_shares rename column ends_at to expires_at");
  }
});

test("the json shape: user, table, key, row, command, roles with stages, columns and answer", async () => {
  const explanation = await explain({ user: "rita", table: "customers", row: "2", column: "name" });
  expect(Object.keys(explanation)).toEqual([
    "user",
    "table",
    "key",
    "row",
    "command",
    "column",
    "roles",
    "triggers",
    "notes",
    "answer",
  ]);
  expect(explanation.triggers).toEqual([]);
  expect(Object.keys(explanation.roles[0]!)).toEqual([
    "role",
    "databaseRole",
    "identity",
    "privilege",
    "rowSecurity",
    "stages",
    "columns",
    "allowed",
    "drift",
    "answer",
  ]);
  expect(explanation.roles[0]!.databaseRole).toBe(`${crm.app.rolePrefix}sales_rep`);
  expect(JSON.parse(JSON.stringify(explanation))).toEqual(explanation);
});

test("unknown user, table, column, role and row: errors that name the fix", async () => {
  await expect(explain({ user: "ritaa", table: "customers", row: "2" })).rejects.toThrow(
    'no user "ritaa" in crm.users (did you mean "rita"?)',
  );
  await expect(explain({ user: "rita", table: "customer", row: "2" })).rejects.toThrow(
    /^no table "customer" in schema crm \(did you mean "customers"\?\); its tables are access_grants, /,
  );
  await expect(explain({ user: "rita", table: "customers", row: "2", column: "tierr" })).rejects.toThrow(
    /^no column "tierr" in crm.customers \(did you mean "tier"\?\)/,
  );
  await expect(explain({ user: "rita", table: "customers", row: "2", role: "supervisor" })).rejects.toThrow(
    "rita does not hold supervisor; they hold sales_rep",
  );
  await expect(explain({ user: "rita", table: "customers", row: "999" })).rejects.toThrow("no row of crm.customers has id 999");
  await expect(explain({ user: "rita", table: "customers", row: "abc" })).rejects.toThrow(
    /^row "abc" is not a bigint, the type of customers's key id: /,
  );
  await expect(explain({ user: "rita", table: "project_members", row: "1" })).rejects.toThrow(
    "crm.project_members has a composite primary key (project_id, user_id); explain names a row by a single-column key",
  );
});

const explainCli = (args: string[]) => runCli(["--config", config, "explain", ...args], { DATABASE_URL: crm.db.url });

test("gatehouse explain prints each policy and arm with pass or FAIL, the columns and the answer; --json prints the explanation", async () => {
  const text = await explainCli(["--user", "sam", "--table", "customers", "--row", "1"]);
  expect(text).toMatchObject({ code: 0, stderr: "" });
  expect(text.stdout).toBe(
    [
      "sam (user 3, active): select customers 1 (id = 1)",
      "",
      `as supervisor (${crm.app.rolePrefix}supervisor)`,
      "  identity       user 3",
      "  privilege      pass  on customers for select",
      "  row security   on",
      "  FAIL  select policies, using",
      "      pass  supervisor__select  permissive, for select",
      "            FAIL  arm own(owner_id)  rows they own (owner_id)",
      "            FAIL  arm pool(owner_id)  the unowned pool (owner_id is null)",
      "            pass  arm unitTree(unit_id)  rows of their unit and its sub-units (unit_id)",
      "            FAIL  arm granted(id)  rows granted to them by a live temporary grant",
      "            FAIL  arm member(id, open_project_customers)  rows in open project customers they belong to",
      "      pass  restrict__soft_deleted__supervisor  restriction soft_deleted: hides rows matching deleted_at is set",
      "      FAIL  restrict__vip__supervisor  restriction vip: hides rows matching tier is 'vip', unless rows they own (owner_id)",
      "  columns",
      "    reads      id, name, industry, region, tier, stage, owner_id, unit_id, consent_marketing, last_contacted_at, archived_at, deleted_at, created_at",
      "    no access  deleted_by, deleted_reason",
      "    inserts    name, industry, region, stage, owner_id, unit_id, consent_marketing, last_contacted_at",
      "    updates    name, industry, region, stage, owner_id, consent_marketing, last_contacted_at",
      "  answer  sam cannot see customers 1 as supervisor because restriction vip (policy restrict__vip__supervisor) stops it: it hides rows matching tier is 'vip', unless rows they own (owner_id), although it passes supervisor__select through unitTree(unit_id): rows of their unit and its sub-units (unit_id)",
      "",
    ].join("\n"),
  );
  const json = await explainCli([
    "--user",
    "rita",
    "--table",
    "customers",
    "--row",
    "2",
    "--command",
    "update",
    "--column",
    "tier",
    "--json",
  ]);
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout) as Explanation;
  expect(parsed).toEqual(await explain({ user: "rita", table: "customers", row: "2", command: "update", column: "tier" }));
});

test("gatehouse explain with an unknown user exits 1 and names the nearest", async () => {
  expect(await explainCli(["--user", "ritaa", "--table", "customers", "--row", "2"])).toEqual({
    code: 1,
    stdout: "",
    stderr: 'gatehouse: no user "ritaa" in crm.users (did you mean "rita"?)\n',
  });
});
