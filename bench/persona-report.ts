import type { PersonaCase } from "./persona-expectations";
import type { PersonaTally } from "./persona-drive";

/** Everything the report says besides the tallies. */
export interface PersonaLoadInfo {
  readonly date: Date;
  readonly smoke: boolean;
  readonly server: string;
  readonly clients: number;
  readonly seconds: number;
  readonly poolMax: number;
  readonly cpus: number;
  readonly load: { readonly before: string; readonly after: string };
}

/** The nearest-rank percentile of `values` (ms); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The totals over every persona. */
export function totals(tallies: ReadonlyMap<string, PersonaTally>) {
  const all = [...tallies.values()];
  const sum = (f: (t: PersonaTally) => number) => all.reduce((n, t) => n + f(t), 0);
  const latencies = all.flatMap((t) => t.latencies);
  return {
    requests: sum((t) => t.requests),
    errors: sum((t) => t.errors),
    mismatches: sum((t) => t.mismatches),
    foreignRows: sum((t) => t.foreignRows),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

const ms = (n: number) => n.toFixed(1);
const rate = (errors: number, requests: number) => (requests === 0 ? "–" : `${((100 * errors) / requests).toFixed(2)} %`);

/** The markdown report of one persona load run. */
export function renderPersonaReport(
  info: PersonaLoadInfo,
  cases: readonly PersonaCase[],
  tallies: ReadonlyMap<string, PersonaTally>,
): string {
  const t = totals(tallies);
  const verdict = t.mismatches === 0 && t.foreignRows === 0 && t.errors === 0 ? "PASS" : "FAIL";
  const queriesOf = (label: string) =>
    cases
      .filter((c) => c.persona.label === label)
      .map((c) => c.query.key)
      .join(", ");
  const rows = [...tallies.entries()].map(
    ([label, x]) =>
      `| ${label} | ${x.requests} | ${rate(x.errors, x.requests)} | ${x.mismatches} | ${x.foreignRows} | ${ms(percentile(x.latencies, 50))} | ${ms(percentile(x.latencies, 95))} | ${ms(percentile(x.latencies, 99))} | ${queriesOf(label)} |`,
  );
  const problems = [...tallies.entries()].flatMap(([label, x]) => x.samples.map((s) => `- ${label}: ${s}`));
  return [
    `# Persona load (\`npm run bench:load\`)${info.smoke ? " — smoke" : ""}`,
    "",
    `**${verdict}**: ${t.requests.toLocaleString("en")} requests from ${info.clients} concurrent clients in ${info.seconds} s ` +
      `(${(t.requests / info.seconds).toFixed(0)} req/s) as ${tallies.size} personas; ${t.mismatches} answers differing from the persona's own, ` +
      `${t.foreignRows} holding another persona's rows, error rate ${rate(t.errors, t.requests)}; latency p50 ${ms(t.p50)} ms, p95 ${ms(t.p95)} ms, p99 ${ms(t.p99)} ms.`,
    "",
    `- Date: ${info.date.toISOString()}`,
    `- Database: ${info.server}; the CRM demo database (schema, compiled security under a unique role prefix, demo seed) made with \`createAppDatabase\``,
    `- API: the real server (\`serveUntilSignal\`, what \`gatehouse serve\` runs) in its own process, NODE_ENV=production, DB_POOL_MAX=${info.poolMax}, PREPARED_STATEMENTS=${process.env.PREPARED_STATEMENTS === "off" ? "off" : "on (default)"}`,
    `- Load: ${info.clients} clients in the bench process (Node fetch), each sending its next request as soon as the last is answered, for ${info.seconds} s; the cases — every persona × the queries it may send — taken round-robin, so the clients act as different personas side by side`,
    `- Expectations: each persona's answer to each query, sent alone before the load; every answer under load is compared with it (lists as sets of nodes). "Other persona's rows": an answer holding a row (\`field:rowId\`) its persona's own answer lacks`,
    `- Machine: ${info.cpus} CPUs shared by PostgreSQL, the API process and the load clients (and other work: load average ${info.load.before} before, ${info.load.after} after). Latency is wall time at the client and includes queueing for the server's ${info.poolMax} database connections: read it as this machine's, not as the API's cost`,
    "",
    "| persona (role) | requests | error rate | mismatches | other persona's rows | p50 ms | p95 ms | p99 ms | queries |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows,
    `| **all** | **${t.requests}** | **${rate(t.errors, t.requests)}** | **${t.mismatches}** | **${t.foreignRows}** | **${ms(t.p50)}** | **${ms(t.p95)}** | **${ms(t.p99)}** | |`,
    "",
    ...(problems.length > 0 ? ["## First problems", "", ...problems, ""] : []),
  ].join("\n");
}
