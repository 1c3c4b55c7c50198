import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applySql, checkDrift, connectionUrl, driftSummary } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { configSource, runCli } from "./cli";

// `gatehouse check` as a security admin or CI runs it, against a CRM test database (the app under this database's
// role prefix): what it prints without a terminal, its JSON, and its exit codes.

let crm: AppTestDatabase;
let folder: string;
let config: string;

beforeAll(async () => {
  crm = await openCrmDatabase();
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-check-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await crm?.close();
});

const check = (args: string[] = [], url = crm.db.url) => runCli(["--config", config, "check", ...args], { DATABASE_URL: url });

test("check on a database that matches its definitions prints the summary with what it compared and exits 0", async () => {
  const report = await crm.root((client) => checkDrift(client, crm.app));
  expect(await check()).toEqual({ code: 0, stdout: `${driftSummary(report)}\n`, stderr: "" });
  expect(driftSummary(report)).toMatch(
    /^no drift: the live database matches the definitions \(\d+ policies, \d+ grants, \d+ roles, \d+ memberships, \d+ views, \d+ functions, \d+ triggers, \d+ tables, 4 masked columns, 0 logins compared\)$/,
  );
});

test("on drift, check prints a plain diff (no colour without a terminal) and its --json the same items; both exit 1", async () => {
  const salesRep = `${crm.app.rolePrefix}sales_rep`;
  await crm.db.pool.query(
    `alter policy sales_rep__select on crm.customers using (true); grant select on crm.customers to "${salesRep}"`,
  );
  try {
    const plain = await check();
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe("");
    expect(plain.stdout).not.toContain("\u001b[");
    const lines = plain.stdout.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "drift: 2 differences between the live database and the definitions",
      "",
      "policy",
      "  crm.customers policy sales_rep__select: policy changed: using differs",
      `    - as permissive for select to ${salesRep}`,
    ]);
    expect(lines.slice(6)).toEqual([
      `    + as permissive for select to ${salesRep}`,
      "    + using (true)",
      "",
      "privilege",
      `  select on crm.customers to ${salesRep}: grant on the whole table: not in the definitions`,
      "    - (none)",
      "    + granted",
      "",
      "(- as the definitions make it, + as the database has it)",
      'To restore what the generation manages, apply migrations/fixtures/crm-security.sql again (gatehouse compile first if it is stale), e.g. psql "$DATABASE_URL" -1 -v ON_ERROR_STOP=1 -f migrations/fixtures/crm-security.sql; undo the rest (memberships, owners, logins, grants the generation does not revoke) by hand.',
      "",
    ]);
    const json = await check(["--json"]);
    expect(json.code).toBe(1);
    const report = await crm.root((client) => checkDrift(client, crm.app));
    expect(JSON.parse(json.stdout)).toEqual({ drift: true, items: report.items, compared: report.compared });
    expect(report.items.map((i) => [i.kind, i.object])).toEqual([
      ["policy", "crm.customers policy sales_rep__select"],
      ["privilege", `select on crm.customers to ${salesRep}`],
    ]);
  } finally {
    const client = await crm.db.pool.connect();
    await applySql(client, crm.compiled.sql).finally(() => client.release());
  }
  expect((await check(["--json"])).code).toBe(0);
});

test("a check that cannot run exits 2 and says why", async () => {
  const missing = connectionUrl(crm.db.url, { database: `${crm.db.name}_missing` });
  const result = await check([], missing);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(
    new RegExp(`^gatehouse: cannot connect to PostgreSQL at .*: database "${crm.db.name}_missing" does not exist`),
  );
});
