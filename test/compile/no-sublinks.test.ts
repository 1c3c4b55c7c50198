/**
 * `defineApp({ policies: { sublinks: false } })`: the CRM compiled with it into one database and normally into
 * another, both with the demo seed. Every persona, in each of its roles, sees exactly the same rows and values of
 * every table in both, the same writes succeed or fail the same way, and no policy of the first holds a sublink.
 */
import type { PoolClient } from "pg";
import { crm as crmApp } from "../../db/crm/roles";
import { PERSONAS, seedDemo } from "../../db/crm/seed";
import { compileApp, defineApp, introspect, raw, role, sql } from "../../db";
import { createAppDatabase, type AppTestDatabase } from "../../db/testing";
import { CRM_SCHEMA_MIGRATION, CRM_TABLES } from "../crm/crm-database";

const withoutSublinks = Object.freeze({ ...crmApp, policies: Object.freeze({ sublinks: false }) });

let plain: AppTestDatabase;
let flat: AppTestDatabase;
/** Every table and view of schema crm (the views are what some roles read). */
let relations: string[];

beforeAll(async () => {
  [plain, flat] = await Promise.all(
    [crmApp, withoutSublinks].map((app) =>
      createAppDatabase({ app, migrations: [CRM_SCHEMA_MIGRATION], seed: (client) => seedDemo(client) }),
    ),
  );
  relations = await plain.root(async (c) =>
    (
      await c.query<{ name: string }>(
        "select relname::text as name from pg_catalog.pg_class where relnamespace = 'crm'::regnamespace and relkind in ('r', 'v') order by 1",
      )
    ).rows.map((r) => r.name),
  );
  expect(relations).toEqual(expect.arrayContaining([...CRM_TABLES]));
  // the seed sets expiries relative to now(): give the second database the first one's, to compare values exactly
  const expiries = await plain.root(async (c) => ({
    grants: (await c.query("select id, expires_at::text from crm.access_grants")).rows,
    shares: (await c.query("select customer_id, partner_org, expires_at::text from crm.partner_shares")).rows,
  }));
  await flat.db.pool.query(
    `update crm.access_grants g set expires_at = x.expires_at
       from jsonb_to_recordset($1) as x(id bigint, expires_at timestamptz) where g.id = x.id`,
    [JSON.stringify(expiries.grants)],
  );
  await flat.db.pool.query(
    `update crm.partner_shares s set expires_at = x.expires_at
       from jsonb_to_recordset($1) as x(customer_id bigint, partner_org text, expires_at timestamptz)
      where (s.customer_id, s.partner_org) = (x.customer_id, x.partner_org)`,
    [JSON.stringify(expiries.shares)],
  );
});
afterAll(() => Promise.all([plain?.close(), flat?.close()]));

/** Policies of schema crm whose stored expression holds a sublink. */
const sublinkPolicies = (db: AppTestDatabase) =>
  db.root(async (c) => {
    const { rows } = await c.query<{ policy: string }>(
      `select p.polrelid::regclass::text || ' ' || p.polname as policy
         from pg_catalog.pg_policy p join pg_catalog.pg_class t on t.oid = p.polrelid
        where t.relnamespace in ('crm'::regnamespace, 'gatehouse'::regnamespace)
          and (p.polqual::text like '%SUBLINK%' or p.polwithcheck::text like '%SUBLINK%')
        order by 1`,
    );
    return rows.map((r) => r.policy);
  });

/** Columns of a table a role may read (or update), in table order. */
const columnsOf = (db: AppTestDatabase, role: string, table: string, privilege: "select" | "update") =>
  db.root(async (c) => {
    const { rows } = await c.query<{ name: string }>(
      `select a.attname::text as name from pg_catalog.pg_attribute a
        where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
          and pg_catalog.has_column_privilege($2, a.attrelid, a.attnum, $3)
        order by a.attnum`,
      [`crm.${table}`, `${db.app.rolePrefix}${role}`, privilege],
    );
    return rows.map((r) => r.name);
  });

const ident = (name: string) => `"${name}"`;

/** Every row the persona sees of the table, all readable columns as text, sorted; `null` when it may read no column. */
async function visible(db: AppTestDatabase, userId: number, role: string, table: string): Promise<string[] | null> {
  const columns = await columnsOf(db, role, table, "select");
  if (columns.length === 0) return null;
  const list = columns.map(ident).join(", ");
  return db.as({ role, userId, channel: "web" }, async (c: PoolClient) => {
    const { rows } = await c.query<{ row: string }>(`select row(${list})::text as row from crm.${ident(table)} order by 1`);
    return rows.map((r) => r.row);
  });
}

/** The outcome of updating every reachable row of the table (a column set to itself), rolled back. */
async function updateOutcome(db: AppTestDatabase, userId: number, role: string, table: string): Promise<string> {
  const [column] = await columnsOf(db, role, table, "update");
  if (!column) return "no updatable column";
  return db.as({ role, userId, channel: "web" }, async (c: PoolClient) => {
    try {
      const { rowCount } = await c.query(`update crm.${ident(table)} set ${ident(column)} = ${ident(column)}`);
      return `updated ${rowCount} rows (${column})`;
    } catch (error) {
      const e = error as { code?: string; message: string };
      return `failed ${e.code}: ${e.message.replace(new RegExp(db.app.rolePrefix, "g"), "")}`;
    }
  });
}

const cases = PERSONAS.flatMap((p) => p.roles.map((role) => [p.username, role, p.id, p.frozen === true] as const));

test("no policy of the app's or the toolkit's tables holds a sublink under sublinks: false (the normal compile has them)", async () => {
  expect(await sublinkPolicies(flat)).toEqual([]);
  expect((await sublinkPolicies(plain)).length).toBeGreaterThan(0);
});

test("every table has rows for the root (the comparison below is not vacuous)", async () => {
  for (const db of [plain, flat]) {
    const counts = await db.root(async (c) => {
      const found: number[] = [];
      for (const t of CRM_TABLES) found.push(Number((await c.query(`select count(*) from crm.${t}`)).rows[0].count));
      return found;
    });
    expect(counts.every((n) => n > 0)).toBe(true);
  }
});

test("the array helpers are security invoker, stable, with a fixed search_path, and not executable by PUBLIC", async () => {
  const helpers = await flat.root(async (c) => {
    const { rows } = await c.query<{ name: string; definer: boolean; volatility: string; config: string[]; public: boolean }>(
      `select p.proname::text as name, p.prosecdef as definer, p.provolatile as volatility, p.proconfig as config,
              pg_catalog.has_function_privilege('public', p.oid, 'execute') as public
         from pg_catalog.pg_proc p
        where p.pronamespace = $1::regnamespace and (p.proname like 'via\\_%' or p.proname like 'keys\\_%')
        order by 1`,
      [flat.app.toolkitSchema],
    );
    return rows;
  });
  expect(helpers.map((h) => h.name)).toEqual(expect.arrayContaining(["via_contacts__customer_id", "via_quotes__customer_id"]));
  for (const h of helpers)
    expect({ ...h, name: undefined }).toEqual({
      name: undefined,
      definer: false,
      volatility: "s",
      config: ["search_path=pg_catalog, pg_temp"],
      public: false,
    });
});

test.each(cases)(
  "%s as %s sees the same rows and values of every table and view with and without sublinks",
  async (_, role, id, frozen) => {
    let seen = 0;
    for (const table of relations) {
      const [expected, actual] = await Promise.all([visible(plain, id, role, table), visible(flat, id, role, table)]);
      expect({ table, rows: actual }).toEqual({ table, rows: expected });
      seen += expected?.length ?? 0;
    }
    // a frozen (offboarded) user sees nothing in either; everyone else sees rows, so the comparison is not vacuous
    expect(seen > 0).toBe(!frozen);
  },
);

test.each(cases)(
  "%s as %s gets the same outcome updating every table and view with and without sublinks",
  async (_, role, id) => {
    for (const table of relations) {
      const [expected, actual] = await Promise.all([updateOutcome(plain, id, role, table), updateOutcome(flat, id, role, table)]);
      expect({ table, outcome: actual }).toEqual({ table, outcome: expected });
    }
  },
);

/** A one-role app on the CRM schema, for the definition checks. */
const oneRole = (select: ReturnType<typeof raw>, policies: { sublinks: boolean }) =>
  defineApp({
    schema: "crm",
    rolePrefix: `${flat.app.rolePrefix}one_`,
    identity: crmApp.identity,
    roles: [role("reader", { tables: { customers: { select } } })],
    policies,
  });

test("defineApp refuses a policies option that is not a boolean, naming the field", () => {
  expect(() => oneRole(raw(sql`true`, "every row"), { sublinks: "no" as unknown as boolean })).toThrow(/policies.*sublinks/s);
});

test("sublinks: false refuses a raw() predicate with a sub-select in a role's rules, naming the fix; the normal compile takes it", async () => {
  const nested = raw(sql`exists (select 1 from crm.contacts c where c.customer_id = customers.id)`, "has a contact");
  const catalog = await flat.root((c) => introspect(c, "crm", [flat.app.toolkitSchema]));
  expect(() => compileApp(oneRole(nested, { sublinks: false }), catalog)).toThrow(
    'role reader (customers): raw predicate "has a contact" has a sub-select, which policies: { sublinks: false } cannot write: ' +
      "compare with a helper function returning an array (column = any (schema.helper())) or use via()",
  );
  expect(() => compileApp(oneRole(nested, { sublinks: true }), catalog)).not.toThrow();
});
