/**
 * Generated function bodies are dollar-quoted with a tag that does not occur in the body, so a literal
 * from the definitions cannot close the quote early. The project's own apply would fail safely (one
 * statement per query), but the generated file run with `psql -f`, which goes on past an error, ran what
 * followed the tag (it did before this test: the table below was created). Here the identity's active
 * status, which the identity helper's body compares users with, carries a `$fn$` and a statement after
 * it; the file is applied with psql and the statement must not have run.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { compileAgainst, withRolePrefix, type AppDefinition } from "../../db";
import { crm } from "../../db/crm/roles";
import { createTestDatabase, type TestDatabase } from "../../db/testing";
import { CRM_SCHEMA_MIGRATION } from "../crm/crm-database";

const run = promisify(execFile);
const HOSTILE = "active$fn$; create table public.injected_by_tag (); select $fn$";

let db: TestDatabase;
let folder: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(await readFile(CRM_SCHEMA_MIGRATION, "utf8"));
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-dollar-"));
});
afterAll(async () => {
  await db?.drop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** The CRM with the hostile active status. */
const hostile: AppDefinition = {
  ...crm,
  identity: { ...crm.identity, users: { ...crm.identity.users, activeStatus: HOSTILE } },
};

test("an active status holding `$fn$` and a statement is quoted with another tag; psql -f runs no injected statement", async () => {
  const app = withRolePrefix(hostile, `${db.rolePrefix}crm_`);
  const client = await db.pool.connect();
  let sql: string;
  try {
    sql = (await compileAgainst(client, app)).sql;
  } finally {
    client.release();
  }
  const helper = sql.slice(sql.indexOf('create or replace function "gatehouse"."current_user_id"'));
  expect(helper).toMatch(/^[^]*?\nas \$fn1\$\n/);
  const file = path.join(folder, "security.sql");
  await writeFile(file, sql);
  // as a DBA would run it: psql's default goes on past an error, which is what made the old tag exploitable
  const { stderr } = await run("psql", ["-X", "-q", "-f", file, db.url]);
  expect(stderr).not.toMatch(/ERROR/);
  const { rows } = await db.pool.query(
    `select to_regclass('public.injected_by_tag') as injected,
            pg_catalog.strpos(p.prosrc, $1) > 0 as literal_intact
       from pg_catalog.pg_proc p
      where p.oid = 'gatehouse.current_user_id(name)'::regprocedure`,
    [`'${HOSTILE}'`],
  );
  expect(rows).toEqual([{ injected: null, literal_intact: true }]);
});
