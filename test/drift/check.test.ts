import type { PoolClient } from "pg";
import { checkDrift, renderDrift, type DriftItem } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase, persona } from "../crm/crm-database";

// `checkDrift` against a CRM database as the security admin would run it: each kind of drift is made by hand in a
// transaction, checked inside it (checkDrift then works in a savepoint) and rolled back, so the tests are independent.

let crm: AppTestDatabase;
let version: number;
/** A role of this database, prefixed, e.g. `role("sales_rep")` → `t1a2b_crm_sales_rep`. */
const role = (name: string) => `${crm.app.rolePrefix}${name}`;

beforeAll(async () => {
  crm = await openCrmDatabase();
  version = Number((await crm.db.pool.query("select current_setting('server_version_num') as v")).rows[0].v);
});
afterAll(async () => {
  await crm?.close();
});

/** The drift `sqlText` makes, as `checkDrift` reports it inside the same transaction, which is then rolled back. */
async function driftAfter(sqlText: string): Promise<DriftItem[]> {
  const client: PoolClient = await crm.db.pool.connect();
  try {
    await client.query("begin");
    await client.query(sqlText);
    return [...(await checkDrift(client, crm.app)).items];
  } finally {
    await client.query("rollback");
    client.release();
  }
}

/** What an item names, without the long expected and actual texts. */
const named = (items: readonly DriftItem[]) => items.map(({ kind, object, message }) => ({ kind, object, message }));

test("a freshly compiled database has no drift, and every policy, table and masked column was compared", async () => {
  const client = await crm.db.pool.connect();
  try {
    const report = await checkDrift(client, crm.app);
    expect(report.items).toEqual([]);
    const { rows } = await client.query(
      `select (select count(*)::int from pg_policies where schemaname in ('crm', 'gatehouse')) as policies,
              (select count(*)::int from pg_tables where schemaname in ('crm', 'gatehouse')) as tables`,
    );
    expect({ policies: report.compared.policies, tables: report.compared.tables, masked: report.compared.maskedColumns }).toEqual(
      {
        ...rows[0],
        masked: crm.app.masks.length,
      },
    );
    // the check rolled back: the policies it dropped and created again are the same objects as before
    expect((await client.query("select count(*)::int as n from pg_policies where schemaname = 'crm'")).rows[0].n).toBeGreaterThan(
      0,
    );
    expect((await client.query("select pg_catalog.now() <> pg_catalog.statement_timestamp() as open")).rows[0].open).toBe(false);
  } finally {
    client.release();
  }
});

test("the issue's scenario: the rep's select policy opened with using (true) and a stray table grant to sales_rep are both reported", async () => {
  const items = await driftAfter(
    `alter policy sales_rep__select on crm.customers using (true); grant select on crm.customers to "${role("sales_rep")}"`,
  );
  expect(items).toEqual([
    {
      kind: "policy",
      object: "crm.customers policy sales_rep__select",
      message: "policy changed: using differs",
      expected: expect.stringMatching(
        /^as permissive for select to \S+sales_rep\nusing \(\(\(owner_id = \( SELECT gatehouse\.current_user_id/,
      ),
      actual: `as permissive for select to ${role("sales_rep")}\nusing (true)`,
    },
    {
      kind: "privilege",
      object: `select on crm.customers to ${role("sales_rep")}`,
      message: "grant on the whole table: not in the definitions",
      expected: "(none)",
      actual: "granted",
    },
  ]);
});

test("on a terminal the diff is red for what the definitions make and green for what the database has", async () => {
  const items = await driftAfter(`grant select on crm.customers to "${role("sales_rep")}"`);
  const client = await crm.db.pool.connect();
  const { compared } = await checkDrift(client, crm.app).finally(() => client.release());
  expect(renderDrift({ items, compared }, { color: true }).split("\n")).toEqual([
    "drift: 1 difference between the live database and the definitions",
    "",
    "\u001b[1mprivilege\u001b[22m",
    `  select on crm.customers to ${role("sales_rep")}: grant on the whole table: not in the definitions`,
    "\u001b[31m    - (none)\u001b[39m",
    "\u001b[32m    + granted\u001b[39m",
    "",
    "(- as the definitions make it, + as the database has it)",
  ]);
});

test("a check that waits more than 5 s for a table another transaction holds stops, naming the table, and leaves nothing behind", async () => {
  const holder = await crm.db.pool.connect();
  try {
    await holder.query("begin; lock table crm.customers in access share mode");
    const client = await crm.db.pool.connect();
    try {
      await expect(checkDrift(client, crm.app)).rejects.toThrow(
        "check could not lock crm.customers: another transaction holds it; try again",
      );
      expect((await client.query("select pg_catalog.now() <> pg_catalog.statement_timestamp() as open")).rows[0].open).toBe(
        false,
      );
    } finally {
      client.release();
    }
  } finally {
    await holder.query("rollback");
    holder.release();
  }
});

test("policies compare by definition, not by name: a renamed policy is no drift; a dropped restrictive, a stray permissive and changed roles are", async () => {
  expect(await driftAfter("alter policy sales_rep__select on crm.customers rename to rep_reads")).toEqual([]);
  expect(await driftAfter("drop policy restrict__vip__sales_rep on crm.customers")).toEqual([
    {
      kind: "policy",
      object: "crm.customers policy restrict__vip__sales_rep",
      message: "policy missing from the database",
      expected: `as restrictive for all to ${role("sales_rep")}\nusing ((((tier = 'vip'::text) IS NOT TRUE) OR (owner_id = ( SELECT gatehouse.current_user_id(CURRENT_USER) AS current_user_id))))`,
    },
  ]);
  expect(await driftAfter(`create policy quick_fix on crm.customers for select to "${role("intern")}" using (true)`)).toEqual([
    {
      kind: "policy",
      object: "crm.customers policy quick_fix",
      message: "policy not in the definitions",
      actual: `as permissive for select to ${role("intern")}\nusing (true)`,
    },
  ]);
  const widened = await driftAfter(
    `alter policy sales_rep__select on crm.customers to "${role("sales_rep")}", "${role("intern")}"`,
  );
  expect(named(widened)).toEqual([
    { kind: "policy", object: "crm.customers policy sales_rep__select", message: "policy changed: roles differs" },
  ]);
  expect(widened[0]!.actual!.split("\n")[0]).toBe(`as permissive for select to ${role("intern")}, ${role("sales_rep")}`);
});

test("stray grants to a generated role and to PUBLIC, a column grant and a revoked grant are reported, on app and toolkit tables alike", async () => {
  expect(
    await driftAfter(
      `grant select on crm.contracts to public;
       grant select on gatehouse.audit_log to "${role("sales_rep")}";
       grant update (tier) on crm.customers to "${role("sales_rep")}";
       revoke select on crm.contacts from "${role("support")}";`,
    ),
  ).toEqual([
    {
      kind: "privilege",
      object: `select on crm.contacts to ${role("support")}`,
      message: "grant missing from the database",
      expected: "grant on columns: id, customer_id, full_name, phone_masked, email_masked, id_number_masked",
    },
    {
      kind: "privilege",
      object: "select on crm.contracts to PUBLIC",
      message: "grant not in the definitions",
      actual: "grant on the whole table: granted",
    },
    {
      kind: "privilege",
      object: `select on gatehouse.audit_log to ${role("sales_rep")}`,
      message: "grant not in the definitions",
      actual: "grant on the whole table: granted",
    },
    {
      kind: "privilege",
      object: `update on crm.customers to ${role("sales_rep")}`,
      message: "grant on columns changed",
      expected: "name, industry, region, stage, consent_marketing, last_contacted_at",
      actual: "name, industry, region, tier, stage, consent_marketing, last_contacted_at",
    },
  ]);
});

test("superuser, bypassrls and login on app roles, an extra membership and an admin option on the authenticator's are reported", async () => {
  expect(
    await driftAfter(
      `alter role "${role("admin")}" superuser bypassrls;
       alter role "${role("support")}" login;
       grant "${role("admin")}" to "${role("sales_rep")}";
       grant "${role("finance")}" to "${role("authenticator")}" with admin option;`,
    ),
  ).toEqual([
    {
      kind: "role",
      object: role("admin"),
      message: "attributes changed: superuser, bypassrls",
      expected: "nosuperuser noinherit nocreaterole nocreatedb nologin noreplication nobypassrls",
      actual: "superuser noinherit nocreaterole nocreatedb nologin noreplication bypassrls",
    },
    {
      kind: "role",
      object: role("support"),
      message: "attributes changed: login",
      expected: "nosuperuser noinherit nocreaterole nocreatedb nologin noreplication nobypassrls",
      actual: "nosuperuser noinherit nocreaterole nocreatedb login noreplication nobypassrls",
    },
    {
      kind: "membership",
      object: `${role("authenticator")} in ${role("finance")}`,
      message: "membership options differ",
      expected: version >= 160000 ? "member, noinherit, set" : "member",
      actual: version >= 160000 ? "member, with admin option, noinherit, set" : "member, with admin option",
    },
    {
      kind: "membership",
      object: `${role("sales_rep")} in ${role("admin")}`,
      message: "membership not in the definitions",
      actual: version >= 160000 ? "member, noinherit, set" : "member", // a grant inherits as its member does: app roles do not
    },
  ]);
});

test("a masked twin's expression changed is reported with both expressions as PostgreSQL deparses them", async () => {
  const twin = {
    kind: "masked-column",
    object: "crm.contacts.phone_masked",
    message: "expression changed",
    expected: "gatehouse.mask_keep_last(phone, 4)",
    actual: "phone",
  };
  // dropped and added again with the generation's comment: the comment alone would let it pass
  const readded = await driftAfter(
    `alter table crm.contacts drop column phone_masked cascade;
     alter table crm.contacts add column phone_masked text generated always as (phone) stored;
     comment on column crm.contacts.phone_masked is 'gatehouse mask: keep_last(4) of phone';`,
  );
  expect(readded).toContainEqual(twin);
  expect(readded.filter((i) => i.kind === "masked-column")).toEqual([twin]);
  if (version >= 170000)
    expect(await driftAfter("alter table crm.contacts alter column phone_masked set expression as (phone)")).toEqual([twin]);
});

test("a masked twin turned into a plain column stops the check with the compile error that names it", async () => {
  await expect(driftAfter("alter table crm.contacts alter column phone_masked drop expression")).rejects.toThrow(
    'mask contacts.phone: twin "phone_masked" is already an ordinary column of contacts',
  );
});

test("a masking view without security_barrier and with another owner, and a select * view without security_invoker, are reported", async () => {
  expect(
    await driftAfter(
      `alter view crm.marketing_export reset (security_barrier);
       alter view crm.marketing_export owner to current_user;
       alter view crm_sales_rep.customers set (security_invoker = false);`,
    ),
  ).toEqual([
    {
      kind: "view",
      object: "crm.marketing_export",
      message: "options: missing",
      expected: "security_barrier=true",
      actual: "(none)",
    },
    {
      kind: "view",
      object: "crm.marketing_export",
      message: "owner changed",
      expected: role("view_marketing_export"),
      actual: expect.not.stringContaining(crm.app.rolePrefix),
    },
    {
      kind: "view",
      object: "crm_sales_rep.customers",
      message: "options changed",
      expected: "security_invoker=true",
      actual: "security_invoker=false",
    },
  ]);
});

test("NO FORCE and DISABLE row level security are reported per table", async () => {
  expect(
    await driftAfter("alter table crm.contacts no force row level security; alter table crm.quotes disable row level security"),
  ).toEqual([
    {
      kind: "row-security",
      object: "crm.contacts",
      message: "force row level security changed",
      expected: "forced",
      actual: "not forced",
    },
    {
      kind: "row-security",
      object: "crm.quotes",
      message: "row level security changed",
      expected: "enabled",
      actual: "disabled",
    },
  ]);
});

test("a definer function's search_path reset, body replaced, owner changed and EXECUTE granted to PUBLIC are reported", async () => {
  const items = await driftAfter(
    `alter function gatehouse.current_user_id(name) reset search_path;
     create or replace function gatehouse.current_unit_id(acting_role name) returns bigint
       language sql stable security definer set search_path = pg_catalog, pg_temp as $$ select 1::bigint $$;
     alter function gatehouse.current_unit_tree(name) owner to "${role("admin")}";
     grant execute on function gatehouse.granted_rows(name, text, text[]) to public;`,
  );
  expect(named(items)).toEqual([
    {
      kind: "privilege",
      object: "execute on function gatehouse.granted_rows(acting_role name, target text, privileges text[]) to PUBLIC",
      message: "grant not in the definitions",
    },
    { kind: "function", object: "gatehouse.current_unit_id(acting_role name)", message: "body changed" },
    {
      kind: "function",
      object: "gatehouse.current_unit_tree(acting_role name)",
      message: "function owned by a generated role: no app role may own objects of the app (invariant 1)",
    },
    { kind: "function", object: "gatehouse.current_user_id(acting_role name)", message: "settings: missing" },
  ]);
  expect(items[3]).toMatchObject({ expected: "search_path=pg_catalog, pg_temp", actual: "(none)" });
  expect(items[2]).toMatchObject({ actual: `owner ${role("admin")}` });
});

test("an audit trigger disabled, one set to fire on origin only, and one dropped are reported", async () => {
  expect(
    await driftAfter(
      `alter table crm.contacts disable trigger gatehouse_audit;
       alter table crm.contracts enable trigger gatehouse_audit;
       drop trigger gatehouse_audit_statement on crm.quotes;`,
    ),
  ).toEqual([
    {
      kind: "trigger",
      object: "gatehouse_audit on crm.contacts",
      message: "state changed",
      expected: "enabled always",
      actual: "disabled",
    },
    {
      kind: "trigger",
      object: "gatehouse_audit on crm.contracts",
      message: "state changed",
      expected: "enabled always",
      actual: "enabled",
    },
    {
      kind: "trigger",
      object: "gatehouse_audit_statement on crm.quotes",
      message: "trigger missing from the database",
      expected:
        "state: enabled always; definition: CREATE TRIGGER gatehouse_audit_statement BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON crm.quotes FOR EACH STATEMENT EXECUTE FUNCTION gatehouse.audit_statement()",
    },
  ]);
});

test("a role-bound login as gatehouse login create made it is no drift; its timeouts, bypassrls and an extra membership are", async () => {
  const login = await crm.login({ username: "rita", userId: persona("rita").userId, role: "sales_rep" });
  await login.end();
  const name = role("login_rita");
  expect(await driftAfter("select 1")).toEqual([]);
  expect(
    await driftAfter(
      `alter role "${name}" set statement_timeout = 0;
       alter role "${name}" reset idle_in_transaction_session_timeout;
       alter role "${name}" set search_path = crm;
       alter role "${name}" bypassrls;
       grant "${role("admin")}" to "${name}";`,
    ),
  ).toEqual([
    {
      kind: "membership",
      object: `${name} in ${role("admin")}`,
      message: "membership not in the definitions",
      actual: version >= 160000 ? "member, inherit, set" : "member",
    },
    {
      kind: "login",
      object: name,
      message: "attributes differ",
      expected: "nosuperuser inherit nocreaterole nocreatedb login noreplication nobypassrls",
      actual: "nosuperuser inherit nocreaterole nocreatedb login noreplication bypassrls",
    },
    {
      kind: "login",
      object: name,
      message: "idle_in_transaction_session_timeout is not set",
      expected: "idle_in_transaction_session_timeout above 0",
      actual: "not set",
    },
    {
      kind: "login",
      object: name,
      message: "search_path differs",
      expected: "search_path = crm_sales_rep, crm",
      actual: "search_path = crm",
    },
    {
      kind: "login",
      object: name,
      message: "statement_timeout is 0 (no limit)",
      expected: "statement_timeout above 0",
      actual: "statement_timeout = 0",
    },
  ]);
});
