import { compile } from "pg-sql2";
import type { BenchCase } from "./workload";
import type { Summary } from "./measure";

/** What one case measured. */
export interface CaseResult {
  readonly benchCase: BenchCase;
  readonly rounds: { readonly warmup: number; readonly measured: number };
  readonly roles: { readonly rls: string; readonly hand: string };
  readonly rls: Summary;
  readonly hand: Summary;
  /** Mean server CPU per request (ms), when the server runs on this machine. */
  readonly cpu?: { readonly rls: number; readonly hand: number };
  /** Mean minor page faults of each side's backend per request, under the same condition. */
  readonly faults?: { readonly rls: number; readonly hand: number };
  /** What both sides returned (checked equal before measuring). */
  readonly result: unknown[];
  readonly plans: { readonly rls: string; readonly hand: string };
}

/** Everything the report shows besides the cases. */
export interface RunInfo {
  readonly date: Date;
  readonly smoke: boolean;
  /** What an experiment changed by hand, when it did. */
  readonly note?: string;
  readonly server: { readonly version: string; readonly source: string; readonly settings: Record<string, string> };
  readonly data: string;
  /** How client and server were placed on CPUs (`--pin`), in words. */
  readonly pinning: string;
}

/**
 * `ratio ≤ target`, on the server CPU ratio when it was measured (the issue's targets are about it; it
 * does not grow while a backend waits for a CPU), on the wall-time ratio otherwise — and when either
 * plan is parallel, since the CPU of parallel workers is not counted.
 */
export const verdict = (result: CaseResult): "PASS" | "MISS" =>
  judgedRatio(result) <= result.benchCase.target ? "PASS" : "MISS";

/** RLS median over hand-written median. */
export const ratioOf = (result: CaseResult): number => result.rls.median / result.hand.median;

/** RLS server CPU over hand-written server CPU, when measured. */
export const cpuRatioOf = (result: CaseResult): number | undefined => (result.cpu ? result.cpu.rls / result.cpu.hand : undefined);

/** Whether either side ran a parallel plan (its workers' CPU is not in the backend's figure). */
export const parallelOf = (result: CaseResult): boolean =>
  result.plans.rls.includes("Workers Launched") || result.plans.hand.includes("Workers Launched");

const judgedRatio = (result: CaseResult) => (parallelOf(result) ? ratioOf(result) : (cpuRatioOf(result) ?? ratioOf(result)));
const judgedOn = (result: CaseResult) => (parallelOf(result) ? "wall" : result.cpu ? "CPU" : "wall");

const ms = (value: number) => `${value.toFixed(3)} ms`;
const spread = (s: Summary) => `${ms(s.median)} (${s.p25.toFixed(3)}–${s.p75.toFixed(3)})`;
/** A parallel plan's workers are other processes: their CPU is not counted. */
const cpuCell = (r: CaseResult, side: "rls" | "hand") =>
  r.cpu ? `${ms(r.cpu[side])}${r.plans[side].includes("Workers Launched") ? " (leader only: parallel plan)" : ""}` : "n/a";
const cpuRatio = (r: CaseResult) => (r.cpu ? `${cpuRatioOf(r)!.toFixed(3)}×` : "n/a");
/** Minor page faults of the backend per request: memory it touches afresh each time costs CPU the plan does not show. */
const faultsCell = (r: CaseResult, side: "rls" | "hand") => (r.faults ? r.faults[side].toFixed(1) : "n/a");
const fence = (language: string, text: string) => `\`\`\`${language}\n${text.trim()}\n\`\`\``;

/** The query as sent: its text, then its parameters. */
function querySection(query: BenchCase["rls"]): string {
  const { text, values } = compile(query);
  const parameters = values.map((value, i) => `$${i + 1} = ${JSON.stringify(value)}`).join(", ");
  return `${fence("sql", text)}\n\nParameters: ${parameters || "none"}.`;
}

function describeResult(result: unknown[]): string {
  if (result.length === 1 && result[0] && typeof result[0] === "object" && "count" in result[0]) {
    return `count = ${String((result[0] as { count: unknown }).count)}`;
  }
  const ids = result.slice(0, 20).map((row) => (row as { id: unknown }).id);
  return `${result.length} rows, ids ${ids.join(", ")}${result.length > ids.length ? ", …" : ""}`;
}

function caseSection(result: CaseResult): string {
  const { benchCase: c, roles } = result;
  return `## ${c.title}

Persona: user ${c.persona.userId} (unit ${c.persona.unitId}), ${c.persona.why}.
Rounds: ${result.rounds.warmup} warm-up, ${result.rounds.measured} measured.

| side | role | median (p25–p75) | server CPU per request | minor page faults per request |
|---|---|---|---|---|
| under the rules | \`${roles.rls}\` (through the authenticator) | ${spread(result.rls)} | ${cpuCell(result, "rls")} | ${faultsCell(result, "rls")} |
| by hand | \`${roles.hand}\` (BYPASSRLS) | ${spread(result.hand)} | ${cpuCell(result, "hand")} | ${faultsCell(result, "hand")} |

Server CPU ratio ${cpuRatio(result)}, wall-time ratio ${ratioOf(result).toFixed(3)}×, against a target of ≤ ${c.target.toFixed(2)}× on the ${judgedOn(result) === "CPU" ? "server CPU ratio" : `wall-time ratio (${parallelOf(result) ? "a parallel plan: its workers' CPU is not counted" : "the server CPU could not be read"})`}: **${verdict(result)}**.${c.write ? " Each request was rolled back." : ""}
Both sides returned the same result before timing: ${describeResult(result.result)}.

### Query under the rules

${querySection(c.rls)}

### The same query by hand

${querySection(c.hand)}

Why the filter is equivalent:

${c.equivalence}

### Plan under the rules

${fence("", result.plans.rls)}

### Plan by hand

${fence("", result.plans.hand)}
`;
}

/**
 * The whole report, in Markdown: setup, a summary table with PASS/MISS, then per case the
 * queries, why they are equivalent, and both plans.
 */
export function renderReport(info: RunInfo, results: readonly CaseResult[]): string {
  const rows = results.map(
    (r) =>
      `| \`${r.benchCase.key}\` | ${r.benchCase.title} | ${ms(r.rls.median)} | ${ms(r.hand.median)} | ${ratioOf(r).toFixed(3)}× | ${cpuRatio(r)} | ≤ ${r.benchCase.target.toFixed(2)}× ${judgedOn(r)} | ${verdict(r)} |`,
  );
  const settings = Object.entries(info.server.settings)
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");
  return `# Row security vs. the same filter by hand${info.smoke ? " (smoke size: the ratios mean nothing)" : ""}

${info.note ? `> **Experiment:** ${info.note}\n\n` : ""}- Date: ${info.date.toISOString()}
- Server: ${info.server.version} (${info.server.source}); ${settings}
- Data: ${info.data}
- Pinning: ${info.pinning}
- Method: every request is one transaction as the API server runs it — \`begin\`, \`set local role\`, \`select set_config('jwt.claims.user_id', …, true)\`, the query, \`commit\` — timed in the client from \`begin\` to the end of \`commit\`, on one open connection per side. Warm-up rounds first, then the measured rounds (numbers per case); each round runs both sides, and which goes first alternates. Times are medians with the interquartile range. Server CPU per request is the mean CPU time each side's backend used over the measured rounds (from \`/proc/<pid>/schedstat\`, when the server runs on this machine): unlike wall time, it does not grow while the backend waits for a CPU on a busy machine, and it leaves out the client and the round trips. Minor page faults per request are each backend's over the same rounds (\`minflt\` of \`/proc/<pid>/stat\`): memory a backend touches afresh on every request (what the C library gave back to the kernel after the last one) costs CPU that no plan shows.

Targets are on the server CPU ratio ("CPU"), or on the wall-time ratio ("wall") where a plan is parallel (the workers' CPU is not counted) or the server CPU could not be read.

| key | case | under the rules | by hand | wall ratio | server CPU ratio | target | |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}

${results.map(caseSection).join("\n")}`;
}
