/**
 * Attack suite, SQL level: hostile text in the definitions (literals with quotes, backslashes, dollar-quote tags and
 * unicode; a role name with a quote and a semicolon) and in CLI arguments must land in the database as data, never as
 * SQL. Extends test/compile/identifiers.test.ts (hostile schema, table and column names) and
 * test/compile/dollar-quotes.test.ts (a `$fn$` in a function body) with backslashes under
 * standard_conforming_strings = off, hostile role names and the CLI. Every test fails if the attack works.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PoolClient } from "pg";
import { applySql, compileAgainst, is, role, roleName, withRolePrefix, type AppDefinition } from "../../db";
import { crm as crmApp } from "../../db/crm/roles";
import { seedDemo } from "../../db/crm/seed";
import { actAs, createTestDatabase, type TestDatabase } from "../../db/testing";
import { CRM_SCHEMA_MIGRATION } from "../crm/crm-database";
import { configSource, runCli } from "../cli/cli";
import { ids } from "./sql-support";

/** A literal that, were its backslash read as an escape, would close the string and add `or true` to the policy. */
const BACKSLASH = "x\\' or true --";
/** A literal holding the dollar-quote tags the compile uses, a statement, and unicode. */
const DOLLARS = "ünïcode $fn$ $gh$ $$; create table public.injected_by_literal (); --";
/** A role name with a quote, a semicolon, a comment marker and unicode. */
const HOSTILE_ROLE = `prö"ber; drop table crm.customers; --`;

const prober = role(HOSTILE_ROLE, {
  description: `reads the customer named by a hostile literal; ${DOLLARS}`,
  tables: { customers: { select: is("name", BACKSLASH), columns: { default: "hidden", id: "read", name: "read" } } },
});
const hostile: AppDefinition = { ...crmApp, roles: [...crmApp.roles, prober] };

let db: TestDatabase;
let app: AppDefinition;
let folder: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = withRolePrefix(hostile, `${db.rolePrefix}crm_`);
  const c = await db.pool.connect();
  try {
    await c.query(await readFile(CRM_SCHEMA_MIGRATION, "utf8"));
    // applied as a DBA might on a legacy server: backslashes in plain literals are escapes there
    await c.query("set standard_conforming_strings = off");
    await applySql(c, (await compileAgainst(c, app)).sql);
    await c.query("set standard_conforming_strings = on");
    await seedDemo(c);
    // the demo schema lists its roles in a check; this database adds one
    await c.query("alter table crm.user_roles drop constraint user_roles_role_check");
    await c.query("insert into crm.user_roles (user_id, role) values (4, $1)", [HOSTILE_ROLE]);
    await c.query(
      "insert into crm.customers (name, industry, region, owner_id, unit_id) select n, 'x', 'x', null, 2 from unnest($1::text[]) n",
      [[BACKSLASH, DOLLARS]],
    );
  } finally {
    c.release();
  }
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-attack-"));
});
afterAll(async () => {
  await db?.drop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Runs `fn` as rita acting in the hostile role, through the authenticator, rolled back. */
async function asProber<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await db.pool.connect();
  try {
    await c.query("begin");
    await actAs(c, { role: roleName(app, HOSTILE_ROLE), userId: 4 }, { authenticator: roleName(app, app.authenticator) });
    return await fn(c);
  } finally {
    await c.query("rollback").catch(() => undefined);
    c.release();
  }
}

test("S-INJECT-01 a literal with a backslash and a quote, applied under standard_conforming_strings = off, stays one string: no `or true` in the policy", async () => {
  const hostileIds = await db.pool
    .query("select id::int from crm.customers where name = $1 order by id", [BACKSLASH])
    .then((r) => r.rows.map((x) => x.id as number));
  expect(hostileIds.length).toBe(1);
  expect(await asProber((c) => ids(c, "select id from crm.customers order by id"))).toEqual(hostileIds);
  expect(await db.pool.query("select count(*)::int as n from crm.customers").then((r) => r.rows[0].n)).toBe(24);
});

test("S-INJECT-02 a literal holding $fn$, $gh$, $$, a statement and unicode creates nothing: no table public.injected_by_literal", async () => {
  const { rows } = await db.pool.query("select to_regclass('public.injected_by_literal') as injected");
  expect(rows).toEqual([{ injected: null }]);
});

test("S-INJECT-03 a role named with a quote, a semicolon and a comment marker becomes exactly one role and one select * schema of that name; crm.customers stands", async () => {
  const { rows } = await db.pool.query(
    `select (select array_agg(rolname::text order by rolname) from pg_roles where rolname like $1 || '%' and rolname like '%pr%ber%') as roles,
            (select array_agg(nspname::text) from pg_namespace where nspname like 'crm_pr%ber%') as schemas,
            to_regclass('crm.customers') is not null as customers`,
    [app.rolePrefix],
  );
  expect(rows).toEqual([{ roles: [roleName(app, HOSTILE_ROLE)], schemas: [`crm_${HOSTILE_ROLE}`], customers: true }]);
});

test("S-INJECT-04 the CLI's token --user and login create <username> --role take hostile text as names to look up, not SQL: refused, nothing dropped or created", async () => {
  const config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(app.rolePrefix)} }`));
  const env = { DATABASE_URL: db.url };
  const user = "x'; drop table crm.customers; --";
  const [token, login] = await Promise.all([
    runCli(["--config", config, "token", "--user", user], env),
    runCli(["--config", config, "login", "create", user, "--role", "analyst'; drop role x; --"], env),
  ]);
  expect(token.code).not.toBe(0);
  expect(token.stdout).toBe("");
  expect(token.stderr).toContain(user);
  expect(login.code).not.toBe(0);
  expect(login.stdout).toBe("");
  expect(login.stderr).toContain(`no app role "analyst'; drop role x; --"`);
  const { rows } = await db.pool.query(
    "select count(*)::int as customers, (select count(*)::int from pg_roles where rolname like $1 || 'login%') as logins from crm.customers",
    [app.rolePrefix],
  );
  expect(rows).toEqual([{ customers: 24, logins: 0 }]);
});
