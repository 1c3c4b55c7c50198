/**
 * Attack suite, SQL level: a role-bound login shadows the toolkit's helpers and identity tables — temporary tables and
 * functions in `pg_temp`, a `search_path` that puts them first, objects in a schema it might create in — so that row
 * security would read the attacker's objects. Every test fails if the attack works.
 */
import type { Client } from "pg";
import type { AppTestDatabase } from "../../db/testing";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { ids, refused, rolledBack } from "./sql-support";

let crm: AppTestDatabase;
let rita: Client;
const RITA = customerExpectation("rita").ids;
const ROY = customerExpectation("roy").ids;

beforeAll(async () => {
  crm = await openCrmDatabase();
  rita = await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
});
afterAll(() => crm?.close());

const whoAmI = async (c: Client) =>
  (
    await c.query(
      `select gatehouse.current_user_id(current_user)::int as id, gatehouse.current_unit_tree(current_user)::int[] as tree`,
    )
  ).rows[0];

test("S-SHADOW-01 every function of the toolkit and app schemas pins search_path to pg_catalog, then pg_temp last", async () => {
  const { unpinned, pinned } = await crm.root(async (c) => {
    const { rows } = await c.query(
      `select p.oid::regprocedure::text as fn, p.proconfig
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('gatehouse', 'crm') order by 1`,
    );
    return {
      unpinned: rows.filter((r) => !(r.proconfig ?? []).includes("search_path=pg_catalog, pg_temp")).map((r) => r.fn),
      pinned: rows.length,
    };
  });
  expect(unpinned).toEqual([]);
  expect(pinned).toBeGreaterThan(60);
});

test("S-SHADOW-02 rita's login cannot create in the crm or gatehouse schema, in her role's select * schema, or in public", async () => {
  const own = `crm_sales_rep`;
  const schemas = await crm.root((c) => ids(c, "select count(*) from pg_namespace where nspname = $1", [own]).then((n) => n[0]));
  expect(schemas).toBe(1);
  await rolledBack(rita, async (c) => {
    for (const schema of ["crm", "gatehouse", own, "public"]) {
      expect(await refused(c, `create table "${schema}".users (id bigint)`)).toEqual({
        code: "42501",
        message: `permission denied for schema ${schema}`,
      });
      expect(
        await refused(c, `create function "${schema}".current_user_id(name) returns bigint language sql as 'select 1'`),
      ).toEqual({
        code: "42501",
        message: `permission denied for schema ${schema}`,
      });
    }
  });
});

test("S-SHADOW-03 temporary tables named like the identity tables (users, user_roles, logins, unit_tree), first on the search_path, are not read by the helpers", async () => {
  await rolledBack(rita, async (c) => {
    await c.query(`create temp table users (id bigint, username text, unit_id bigint, status text, partner_org text)`);
    await c.query(`insert into pg_temp.users values (4, 'rita', 1, 'active', 'Partner Co')`);
    await c.query(`create temp table user_roles as select 4::bigint as user_id, 'director'::text as role`);
    await c.query(`create temp table logins as select current_user as login, 1::bigint as user_id, 'director'::text as role`);
    await c.query(
      `create temp table unit_tree as select g::bigint as ancestor, array[1, 2, 3, 4, 5, 6]::bigint[] as descendants from generate_series(1, 6) g`,
    );
    await c.query(`create temp table customers as select g::bigint as id from generate_series(1, 22) g`);
    await c.query(`set local search_path = pg_temp, crm, gatehouse, pg_catalog`);
    expect(await whoAmI(c)).toEqual({ id: 4, tree: await eastOne() });
    expect(await ids(c, "select id from crm.customers order by id")).toEqual(RITA);
    // unqualified, her own temporary table answers: hers, not the app's
    expect((await ids(c, "select id from customers order by id")).length).toBe(22);
  });
  expect(await crm.root((c) => ids(c, "select count(*) from crm.customers"))).toEqual([22]);
});

const eastOne = () => crm.root((c) => ids(c, "select id from crm.org_units where name = 'East-1'"));

test("S-SHADOW-04 temporary functions named like the helpers and like pg_catalog's current_setting, with pg_temp first, change no policy", async () => {
  await rolledBack(rita, async (c) => {
    await c.query(`create function pg_temp.current_user_id(name) returns bigint language sql as 'select 1::bigint'`);
    await c.query(
      `create function pg_temp.current_unit_tree(name) returns bigint[] language sql as 'select array[1,2,3,4,5,6]::bigint[]'`,
    );
    await c.query(`create function pg_temp.current_setting(text, boolean) returns text language sql as $$select '1'$$`);
    await c.query(
      `create function pg_temp.granted_rows(name, text, text[]) returns bigint[] language sql as 'select array[8,9,10]::bigint[]'`,
    );
    await c.query(`set local search_path = pg_temp, gatehouse, crm, pg_catalog`);
    expect(await ids(c, "select id from crm.customers order by id")).toEqual(RITA);
    expect(await whoAmI(c)).toEqual({ id: 4, tree: await eastOne() });
    // her function is reached only when she names pg_temp herself, and then it is only her own function
    expect((await c.query("select pg_temp.current_user_id(current_user)::int as id")).rows).toEqual([{ id: 1 }]);
  });
});

test("S-SHADOW-05 a temporary operator shadowing = for bigint does not change a policy, whose operators were resolved when it was created", async () => {
  await rolledBack(rita, async (c) => {
    await c.query(`create function pg_temp.always(bigint, bigint) returns boolean language sql as 'select true'`);
    await c.query(`create operator pg_temp.= (leftarg = bigint, rightarg = bigint, function = pg_temp.always)`);
    await c.query(`set local search_path = pg_temp, crm, gatehouse, pg_catalog`);
    expect(await ids(c, "select id from crm.customers order by id")).toEqual(RITA);
    expect(await ids(c, "select id from crm.customers where owner_id operator(pg_temp.=) 6 order by id")).toEqual(RITA);
  });
});

test("S-SHADOW-06 rita's login cannot read another role's select * schema (analyst's) to pick up its views", async () => {
  await rolledBack(rita, async (c) => {
    expect(await refused(c, "select * from crm_analyst.customers")).toEqual({
      code: "42501",
      message: "permission denied for schema crm_analyst",
    });
    // a schema she may not use is skipped on her search_path: the unqualified name falls through to crm's table
    await c.query("set local search_path = crm_analyst, crm_director, crm");
    expect(await ids(c, "select id from customers order by id")).toEqual(RITA);
  });
});

test("S-SHADOW-07 rita's request leaving a temporary current_user_id and customers on the pooled connection changes nothing for roy's next request reading crm.customers", async () => {
  const client = await crm.pool.connect();
  try {
    await client.query("begin");
    await crm.actAs(client, persona("rita"));
    await client.query(`create function pg_temp.current_user_id(name) returns bigint language sql as 'select 6::bigint'`);
    await client.query(
      `create temp table customers on commit preserve rows as select g::bigint as id from generate_series(1, 22) g`,
    );
    await client.query("commit");
    await client.query("begin");
    await crm.actAs(client, persona("roy"));
    expect(await ids(client, "select id from crm.customers order by id")).toEqual(ROY);
    // the limit: an unqualified name resolves to the connection's pg_temp first, so the server qualifies every name
    expect((await ids(client, "select id from customers")).length).toBe(22);
    await client.query("rollback");
    await client.query("begin");
    await crm.actAs(client, persona("rita"));
    expect(await ids(client, "select id from crm.customers order by id")).toEqual(RITA);
    await client.query("rollback");
  } finally {
    client.release(true);
  }
});

test("S-SHADOW-08 rita's login cannot create a schema of her own, an extension, or a large object from a server file", async () => {
  await rolledBack(rita, async (c) => {
    expect(await refused(c, "create schema attacker")).toEqual({
      code: "42501",
      message: expect.stringMatching(/^permission denied for database /),
    });
    expect(await refused(c, "create extension if not exists dblink")).toMatchObject({ code: "42501" });
    expect(await refused(c, "select lo_import('/etc/passwd')")).toMatchObject({ code: "42501" });
  });
});
