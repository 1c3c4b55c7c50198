import { readFile } from "node:fs/promises";
import { Client } from "pg";
import { applySql, withClient, connectionUrl } from "../../db";
import { createTestDatabase, type TestDatabase } from "../../db/testing";
import { freePort, runCli, spawnCli } from "./cli";

// The CLI against a database it does not own (DATABASE_URL): what it says when the setting is wrong, and that
// it never changes a credential there. The full migrations create the app's roles (crm_…) in the test cluster:
// this is the only test file that does.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  // the login this file made is cluster-wide and has a known password: it does not outlive the file
  await withClient(db.adminUrl, (admin) => admin.query("drop role if exists crm_login_ana"));
});

const hashOf = async (role: string) => {
  const { rows } = await db.pool.query<{ rolpassword: string | null }>("select rolpassword from pg_authid where rolname = $1", [
    role,
  ]);
  return rows[0]?.rolpassword;
};

test("an unparseable DATABASE_URL is named, with the expected form", async () => {
  const result = await runCli(["migrate"], { DATABASE_URL: "localhost:5432/crm" });
  expect(result).toMatchObject({
    code: 1,
    stderr: "gatehouse: DATABASE_URL is not a PostgreSQL connection URL: expected postgres://user:password@host:5432/database\n",
  });
});

test("a refused connection names host and port and suggests npm start", async () => {
  const port = await freePort();
  const result = await runCli(["compile", "--check"], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/crm` });
  expect(result).toMatchObject({
    code: 1,
    stderr: `gatehouse: cannot connect to PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): connection refused. Is the server running, on that host and port? Unset DATABASE_URL to use the project's embedded PostgreSQL (npm start).\n`,
  });
});

test("a missing database says how to create it", async () => {
  const url = connectionUrl(db.adminUrl, { database: `${db.name}_missing` });
  const { hostname, port } = new URL(url);
  const result = await runCli(["seed"], { DATABASE_URL: url });
  expect(result).toMatchObject({
    code: 1,
    stderr: `gatehouse: cannot connect to PostgreSQL at ${hostname}:${port} (DATABASE_URL): database "${db.name}_missing" does not exist. Create it with: createdb -h ${hostname} -p ${port} "${db.name}_missing" (or, as a superuser: create database "${db.name}_missing"), then run gatehouse migrate.\n`,
  });
});

test("serve on an unmigrated database refuses to start and says to migrate", async () => {
  // roles are cluster-wide: on a cluster another database was migrated in, the authenticator exists already
  const { rowCount } = await db.pool.query("select 1 from pg_roles where rolname = 'crm_authenticator'");
  const result = await runCli(["serve"], { DATABASE_URL: db.url, AUTHENTICATOR_PASSWORD: "whatever" });
  expect(result).toMatchObject({
    code: 1,
    stderr: `gatehouse: database "${db.name}" is not migrated (missing: schema crm, the gatehouse helpers${rowCount ? "" : ", role crm_authenticator"}): run npx gatehouse migrate first\n`,
  });
});

test("migrate and seed through DATABASE_URL create no demo credential; migrate finds no drift after applying", async () => {
  expect(await runCli(["migrate"], { DATABASE_URL: db.url })).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(
      /\nno drift: the live database matches the definitions \(\d+ policies, \d+ grants, .* compared\)\n$/,
    ),
  });
  const seed = await runCli(["seed"], { DATABASE_URL: db.url });
  expect(seed).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(
      /^seeded\ndemo login ana not created: demo passwords are set only in the demo's embedded cluster/,
    ),
  });
  const { rows } = await db.pool.query("select login from gatehouse.logins");
  expect(rows).toEqual([]);
});

test("migrate checks the database after applying: a DBA's opened policy and stray grant fail it, naming both, until the generated SQL is applied again", async () => {
  await db.pool.query(
    "alter policy sales_rep__select on crm.customers using (true); grant select on crm.customers to crm_sales_rep",
  );
  const migrate = await runCli(["migrate"], { DATABASE_URL: db.url });
  expect(migrate.code).toBe(1);
  expect(migrate.stdout).toContain("current.sql unchanged, skipping");
  expect(migrate.stderr).toContain(
    [
      "gatehouse: migrated, but the live database does not match the definitions",
      "drift: 2 differences between the live database and the definitions",
      "",
      "policy",
      "  crm.customers policy sales_rep__select: policy changed: using differs",
    ].join("\n"),
  );
  expect(migrate.stderr).toContain(
    [
      "    + as permissive for select to crm_sales_rep",
      "    + using (true)",
      "",
      "privilege",
      "  select on crm.customers to crm_sales_rep: grant on the whole table: not in the definitions",
      "    - (none)",
      "    + granted",
    ].join("\n"),
  );
  await withClient(db.url, async (client) => applySql(client, await readFile("migrations/fixtures/crm-security.sql", "utf8")));
  expect((await runCli(["check"], { DATABASE_URL: db.url })).code).toBe(0);
});

test("audit verify through DATABASE_URL: intact after migrate and seed, and after a superuser deletes a row it names it and exits 1", async () => {
  const { rows } = await db.pool.query<{ n: number; hash: string }>(
    "select count(*)::int as n, (select hash from gatehouse.audit_log order by id desc limit 1) as hash from gatehouse.audit_log",
  );
  expect(rows[0]!.n).toBeGreaterThan(100); // the seed, recorded row by row
  expect(await runCli(["audit", "verify"], { DATABASE_URL: db.url })).toMatchObject({
    code: 0,
    stdout: `audit log intact: ${rows[0]!.n} rows, last hash ${rows[0]!.hash}\n`,
  });
  await db.pool.query(
    `alter table gatehouse.audit_log disable trigger gatehouse_append_only;
     delete from gatehouse.audit_log where id = 2;
     alter table gatehouse.audit_log enable always trigger gatehouse_append_only;`,
  );
  expect(await runCli(["audit", "verify"], { DATABASE_URL: db.url })).toEqual({
    code: 1,
    stdout: "",
    stderr: "audit log broken at row 2: missing row (row 3 follows row 1)\n",
  });
});

test("start and seed through DATABASE_URL keep the authenticator's password and a login's password and mapping", async () => {
  await db.pool.query("alter role crm_authenticator password 'set-by-the-dba'");
  await db.pool.query("drop role if exists crm_login_ana");
  await db.pool.query("create role crm_login_ana login password 'ana-own-password' in role crm_analyst");
  await db.pool.query("insert into gatehouse.logins (login, user_id, role) values ('crm_login_ana', '2', 'analyst')");
  const before = { authenticator: await hashOf("crm_authenticator"), ana: await hashOf("crm_login_ana") };

  const refused = await runCli(["start", "--api-port", String(await freePort())], { DATABASE_URL: db.url });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    "gatehouse: DATABASE_URL is set, so the demo does not touch crm_authenticator's password there: set AUTHENTICATOR_PASSWORD",
  );

  const apiPort = await freePort();
  const demo = spawnCli(["start", "--api-port", String(apiPort)], {
    DATABASE_URL: db.url,
    AUTHENTICATOR_PASSWORD: "set-by-the-dba",
  });
  await demo.waitFor("Press Ctrl-C");
  expect((await fetch(`http://127.0.0.1:${apiPort}/health`)).status).toBe(200);
  expect((await demo.interrupt()).code).toBe(0);
  expect((await runCli(["seed"], { DATABASE_URL: db.url })).code).toBe(0);

  expect({ authenticator: await hashOf("crm_authenticator"), ana: await hashOf("crm_login_ana") }).toEqual(before);
  const { rows } = await db.pool.query("select user_id, role from gatehouse.logins where login = 'crm_login_ana'");
  expect(rows).toEqual([{ user_id: "2", role: "analyst" }]);
  const ana = new Client({ connectionString: connectionUrl(db.url, { user: "crm_login_ana", password: "ana-own-password" }) });
  await ana.connect();
  await ana.end();
});

test("serve on a migrated database says its mode, and its Ruru hands out no persona's token", async () => {
  const port = await freePort();
  const serve = spawnCli(["serve"], { DATABASE_URL: db.url, AUTHENTICATOR_PASSWORD: "set-by-the-dba", PORT: String(port) });
  await serve.waitFor("development mode on 127.0.0.1");
  const html = await (await fetch(`http://127.0.0.1:${port}/graphiql?as=rita`)).text();
  const config = JSON.parse(/const RURU_CONFIG = (\{[\s\S]*?\});/.exec(html)![1]!) as Record<string, unknown>;
  expect(config.endpoint).toBe("/graphql");
  expect(config).not.toHaveProperty("initialHeaders");
  expect(config).not.toHaveProperty("initialQuery");
  await serve.interrupt();
});

test("generate prints one summary line when its output is not a terminal", async () => {
  const fresh = await createTestDatabase();
  try {
    expect((await runCli(["migrate", "--committed-only"], { DATABASE_URL: fresh.url })).code).toBe(0);
    const result = await runCli(["generate", "--customers", "2000", "--users", "100", "--depth", "4", "--grants", "50"], {
      DATABASE_URL: fresh.url,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^generated in \d+\.\d s: .*customers 2000, .*users 100\n$/);
  } finally {
    await fresh.drop();
  }
});
