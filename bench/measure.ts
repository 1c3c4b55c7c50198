import { isDeepStrictEqual } from "node:util";
import type { Client } from "pg";
import { compile, sql, type SQL } from "pg-sql2";
import { backendCpuNs, backendMinorFaults } from "./server-cpu";

/** One side of a comparison: a connection, the role it switches to per request, and its query. */
export interface Side {
  readonly label: "rls" | "hand";
  readonly client: Client;
  /** Database role for `set local role`. */
  readonly role: string;
  /** Becomes `jwt.claims.user_id`, as the API server sets it. */
  readonly userId: number;
  readonly query: SQL;
  /** End each request with `rollback` (a write measured without changing the data). */
  readonly write?: boolean;
}

/** Timings of both sides of one case, in milliseconds, in the order they ran. */
export interface Timings {
  readonly rls: number[];
  readonly hand: number[];
  /** Mean server CPU per measured request, per side, when the server runs on this machine. */
  cpu?: { rls: number; hand: number };
  /** Mean minor page faults of each side's backend per measured request, under the same condition. */
  faults?: { rls: number; hand: number };
}

/** Summary of a list of timings. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
}

/**
 * One request as the API server makes it: `begin; set local role …; select set_config(
 * 'jwt.claims.user_id', …, true); <query>; commit` (`rollback` for a write), timed from `begin` to
 * the end of `commit`.
 */
export async function request(side: Side): Promise<{ ms: number; rows: unknown[] }> {
  const setRole = compile(sql`set local role ${sql.identifier(side.role)}`).text;
  const query = compile(side.query);
  const started = process.hrtime.bigint();
  await side.client.query("begin");
  try {
    await side.client.query(setRole);
    await side.client.query("select set_config('jwt.claims.user_id', $1, true)", [String(side.userId)]);
    const result = await side.client.query(query.text, query.values as unknown[]);
    await side.client.query(side.write ? "rollback" : "commit");
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, rows: result.rows };
  } catch (error) {
    await side.client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/**
 * Proves the two sides equivalent on this data: both return exactly the same rows (or the
 * same count), and the rules let at least one through. Throws otherwise.
 */
export async function checkSameResult(rls: Side, hand: Side): Promise<unknown[]> {
  const [a, b] = [await request(rls), await request(hand)];
  if (!isDeepStrictEqual(a.rows, b.rows)) {
    throw new Error(
      `the hand-written query is not equivalent: RLS returned ${JSON.stringify(a.rows).slice(0, 500)}, by hand ${JSON.stringify(b.rows).slice(0, 500)}`,
    );
  }
  if (a.rows.length === 0) throw new Error("both sides returned no rows: pick a persona who sees something");
  return a.rows;
}

/**
 * Runs both sides alternately — warm-up rounds first (discarded), then `iterations` rounds in which
 * the side that goes first alternates (RLS, hand; hand, RLS; …), so neither always runs on the
 * other's warm-up — and returns the measured times, with each backend's CPU time per request when
 * it can be read.
 */
export async function alternate(
  rls: Side,
  hand: Side,
  options: { iterations: number; warmup: number; onRound?: () => void },
): Promise<Timings> {
  const timings: Timings = { rls: [], hand: [] };
  const cpu = () => Promise.all([backendCpuNs(rls.client), backendCpuNs(hand.client)]);
  const faults = () => Promise.all([backendMinorFaults(rls.client), backendMinorFaults(hand.client)]);
  let cpuBefore: (number | undefined)[] = [];
  let faultsBefore: (number | undefined)[] = [];
  for (let round = 0; round < options.warmup + options.iterations; round++) {
    if (round === options.warmup) [cpuBefore, faultsBefore] = [await cpu(), await faults()];
    const order = round % 2 === 0 ? [rls, hand] : [hand, rls];
    for (const side of order) {
      const { ms } = await request(side);
      if (round >= options.warmup) timings[side.label].push(ms);
    }
    options.onRound?.();
  }
  const [cpuAfter, faultsAfter] = [await cpu(), await faults()];
  const perRequest = (before: (number | undefined)[], after: (number | undefined)[], scale: number) =>
    [...before, ...after].every((n) => n !== undefined)
      ? {
          rls: (after[0]! - before[0]!) / scale / options.iterations,
          hand: (after[1]! - before[1]!) / scale / options.iterations,
        }
      : undefined;
  const cpuPerRequest = perRequest(cpuBefore, cpuAfter, 1e6);
  const faultsPerRequest = perRequest(faultsBefore, faultsAfter, 1);
  if (cpuPerRequest) timings.cpu = cpuPerRequest;
  if (faultsPerRequest) timings.faults = faultsPerRequest;
  return timings;
}

/** `EXPLAIN (ANALYZE, BUFFERS)` of a side's query, run inside the same request shape. */
export async function explain(side: Side): Promise<string> {
  const { rows } = await request({ ...side, query: sql`explain (analyze, buffers, settings) ${side.query}` });
  return (rows as { "QUERY PLAN": string }[]).map((row) => row["QUERY PLAN"]).join("\n");
}

/**
 * Median and quartiles, interpolated between the nearest ranks.
 *
 * @example
 * summarize([4, 1, 2, 3]) // { n: 4, median: 2.5, p25: 1.75, p75: 3.25 }
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("summarize: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.ceil(position);
    return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
  };
  return { n: sorted.length, median: at(0.5), p25: at(0.25), p75: at(0.75) };
}
