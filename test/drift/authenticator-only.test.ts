/**
 * What the toolkit answers on a connection as the authenticator alone (no owner, no superuser), as the API server
 * holds: `checkGrantDrift` (the drift the catalog shows), `explainOwnRow` (explain of a row the signed-in user can
 * see) and `holdsRole`. Each "cannot" is paired with a root check that the row is there.
 */
import { Client } from "pg";
import { checkGrantDrift, explainOwnRow, holdsRole, roleName } from "../../db";
import { DEMO_ROWS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase, persona } from "../crm/crm-database";

let crm: AppTestDatabase;
let authenticator: Client;

beforeAll(async () => {
  crm = await openCrmDatabase();
  authenticator = new Client({ connectionString: crm.authenticatorUrl });
  await authenticator.connect();
});
afterAll(async () => {
  await authenticator?.end();
  await crm?.close();
});

const root = async (text: string) => (await crm.db.pool.query(text)).rows;
const signedIn = (username: string, role?: string) => {
  const p = persona(username, role ? { role } : {});
  return { role: p.role, userId: String(p.userId), channel: undefined };
};

describe("checkGrantDrift as the authenticator", () => {
  test("a freshly compiled database shows no drift", async () => {
    expect(await checkGrantDrift(authenticator, crm.app)).toEqual([]);
  });

  test("a hand-made column grant, a policy and row security no longer forced each show, in checkDrift's form", async () => {
    const intern = roleName(crm.app, "intern");
    await root(`grant update (stage) on crm.customers to "${intern}"`);
    await root(`create policy hand on crm.quotes for select to "${intern}" using (true)`);
    await root("alter table crm.quotes no force row level security");
    try {
      const items = await checkGrantDrift(authenticator, crm.app);
      expect(items).toEqual([
        {
          kind: "row-security",
          object: "crm.quotes",
          message: "row security changed: it must be enabled and forced",
          expected: "row security enabled, forced",
          actual: "row security enabled, not forced",
        },
        { kind: "policy", object: "crm.quotes policy hand", message: "policy not in the definitions" },
        {
          kind: "privilege",
          object: `update on crm.customers to ${intern}`,
          message: "grant changed: stage not in the definitions",
          actual: "columns stage",
        },
      ]);
    } finally {
      await root(`revoke update (stage) on crm.customers from "${intern}"`);
      await root("drop policy hand on crm.quotes");
      await root("alter table crm.quotes force row level security");
    }
    expect(await checkGrantDrift(authenticator, crm.app)).toEqual([]);
  });
});

describe("explainOwnRow and holdsRole as the authenticator", () => {
  test("rita (sales_rep) is told why she sees her customer 2, through her own role's policy", async () => {
    const why = await explainOwnRow(authenticator, crm.app, signedIn("rita"), { table: "customers", row: "2" });
    expect(why?.roles).toHaveLength(1);
    expect(why!.roles[0]).toMatchObject({ role: "sales_rep", allowed: true, identity: String(persona("rita").userId) });
    expect(why!.answer).toMatch(
      /^user 4 can see customers 2 as sales_rep because it passes sales_rep__select through own\(owner_id\)/,
    );
  });

  test("rita cannot explain rick's customer 5: the same undefined as a row, a key or a table that does not exist (root: customer 5 exists)", async () => {
    expect(await root("select owner_id::int from crm.customers where id = 5")).toEqual([{ owner_id: persona("rick").userId }]);
    const rita = signedIn("rita");
    for (const [table, row] of [
      ["customers", "5"],
      ["customers", "99999"],
      ["customers", "not a number"],
      ["no_such_table", "1"],
    ])
      expect(await explainOwnRow(authenticator, crm.app, rita, { table: table!, row: row! })).toBeUndefined();
  });

  test("analyst, who may not read customers' owner_id, is told so in the notes of an explanation of a row she sees", async () => {
    const ana = signedIn("ana");
    const [row] = (await crm.as(persona("ana"), (c) => c.query<{ id: string }>("select id::text from crm.customers limit 1")))
      .rows;
    const why = await explainOwnRow(authenticator, crm.app, ana, { table: "customers", row: row!.id });
    expect(why?.notes).toEqual([expect.stringMatching(/^analyst may not read .*owner_id.* of this row/)]);
  });

  test("olga (sales_rep, frozen) neither holds her role nor gets an explanation of her own customer (root: she owns it)", async () => {
    const row = DEMO_ROWS.olgaCustomers[0];
    expect(await root(`select owner_id::int from crm.customers where id = ${row}`)).toEqual([
      { owner_id: persona("olga").userId },
    ]);
    const olga = signedIn("olga");
    expect(await holdsRole(authenticator, crm.app, olga)).toBe(false);
    expect(await explainOwnRow(authenticator, crm.app, olga, { table: "customers", row: String(row) })).toBeUndefined();
  });

  test("rita in the admin role, which she does not hold, neither holds it nor gets an explanation (root: she holds sales_rep only)", async () => {
    expect(await root(`select role from crm.user_roles where user_id = ${persona("rita").userId}`)).toEqual([
      { role: "sales_rep" },
    ]);
    const forged = signedIn("rita", "admin");
    expect(await holdsRole(authenticator, crm.app, forged)).toBe(false);
    expect(await explainOwnRow(authenticator, crm.app, forged, { table: "customers", row: "2" })).toBeUndefined();
    expect(await holdsRole(authenticator, crm.app, signedIn("rita"))).toBe(true);
  });
});
