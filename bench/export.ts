/**
 * The export benchmark: `gatehouse export marketing_export --as mark` at several sizes, each run in a child
 * process as a user would run it; reports the child's peak RSS and rows per second, to show that an export
 * runs in constant memory. `npm run bench:export -- --help` for the options; bench/README.md for what it measures.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { Client } from "pg";
import { compileAndApply, EXPORT_BATCH, roleName, withClient, connectionUrl, literal, sql, toDdl } from "../db";
import { openBenchCluster } from "./cluster";
import { exportBenchApp } from "./export-app";

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "bin/gatehouse.js");
const RSS_PRELOAD = path.join(__dirname, "report-rss.cjs");
const SCHEMA_MIGRATION = path.join(ROOT, "migrations/committed/000001-crm-schema.sql");
const LATEST_REPORT = path.join(__dirname, "results/export-latest.md");

const FULL_SIZES = [10_000, 100_000, 1_000_000];
/**
 * The second run of every size caps V8's old space here. Left alone, V8 grows its heap with the allocation rate
 * before it collects (the export allocates ~10,000 rows a batch), so peak RSS climbs to a plateau that says more
 * about the collector than about what the export keeps; under a cap the export must live in it.
 */
const HEAP_CAP_MB = 64;
const SMOKE_SIZES = [1_000, 5_000];

interface Options {
  sizes: number[];
  format: "csv" | "jsonl";
  smoke: boolean;
  out?: string;
}

/** One export measured. */
interface Measurement {
  rows: number;
  seconds: number;
  peakRssKb: number;
  fileBytes: number;
  /** The same export with the old space capped at {@link HEAP_CAP_MB}. */
  capped: { seconds: number; peakRssKb: number };
}

const whole = (value: string, previous: number[] | undefined) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return [...(previous ?? []), n];
};

function parseOptions(argv: string[]): Options {
  const program = new Command("bench:export")
    .description("peak memory and speed of gatehouse export at several sizes (bench/README.md)")
    .option("--smoke", `tiny sizes (${SMOKE_SIZES.join(", ")} rows), to prove the harness works`, false)
    .option("--size <rows>", `rows to export; repeat for several (default ${FULL_SIZES.join(", ")})`, whole)
    .addOption(new Option("--format <format>", "file format").choices(["csv", "jsonl"]).default("csv"))
    .option("--out <file>", `also write the report here (it always goes to ${path.relative(process.cwd(), LATEST_REPORT)})`)
    .showHelpAfterError()
    .parse(argv);
  const given = program.opts<{ smoke: boolean; size?: number[]; format: "csv" | "jsonl"; out?: string }>();
  return {
    smoke: given.smoke,
    sizes: given.size ?? (given.smoke ? SMOKE_SIZES : FULL_SIZES),
    format: given.format,
    ...(given.out ? { out: given.out } : {}),
  };
}

/**
 * A database holding `rows` customers marketing may export (consenting, live, not VIP) and one marketing user,
 * mark; the CRM's rules compiled after the load (so no trigger runs per loaded row) under the benchmark's prefix.
 * Reused when it already holds that many customers. The authenticator gets a new random password.
 */
async function prepareDatabase(adminUrl: string, rows: number, log: (line: string) => void) {
  const name = `gatehouse_bench_export_${rows}`;
  const url = connectionUrl(adminUrl, { database: name });
  const exists = await withClient(
    adminUrl,
    async (admin) => (await admin.query("select 1 from pg_database where datname = $1", [name])).rowCount === 1,
  );
  const loaded =
    exists &&
    (await withClient(url, async (c) =>
      c
        .query<{ n: string }>("select count(*) as n from crm.customers")
        .then((r) => Number(r.rows[0]!.n) === rows)
        .catch(() => false),
    ));
  if (!loaded) {
    log(`loading ${rows} customers into ${name}`);
    await withClient(adminUrl, async (admin) => {
      await admin.query(toDdl(sql`drop database if exists ${sql.identifier(name)}`));
      await admin.query(toDdl(sql`create database ${sql.identifier(name)}`));
    });
    await withClient(url, async (c) => {
      await c.query(await readFile(SCHEMA_MIGRATION, "utf8"));
      await c.query("insert into crm.org_units (id, name) values (1, 'Acme')");
      await c.query("insert into crm.users (id, username, full_name, unit_id) values (1, 'mark', 'Mark Dubois', 1)");
      await c.query("insert into crm.user_roles (user_id, role) values (1, 'marketing')");
      await c.query(
        `insert into crm.customers (name, industry, region, stage, unit_id, consent_marketing, created_at)
         select 'Customer ' || g, (array['Retail', 'Software', 'Food', 'Media'])[1 + g % 4], (array['East', 'West'])[1 + g % 2],
                (array['lead', 'qualified', 'won'])[1 + g % 3], 1, true, timestamptz '2020-01-01' + (g % 1500) * interval '1 day'
           from generate_series(1, $1::int) g`,
        [rows],
      );
    });
  }
  const password = randomBytes(12).toString("hex");
  await withClient(url, async (c) => {
    await compileAndApply(c, exportBenchApp);
    await c.query(
      toDdl(
        sql`alter role ${sql.identifier(roleName(exportBenchApp, exportBenchApp.authenticator))} password ${literal(password)}`,
      ),
    );
    await c.query("vacuum analyze crm.customers");
  });
  return {
    url,
    authenticatorUrl: connectionUrl(url, { user: roleName(exportBenchApp, exportBenchApp.authenticator), password }),
  };
}

/** Runs `gatehouse export` in a child process and measures it: wall time, the child's peak RSS, the file's size. */
async function measure(
  folder: string,
  config: string,
  db: { url: string; authenticatorUrl: string },
  rows: number,
  format: string,
  nodeOptions: readonly string[] = [],
): Promise<Omit<Measurement, "capped">> {
  const out = path.join(folder, `export-${rows}.${format}`);
  const rssFile = path.join(folder, `rss-${rows}`);
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      ...nodeOptions,
      "-r",
      RSS_PRELOAD,
      BIN,
      "--config",
      config,
      "export",
      "marketing_export",
      "--as",
      "mark",
      "--format",
      format,
      "--out",
      out,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, AUTHENTICATOR_DATABASE_URL: db.authenticatorUrl, BENCH_RSS_FILE: rssFile },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0 || !output.includes(`exported ${rows} rows of marketing_export`))
    throw new Error(`the export of ${rows} rows failed (exit ${code}):\n${output}`);
  const measurement = {
    rows,
    seconds,
    peakRssKb: Number(await readFile(rssFile, "utf8")),
    fileBytes: (await stat(out)).size,
  };
  await rm(out);
  return measurement;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function renderReport(options: Options, source: string, server: string, results: Measurement[]): string {
  const growth = (rss: number[]) => (Math.max(...rss) / Math.min(...rss)).toFixed(2);
  const largest = results[results.length - 1]!;
  const rate = (rows: number, seconds: number) => Math.round(rows / seconds).toLocaleString("en");
  return `# Export benchmark

\`npm run bench:export${options.smoke ? " -- --smoke" : ""}\`: \`gatehouse export marketing_export --as mark --format ${options.format}\`,
each size in a child process, twice: as is, and with V8's old space capped at ${HEAP_CAP_MB} MB
(\`node --max-old-space-size=${HEAP_CAP_MB}\`). Node ${process.version}, ${source}, PostgreSQL ${server}; the cursor
fetches ${EXPORT_BATCH.toLocaleString("en")} rows at a time. Wall time includes the CLI's start (tsx, the config, two
connections, about a second), so rows per second understates the streaming rate at small sizes.

| rows | wall (s) | rows/s | peak RSS (MB) | capped: wall (s) | capped: rows/s | capped: peak RSS (MB) | file (MB) |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${results
  .map(
    (r) =>
      `| ${r.rows.toLocaleString("en")} | ${r.seconds.toFixed(2)} | ${rate(r.rows, r.seconds)} | ${mb(r.peakRssKb * 1024)} | ${r.capped.seconds.toFixed(2)} | ${rate(r.rows, r.capped.seconds)} | ${mb(r.capped.peakRssKb * 1024)} | ${mb(r.fileBytes)} |`,
  )
  .join("\n")}

Peak RSS, largest size over smallest, for ${(largest.rows / results[0]!.rows).toLocaleString("en")}× the rows: ${growth(results.map((r) => r.peakRssKb))}× as is,
${growth(results.map((r) => r.capped.peakRssKb))}× with the heap capped (the file at ${largest.rows.toLocaleString("en")} rows is ${mb(largest.fileBytes)} MB).
`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const log = (line: string) => console.error(`bench:export: ${line}`);
  const cluster = await openBenchCluster();
  const folder = await mkdtemp(path.join(tmpdir(), "gatehouse-bench-export-"));
  try {
    const config = path.join(folder, "gatehouse.config.ts");
    await writeFile(
      config,
      `import base from ${JSON.stringify(path.join(ROOT, "gatehouse.config"))};
import { defineConfig } from ${JSON.stringify(path.join(ROOT, "db/config"))};
import { exportBenchApp } from ${JSON.stringify(path.join(__dirname, "export-app"))};
export default defineConfig({ ...base, app: exportBenchApp });
`,
    );
    const server = await withClient(
      cluster.adminUrl,
      async (c: Client) => (await c.query("show server_version")).rows[0].server_version as string,
    );
    const results: Measurement[] = [];
    for (const rows of options.sizes) {
      const db = await prepareDatabase(cluster.adminUrl, rows, log);
      const free = await measure(folder, config, db, rows, options.format);
      const capped = await measure(folder, config, db, rows, options.format, [`--max-old-space-size=${HEAP_CAP_MB}`]);
      log(
        `${rows} rows: ${free.seconds.toFixed(2)} s, peak RSS ${mb(free.peakRssKb * 1024)} MB; ` +
          `heap capped at ${HEAP_CAP_MB} MB: ${capped.seconds.toFixed(2)} s, peak RSS ${mb(capped.peakRssKb * 1024)} MB`,
      );
      results.push({ ...free, capped: { seconds: capped.seconds, peakRssKb: capped.peakRssKb } });
    }
    const report = renderReport(options, cluster.source, server, results);
    await mkdir(path.dirname(LATEST_REPORT), { recursive: true });
    await writeFile(LATEST_REPORT, report);
    if (options.out) await writeFile(options.out, report);
    console.log(report);
    return 0;
  } finally {
    await rm(folder, { recursive: true, force: true });
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `bench:export: ${error.message}` : error);
    process.exit(1);
  },
);
