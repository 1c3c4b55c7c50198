import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TEST_ADMIN_URL_ENV, type AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "../crm/crm-database";
import { configSource, runCli } from "./cli";

// `gatehouse pgtap` (db/cli/pgtap.ts, db/pgtap/) on a CRM test database, as the CLI runs it; then pg_prove runs the
// files it wrote, as a DBA would, when pg_prove and the pgtap extension are there (Debian: postgresql-15-pgtap,
// libtap-parser-sourcehandler-pgtap-perl; the PostgreSQL 15 leg of CI has them, embedded PostgreSQL 17 has no pgtap).
// The last test drifts the database by hand: it runs last, and the database is dropped afterwards.

/** Why pg_prove cannot run here, or undefined when it can. */
function pgProveUnavailable(): string | undefined {
  if (spawnSync("pg_prove", ["--version"]).error) return "pg_prove is not installed (libtap-parser-sourcehandler-pgtap-perl)";
  const adminUrl = process.env[TEST_ADMIN_URL_ENV];
  if (!adminUrl) return `${TEST_ADMIN_URL_ENV} is not set`;
  const psql = spawnSync("psql", [adminUrl, "-Atc", "select count(*) from pg_available_extensions where name = 'pgtap'"], {
    encoding: "utf8",
  });
  if (psql.error || psql.status !== 0) return `psql cannot ask the test cluster: ${psql.error?.message ?? psql.stderr.trim()}`;
  if (psql.stdout.trim() !== "1")
    return "the test cluster has no pgtap extension (postgresql-15-pgtap; embedded PostgreSQL 17 has none)";
  return undefined;
}

const unavailable = pgProveUnavailable();
const withPgProve = unavailable ? test.skip : test;

let crm: AppTestDatabase;
let folder: string;
let config: string;
let env: Record<string, string>;

beforeAll(async () => {
  if (unavailable) console.warn(`pg_prove tests skipped: ${unavailable}`);
  crm = await openCrmDatabase();
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-pgtap-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
  env = { DATABASE_URL: crm.db.url };
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await crm?.close();
});

const FILES = ["policies.sql", "privileges.sql", "row-security.sql", "visibility.sql"];
const out = (name: string) => path.join(folder, name);
const pgtap = (dir: string, configFile = config) => runCli(["--config", configFile, "pgtap", "--out", dir], env);
const read = (dir: string, file: string) => readFile(path.join(dir, file), "utf8");

/** pg_prove on the files in `dir`, against the test database, as the superuser. */
function pgProve(dir: string) {
  const url = new URL(crm.db.url);
  const result = spawnSync(
    "pg_prove",
    [
      "-h",
      url.hostname,
      "-p",
      url.port || "5432",
      "-U",
      decodeURIComponent(url.username),
      "-d",
      crm.db.name,
      ...FILES.map((f) => path.join(dir, f)),
    ],
    { encoding: "utf8", env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) } },
  );
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

test("gatehouse pgtap writes policies.sql, privileges.sql, row-security.sql and visibility.sql, says how many tests and how to run them; twice the same files", async () => {
  const [first, second] = await Promise.all([pgtap(out("a")), pgtap(out("b"))]);
  expect(first.stderr).toBe("");
  expect(first.code).toBe(0);
  const lines = first.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(new RegExp(`^wrote 4 pgTAP files \\(\\d+ tests\\) to ${out("a").replace(/[.\\/]/g, "\\$&")}:$`));
  expect(lines.slice(1, 5).map((l) => l.trim().split(/\s+/)[0])).toEqual(FILES);
  const url = new URL(crm.db.url);
  expect(lines[5]).toBe(
    `run them (PostgreSQL with the pgtap extension available): pg_prove -h ${url.hostname} -p ${url.port} -U ${url.username} -d ${crm.db.name} ${out("a")}/*.sql`,
  );
  expect(second.code).toBe(0);
  expect((await readdir(out("a"))).sort()).toEqual(FILES);
  for (const file of FILES) expect(await read(out("b"), file)).toBe(await read(out("a"), file));
});

test("every file is one transaction that creates pgTAP if needed, plans exactly its tests and rolls back", async () => {
  for (const file of FILES) {
    const text = await read(out("a"), file);
    const statements = text.split("\n").filter((l) => !l.startsWith("-- "));
    const tests = statements.filter((l) => /^select (?!plan\(|\* from finish\(\))/.test(l)).length;
    expect(statements.slice(0, 4)).toEqual([
      "begin;",
      "create extension if not exists pgtap;",
      'set local search_path to "public";',
      `select plan(${tests});`,
    ]);
    expect(statements.slice(-3)).toEqual(["select * from finish();", "rollback;", ""]);
  }
});

test("visibility.sql expects exactly the customers rita sees, acting through the authenticator; the root sees more, which exist", async () => {
  const rita = persona("rita");
  const seen = await crm.as(rita, (c) => column<string>(c, "select id::text from crm.customers order by crm.customers.id"));
  const all = await crm.root((c) => column<string>(c, "select id::text from crm.customers order by crm.customers.id"));
  expect(seen).toHaveLength(7);
  expect(all.length).toBeGreaterThan(seen.length);
  const text = await read(out("a"), "visibility.sql");
  const prefix = crm.app.rolePrefix;
  const expected = `select results_eq('select ("id")::text from "crm"."customers" order by "crm"."customers"."id"', array[${seen
    .map((id) => `'${id}'`)
    .join(", ")}]::text[], 'rita as sales_rep sees exactly 7 row(s) of crm.customers');`;
  const lines = text.split("\n");
  const claims = lines.indexOf(`set local "jwt"."claims"."user_id" to '${rita.userId}';`);
  const block = lines.slice(claims - 2, lines.indexOf("reset role;", claims) + 2);
  expect(block.slice(0, 4)).toEqual([
    `set local session authorization "${prefix}authenticator";`,
    `set local role "${prefix}sales_rep";`,
    `set local "jwt"."claims"."user_id" to '${rita.userId}';`,
    `set local "jwt"."claims"."channel" to '';`,
  ]);
  expect(block).toContain(expected);
  expect(block.slice(-2)).toEqual(["reset role;", "reset session authorization;"]);
});

test("a persona with a role the app does not define is refused with a did-you-mean; nothing is written", async () => {
  const badConfig = out("bad.config.ts");
  await writeFile(
    badConfig,
    configSource(
      `app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }, personas: [{ username: "x", id: 4, roles: ["sales_rp"], unit: null }]`,
    ),
  );
  const result = await pgtap(out("bad"), badConfig);
  expect(result).toEqual({
    code: 1,
    stdout: "",
    stderr:
      'gatehouse: persona x has role "sales_rp", which the app does not define (did you mean "sales_rep"?): fix personas in the config\n',
  });
  await expect(readdir(out("bad"))).rejects.toThrow("ENOENT");
});

withPgProve(
  `pg_prove passes every test on the database the files were written from, and leaves no pgtap extension behind${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  async () => {
    const { code, output } = pgProve(out("a"));
    expect(output).toContain("All tests successful.");
    expect(output).toContain("Result: PASS");
    expect(code).toBe(0);
    expect((await crm.db.pool.query("select count(*)::int as n from pg_extension where extname = 'pgtap'")).rows[0].n).toBe(0);
  },
);

withPgProve(
  `after drift by hand (sales_rep__select using (true), a stray grant to the intern) the same files fail, naming the failing tests; files written from the drifted database fail too${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  async () => {
    const intern = `${crm.app.rolePrefix}intern`;
    await crm.db.pool.query('alter policy "sales_rep__select" on crm.customers using (true)');
    await crm.db.pool.query(`grant select on crm.customers to "${intern}"`);
    const expectDriftNamed = ({ code, output }: { code: number | null; output: string }) => {
      expect(output).toMatch(
        /Failed test \d+: "crm\.customers: policy sales_rep__select: using expression as defined"\n# +have: true\n/,
      );
      expect(output).toContain(
        `"Role ${intern} should be granted no privileges on table crm.customers"\n#     Extra privileges:\n#         SELECT\n`,
      );
      expect(output).toContain('"rita as sales_rep sees exactly 7 row(s) of crm.customers"');
      expect(output).toMatch(/row-security\.sql \.+ ok/);
      expect(output).toContain("Result: FAIL");
      expect(code).not.toBe(0);
    };
    expectDriftNamed(pgProve(out("a")));
    // written now, from the definitions (applied and rolled back), not from the drifted catalog
    expect((await pgtap(out("drifted"))).code).toBe(0);
    expectDriftNamed(pgProve(out("drifted")));
  },
);
