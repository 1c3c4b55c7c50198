import { API_TARGET, type ApiCase } from "./api-workload";
import type { LoadResult } from "./load";
import { summarize } from "./measure";

/** How the roles treat row security during a run. */
export type Mode = "rules" | "bypass";

/** One measured run of one case: which mode, in which round, what it measured, and the server CPU it used. */
export interface CaseRun {
  readonly mode: Mode;
  readonly round: number;
  readonly load: LoadResult;
  /** CPU per request (ms) of the API process and of the database backends, when both run on this machine. */
  readonly cpu?: { readonly api: number; readonly db: number };
}

/** A case with its runs and the response both modes returned. */
export interface CaseOutcome {
  readonly apiCase: ApiCase;
  readonly runs: readonly CaseRun[];
  /** The response body, identical in both modes (checked on every server before it was measured). */
  readonly response: string;
}

/** Everything the report shows besides the cases. */
export interface ApiRunInfo {
  readonly date: Date;
  readonly smoke: boolean;
  readonly server: string;
  readonly data: string;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly poolMax: number;
  /** PREPARED_STATEMENTS as the servers got it: named prepared statements (PostGraphile's default) or every query unnamed. */
  readonly preparedStatements: boolean;
  readonly load: { readonly before: string; readonly after: string };
  /** `--pin`: the load generator and the API server on CPU 0, the database on CPU 1. */
  readonly pinned: boolean;
}

const median = (values: readonly number[]) => summarize(values).median;
const of = (outcome: CaseOutcome, mode: Mode) => outcome.runs.filter((r) => r.mode === mode);

/** Median requests a second of a mode. */
const rps = (outcome: CaseOutcome, mode: Mode) => median(of(outcome, mode).map((r) => r.load.rps));

/** Throughput under the rules over throughput with the bypass (medians of the runs). */
export const throughputRatio = (outcome: CaseOutcome): number => rps(outcome, "rules") / rps(outcome, "bypass");

/** PASS when the ratio reaches {@link API_TARGET}. */
export const apiVerdict = (outcome: CaseOutcome): "PASS" | "MISS" => (throughputRatio(outcome) >= API_TARGET ? "PASS" : "MISS");

/** Non-2xx responses, errors and mismatched bodies of every run of the case. */
export const failures = (outcome: CaseOutcome): number =>
  outcome.runs.reduce((sum, r) => sum + r.load.non2xx + r.load.errors + r.load.mismatches, 0);

const ms = (value: number) => value.toFixed(1);
const latency = (runs: readonly CaseRun[], q: "p50" | "p95" | "p99") => ms(median(runs.map((r) => r.load.latency[q])));
const cpu = (runs: readonly CaseRun[], part: "api" | "db") => {
  const values = runs.flatMap((r) => (r.cpu ? [r.cpu[part]] : []));
  return values.length === runs.length ? median(values) : undefined;
};
const cpuRatio = (outcome: CaseOutcome, part: "api" | "db") => {
  const rules = cpu(of(outcome, "rules"), part);
  const bypass = cpu(of(outcome, "bypass"), part);
  return rules === undefined || bypass === undefined ? "n/a" : `${(rules / bypass).toFixed(2)}×`;
};
const cpuCell = (runs: readonly CaseRun[]) => {
  const api = cpu(runs, "api");
  const db = cpu(runs, "db");
  return api === undefined || db === undefined ? "n/a" : `${api.toFixed(2)} / ${db.toFixed(2)}`;
};

function modeRow(outcome: CaseOutcome, mode: Mode): string {
  const runs = of(outcome, mode);
  const sum = (key: "ok" | "non2xx" | "errors" | "mismatches") => runs.reduce((s, r) => s + r.load[key], 0);
  return `| ${mode === "rules" ? "under the rules" : "roles BYPASSRLS"} | ${rps(outcome, mode).toFixed(0)} | ${latency(runs, "p50")} | ${latency(runs, "p95")} | ${latency(runs, "p99")} | ${sum("ok")} | ${sum("non2xx")} / ${sum("errors")} / ${sum("mismatches")} | ${cpuCell(runs)} |`;
}

function runRows(outcome: CaseOutcome): string {
  return outcome.runs
    .map(
      (r) =>
        `| ${r.round + 1} | ${r.mode} | ${r.load.rps.toFixed(0)} | ${ms(r.load.latency.p50)} | ${ms(r.load.latency.p95)} | ${ms(r.load.latency.p99)} | ${r.load.non2xx + r.load.errors + r.load.mismatches} |`,
    )
    .join("\n");
}

function describeResponse(response: string): string {
  const data = (JSON.parse(response) as { data: Record<string, { nodes: { rowId: string }[] }> }).data;
  const nodes = Object.values(data)[0]!.nodes;
  return `${nodes.length} rows, rowIds ${nodes.map((n) => n.rowId).join(", ")}`;
}

function caseSection(outcome: CaseOutcome): string {
  const c = outcome.apiCase;
  return `## ${c.title}

Persona: user ${c.persona.userId} (${c.persona.role}), ${c.persona.why}.

\`\`\`graphql
${c.query}
\`\`\`

Variables: \`${JSON.stringify(c.variables)}\`. Same response in both modes because ${c.sameInBothModes}; checked on every server before measuring: ${describeResponse(outcome.response)}.

| mode | requests/s (median) | p50 ms | p95 ms | p99 ms | 2xx responses | non-2xx / errors / mismatches | CPU ms per request: API / database |
|---|---|---|---|---|---|---|---|
${modeRow(outcome, "rules")}
${modeRow(outcome, "bypass")}

Throughput ratio ${throughputRatio(outcome).toFixed(3)}× (target ≥ ${API_TARGET.toFixed(2)}×): **${apiVerdict(outcome)}**; CPU ratio API ${cpuRatio(outcome, "api")}, database ${cpuRatio(outcome, "db")}.

| round | mode | requests/s | p50 ms | p95 ms | p99 ms | failures |
|---|---|---|---|---|---|---|
${runRows(outcome)}
`;
}

/**
 * The report, in Markdown: setup, a summary table (throughput of both modes, the ratio against the target,
 * latency under the rules, failures), then per case the request, why both modes agree, and every run.
 */
export function renderApiReport(info: ApiRunInfo, outcomes: readonly CaseOutcome[]): string {
  const rows = outcomes.map((o) => {
    const rules = of(o, "rules");
    return `| ${o.apiCase.title} | ${rps(o, "rules").toFixed(0)} | ${rps(o, "bypass").toFixed(0)} | ${throughputRatio(o).toFixed(3)}× | ≥ ${API_TARGET.toFixed(2)}× | ${apiVerdict(o)} | ${latency(rules, "p50")} / ${latency(rules, "p95")} / ${latency(rules, "p99")} | ${latency(of(o, "bypass"), "p50")} / ${latency(of(o, "bypass"), "p95")} / ${latency(of(o, "bypass"), "p99")} | ${failures(o)} | ${cpuRatio(o, "db")} |`;
  });
  return `# Through the API: the rules vs. the same server with the roles bypassing them${info.smoke ? " (smoke size: the numbers mean nothing)" : ""}

- Date: ${info.date.toISOString()}
- Server: ${info.server}
- Data: ${info.data}
- Prepared statements: ${info.preparedStatements ? "on (PostGraphile's default: PostgreSQL may switch a query to a generic plan after five executions)" : "off (PREPARED_STATEMENTS=off: every query unnamed, planned with its values)"}
- Machine: load average ${info.load.before} before, ${info.load.after} after (${info.pinned ? "pinned with `--pin`: the load generator and the API server on CPU 0, the database server and every backend it starts on CPU 1" : "not pinned: the API server, its database backends and the load generator share the machine's CPUs with whatever else runs"})
- Method: the API server (\`serveUntilSignal\`, what \`gatehouse serve\` runs; NODE_ENV=production, a pool of ${info.poolMax} database connections) in a process of its own on 127.0.0.1, driven by autocannon with ${info.connections} connections, ${info.seconds} s per case and run after ${info.warmupSeconds} s of warm-up, with real tokens (HS256, signed in process for the generated users). Each run starts a fresh server: the roles' BYPASSRLS is read when a statement is planned and prepared statements keep their plans, so a server must not live across a switch. Runs alternate between the modes (${info.rounds} round${info.rounds === 1 ? "" : "s"}, which mode goes first alternating; the first run is under the rules); numbers are medians over the runs. Before a server is measured, its responses are compared with the first server's: any difference stops the run with no number reported. During the runs, every 2xx body is compared with that response too: a different one counts as a mismatch. CPU per request is from \`/proc/<pid>/schedstat\` of the API process and of its database backends (when the database runs on this machine).

| case | req/s rules | req/s bypass | ratio | target | | latency rules p50/p95/p99 ms | latency bypass p50/p95/p99 ms | failures | database CPU ratio |
|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

${outcomes.map(caseSection).join("\n")}`;
}
