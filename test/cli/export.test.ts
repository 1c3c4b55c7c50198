import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { configSource, runCli, spawnCli } from "./cli";

// `gatehouse export` (db/cli/export.ts) against a CRM test database, as the CLI runs it: the owner's URL in
// DATABASE_URL, the authenticator's in AUTHENTICATOR_DATABASE_URL, the app under this database's role prefix.
// Exports commit, so every test starts with no export on record (the audit trail keeps its rows).

let crm: AppTestDatabase;
let folder: string;
let env: Record<string, string>;
let config: string;

beforeAll(async () => {
  crm = await openCrmDatabase();
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-export-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
  env = { DATABASE_URL: crm.db.url, AUTHENTICATOR_DATABASE_URL: crm.authenticatorUrl };
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await crm?.close();
});
beforeEach(async () => {
  await crm.db.pool.query("delete from gatehouse.exports");
  for (const f of await filesLeft()) await rm(file(f));
});

const exportCli = (args: string[]) => runCli(["--config", config, "export", ...args], env);
const file = (name: string) => path.join(folder, name);
const sha256 = async (name: string) =>
  createHash("sha256")
    .update(await readFile(file(name)))
    .digest("hex");
const exportsOnRecord = async () => (await crm.db.pool.query("select count(*)::int as n from gatehouse.exports")).rows[0].n;
/** Files in the folder besides the config: the exports, and any temporary file left behind. */
const filesLeft = async () => (await readdir(folder)).filter((f) => f !== "gatehouse.config.ts").sort();

/** What marketing may see, by the root: consenting, not deleted, not archived customers, VIP excepted (the VIP restriction applies to marketing). */
const MARKETING_ROWS = `select id, region, industry, tier, stage, created_month::text from crm.customers
  where consent_marketing and deleted_at is null and archived_at is null and tier <> 'vip' order by id`;

async function marketingRows(): Promise<Record<string, string | number | null>[]> {
  const { rows } = await crm.db.pool.query(MARKETING_ROWS);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

test("mark exports marketing_export as csv: a header and exactly the rows marketing may see; the audit trail holds who, the view, the rows and the file's sha256", async () => {
  const result = await exportCli(["marketing_export", "--as", "mark", "--format", "csv", "--out", file("mark.csv")]);
  const expected = await marketingRows();
  const hash = await sha256("mark.csv");
  expect(result).toEqual({
    code: 0,
    stdout: `exported ${expected.length} rows of marketing_export as mark to ${file("mark.csv")} (sha256 ${hash})\n`,
    stderr: "",
  });
  const [header, ...lines] = (await readFile(file("mark.csv"), "utf8")).trimEnd().split("\n");
  expect(header).toBe("id,region,industry,tier,stage,created_month");
  expect(lines.sort()).toEqual(
    stringify(expected.map((r) => Object.values(r)))
      .trimEnd()
      .split("\n")
      .sort(),
  );
  const { rows } = await crm.db.pool.query(
    "select user_id::int, acting_role, login, table_name, operation, new_values from gatehouse.audit_log where operation = 'export' order by id desc limit 1",
  );
  expect(rows).toEqual([
    {
      user_id: persona("mark").userId,
      acting_role: `${crm.app.rolePrefix}marketing`,
      login: `${crm.app.rolePrefix}authenticator`,
      table_name: "marketing_export",
      operation: "export",
      new_values: { rows: expected.length, format: "csv", sha256: hash },
    },
  ]);
  expect(await filesLeft()).toEqual(["mark.csv"]);
});

test("mark exports marketing_export as jsonl: one json object per row, exactly the rows marketing may see", async () => {
  const result = await exportCli(["marketing_export", "--as", "mark", "--format", "jsonl", "--out", file("mark.jsonl")]);
  expect(result.code).toBe(0);
  const lines = (await readFile(file("mark.jsonl"), "utf8")).trimEnd().split("\n");
  const rows = lines.map((l) => JSON.parse(l) as { id: number }).sort((a, b) => a.id - b.id);
  expect(rows).toEqual(await marketingRows());
  const { rows: recorded } = await crm.db.pool.query("select row_count::int, format, sha256 from gatehouse.exports");
  expect(recorded).toEqual([{ row_count: rows.length, format: "jsonl", sha256: await sha256("mark.jsonl") }]);
});

test("mark's export holds no customer name, contact name, phone, email or id number, and as many rows as consenting, live, non-archived customers (VIP excepted)", async () => {
  expect((await exportCli(["marketing_export", "--as", "mark", "--format", "csv", "--out", file("scan.csv")])).code).toBe(0);
  const text = await readFile(file("scan.csv"), "utf8");
  const { rows } = await crm.db.pool.query<{ value: string }>(
    `select name as value from crm.customers
     union select full_name from crm.contacts union select phone from crm.contacts
     union select email from crm.contacts union select id_number from crm.contacts`,
  );
  const personal = rows.map((r) => r.value).filter((v) => v);
  expect(personal.length).toBeGreaterThan(20);
  expect(personal.filter((v) => text.includes(v))).toEqual([]);
  const { rows: count } = await crm.db.pool.query(
    "select count(*)::int as n from crm.customers where consent_marketing and deleted_at is null and archived_at is null and tier <> 'vip'",
  );
  expect(text.trimEnd().split("\n").length - 1).toBe(count[0].n);
});

test("rita (sales_rep) cannot export marketing_export: a clear error, no file, nothing recorded", async () => {
  const result = await exportCli(["marketing_export", "--as", "rita", "--format", "csv", "--out", file("rita.csv")]);
  expect(result).toMatchObject({
    code: 1,
    stderr: "gatehouse: rita acts as sales_rep, which may not export marketing_export: only marketing may\n",
  });
  expect(await filesLeft()).toEqual([]);
  expect(await exportsOnRecord()).toBe(0);
  // root check on the table: a superuser reads no row through the owner-run view (it has no app identity)
  expect(
    (
      await crm.db.pool.query(
        "select count(*)::int as n from crm.customers where consent_marketing and deleted_at is null and archived_at is null",
      )
    ).rows[0].n,
  ).toBeGreaterThan(0);
});

test("mark cannot export on the mobile channel: a clear error, no file, and the file already at --out is kept", async () => {
  await writeFile(file("kept.csv"), "keep me\n");
  const result = await exportCli([
    "marketing_export",
    "--as",
    "mark",
    "--channel",
    "mobile",
    "--format",
    "csv",
    "--out",
    file("kept.csv"),
  ]);
  expect(result).toMatchObject({ code: 1, stderr: "gatehouse: exports of marketing_export are refused on the mobile channel\n" });
  expect(await readFile(file("kept.csv"), "utf8")).toBe("keep me\n");
  expect(await filesLeft()).toEqual(["kept.csv"]);
  expect(await exportsOnRecord()).toBe(0);
});

test("mark cannot export acting in a role he does not hold; an unknown role is named with a did-you-mean", async () => {
  expect(
    await exportCli(["marketing_export", "--as", "mark", "--role", "admin", "--format", "csv", "--out", file("x.csv")]),
  ).toMatchObject({
    code: 1,
    stderr: "gatehouse: mark does not hold admin; they hold marketing\n",
  });
  expect(
    await exportCli(["marketing_export", "--as", "mark", "--role", "marketeer", "--format", "csv", "--out", file("x.csv")]),
  ).toMatchObject({
    code: 1,
    stderr: 'gatehouse: no app role "marketeer" (did you mean "marketing"?)\n',
  });
  expect(await filesLeft()).toEqual([]);
});

test("an unknown view or user is named with a did-you-mean", async () => {
  expect(await exportCli(["marketing_exprt", "--as", "mark", "--format", "csv", "--out", file("x.csv")])).toMatchObject({
    code: 1,
    stderr: 'gatehouse: no view "marketing_exprt" to export (did you mean "marketing_export"?); the views are marketing_export\n',
  });
  expect(await exportCli(["marketing_export", "--as", "marc", "--format", "csv", "--out", file("x.csv")])).toMatchObject({
    code: 1,
    stderr: 'gatehouse: no user "marc" in crm.users (did you mean "mark"?)\n',
  });
  expect(await filesLeft()).toEqual([]);
});

test("mark's 4th export of the day is refused with the limit, what is used and when it resets; no file", async () => {
  for (const n of [1, 2, 3])
    expect((await exportCli(["marketing_export", "--as", "mark", "--format", "csv", "--out", file(`day-${n}.csv`)])).code).toBe(
      0,
    );
  const result = await exportCli(["marketing_export", "--as", "mark", "--format", "csv", "--out", file("day-4.csv")]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(
    /^gatehouse: marketing may export 3 files a day; 3 used today; the quota resets at \d{4}-\d\d-\d\d 00:00 UTC\n$/,
  );
  expect(await filesLeft()).toEqual(["day-1.csv", "day-2.csv", "day-3.csv"]);
  expect(await exportsOnRecord()).toBe(3);
});

test("mark's export that would pass 100,000 rows today (with 100,000 less its rows plus one exported already) is refused; no file", async () => {
  const rows = (await marketingRows()).length;
  const used = 100_000 - rows + 1;
  await crm.db.pool.query(
    `insert into gatehouse.exports (started_at, finished_at, txid, user_id, acting_role, login, view_name, format, row_count, sha256)
     values (clock_timestamp(), clock_timestamp(), pg_current_xact_id(), 12, $1, 'earlier', 'marketing_export', 'csv', $2, repeat('0', 64))`,
    [`${crm.app.rolePrefix}marketing`, used],
  );
  const result = await exportCli(["marketing_export", "--as", "mark", "--format", "csv", "--out", file("over.csv")]);
  expect(result).toMatchObject({ code: 1 });
  expect(result.stderr).toMatch(
    new RegExp(
      `^gatehouse: marketing may export 100000 rows a day; ${used} used today and this export has ${rows}; the quota resets at .* UTC\n$`,
    ),
  );
  expect(await filesLeft()).toEqual([]);
});

test("mark's export interrupted with Ctrl-C mid-stream leaves no file, no temporary file, no recorded export, and keeps the old file", async () => {
  // 90,000 more consenting customers (under the 100,000-row quota), loaded by the owner with the audit trail paused
  const client = await crm.db.pool.connect();
  try {
    await client.query("begin");
    await client.query("select gatehouse.audit_pause('export test data')");
    await client.query(`insert into crm.customers (name, industry, region, tier, stage, unit_id, consent_marketing)
      select 'Bulk ' || g, 'Retail', 'East', 'standard', 'lead', (select id from crm.org_units where name = 'East-1'), true
        from generate_series(1, 90000) g`);
    await client.query("commit");
  } finally {
    client.release();
  }
  await writeFile(file("big.csv"), "keep me\n");
  const cli = spawnCli(
    ["--config", config, "export", "marketing_export", "--as", "mark", "--format", "csv", "--out", file("big.csv")],
    env,
  );
  // mid-stream: the temporary file holds the first batch of rows
  const streaming = async () => {
    const partial = (await readdir(folder)).find((f) => f.endsWith(".partial"));
    return partial !== undefined && ((await stat(file(partial)).catch(() => undefined))?.size ?? 0) > 0;
  };
  for (const deadline = Date.now() + 60_000; !(await streaming());) {
    if (cli.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the export never streamed:\n${cli.stdout}\n${cli.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const result = await cli.interrupt();
  expect(result).toMatchObject({ code: 130, stderr: "gatehouse: export interrupted: nothing written, nothing recorded\n" });
  expect(await readFile(file("big.csv"), "utf8")).toBe("keep me\n");
  expect(await filesLeft()).toEqual(["big.csv"]);
  expect(await exportsOnRecord()).toBe(0);
}, 120_000);
