/**
 * Fault: a migration fails half-way. `gatehouse migrate` (graphile-migrate underneath) runs on a cluster of this
 * file's own (it creates cluster-wide roles) against a copy of the project's migrations, whose current.sql creates a
 * schema, a table, a role, grants, a policy and rows, and then fails. As root: nothing of it exists, the CRM's own
 * tables, roles and policies are as they were, and graphile-migrate's bookkeeping has not moved. With the error fixed,
 * the same command succeeds.
 *
 * A failing compile-generated security migration (the policies' SQL rejected by the database) leaving the previous
 * roles, policies and grants in place is proven in test/compile/apply-errors.test.ts ("a raw predicate the database
 * rejects fails the apply and leaves roles, policies and grants as they were").
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { configSource, runCli } from "../cli/cli";
import { startOwnCluster, type OwnCluster } from "./own-cluster";

const ROOT = path.join(__dirname, "../..");
let pg: OwnCluster;
let folder: string;
let config: string;
let databaseUrl: string;

beforeAll(async () => {
  pg = await startOwnCluster();
  const admin = new Client({ connectionString: pg.adminUrl });
  await admin.connect();
  await admin.query("create database gatehouse");
  await admin.end();
  databaseUrl = pg.adminUrl.replace(/\/postgres$/, "/gatehouse");
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-migrate-fault-"));
  await cp(path.join(ROOT, "migrations"), path.join(folder, "migrations"), { recursive: true });
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`migrationsFolder: ${JSON.stringify(path.join(folder, "migrations"))}`));
}, 60_000);

afterAll(async () => {
  await pg?.remove();
  if (folder) await rm(folder, { recursive: true, force: true });
}, 30_000);

const migrate = () => runCli(["--config", config, "migrate"], { DATABASE_URL: databaseUrl }, 120_000);

const INCLUDE = "--!include crm-security.changes.sql\n";

/** A change an operator might write: a new schema for incident notes, its reader role, its row security and rows. */
const incidents = (rows: string) => `
create schema ops;
create table ops.incidents (id int primary key, note text not null);
create role ops_reader nologin;
grant usage on schema ops to ops_reader;
grant select on ops.incidents to ops_reader;
alter table ops.incidents enable row level security;
create policy incidents_read on ops.incidents for select to ops_reader using (true);
insert into ops.incidents values ${rows};
`;

/** What root sees of schemas, tables, roles, policies, grants and graphile-migrate's bookkeeping. */
async function databaseState() {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const q = async (text: string) => (await c.query(text)).rows;
    return {
      schemas: await q("select nspname from pg_namespace where nspname not like 'pg\\_%' order by 1"),
      tables: await q(
        "select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2",
      ),
      roles: await q("select rolname, rolcanlogin from pg_roles where rolname not like 'pg\\_%' order by 1"),
      policies: await q(
        "select schemaname, tablename, policyname, roles::text, cmd, qual, with_check from pg_policies order by 1, 2, 3",
      ),
      grants: await q(
        "select table_schema, table_name, grantee, privilege_type from information_schema.role_table_grants order by 1, 2, 3, 4",
      ),
      migrations: await q("select hash, previous_hash, filename from graphile_migrate.migrations order by filename"),
      current: await q("select md5(content) as content, date from graphile_migrate.current"),
      customers: await q("select count(*)::int as n from crm.customers"),
    };
  } finally {
    await c.end();
  }
}

test("the operator's migration that fails half-way leaves nothing behind: no schema, table, role or policy, and the bookkeeping unchanged", async () => {
  const first = await migrate();
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: "" });
  const before = await databaseState();
  expect(before.migrations.map((m) => m.filename)).toEqual(["000001.sql", "000002.sql"]);
  expect(before.policies.length).toBeGreaterThan(20);

  // the second row repeats the first key: the migration fails after everything else ran
  await writeFile(path.join(folder, "migrations/current.sql"), INCLUDE + incidents("(1, 'first'), (1, 'again')"));
  const failed = await migrate();
  expect(failed.code).toBe(1);
  expect(failed.stderr).toContain('duplicate key value violates unique constraint "incidents_pkey"');
  // graphile-migrate forgets which current.sql it last applied (it commits that before running the new one), so the
  // next migrate runs current.sql again whole; the committed migrations and everything else are as they were
  expect(await databaseState()).toEqual({ ...before, current: [] });
});

test("with the error fixed, the same migrate succeeds and everything it creates is there", async () => {
  const before = await databaseState();
  await writeFile(path.join(folder, "migrations/current.sql"), INCLUDE + incidents("(1, 'first'), (2, 'second')"));
  const fixed = await migrate();
  expect({ code: fixed.code, stderr: fixed.stderr }).toEqual({ code: 0, stderr: "" });
  const after = await databaseState();
  expect(after.schemas).toEqual(expect.arrayContaining([{ nspname: "ops" }]));
  expect(after.tables).toEqual(expect.arrayContaining([{ table_schema: "ops", table_name: "incidents" }]));
  expect(after.roles).toEqual(expect.arrayContaining([{ rolname: "ops_reader", rolcanlogin: false }]));
  expect(after.policies.filter((p) => p.schemaname === "ops").map((p) => p.policyname)).toEqual(["incidents_read"]);
  // the CRM's own security did not move, and no migration was committed
  expect(after.policies.filter((p) => p.schemaname !== "ops")).toEqual(before.policies);
  expect(after.migrations).toEqual(before.migrations);
});
