import { readFile } from "node:fs/promises";
import type { Client } from "pg";

/** CPU time (ns) each process has used so far, from `/proc/<pid>/schedstat`; a pid that is gone (or not Linux) is left out. */
export async function cpuNs(pids: readonly number[]): Promise<Map<number, number>> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    try {
      const ns = Number((await readFile(`/proc/${pid}/schedstat`, "utf8")).split(" ")[0]);
      if (Number.isFinite(ns)) used.set(pid, ns);
    } catch {
      // gone, or no /proc
    }
  }
  return used;
}

/** CPU used between two {@link cpuNs} readings by the pids present in both, ms; undefined when none is. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number | undefined {
  let ns = 0;
  let seen = false;
  for (const [pid, start] of before) {
    const end = after.get(pid);
    if (end === undefined) continue;
    ns += end - start;
    seen = true;
  }
  return seen ? ns / 1e6 : undefined;
}

/** Pids of the backends a server with `applicationName` holds on `database` (when the cluster runs on this machine). */
export async function backendPids(root: Client, database: string, applicationName: string): Promise<number[]> {
  const { rows } = await root.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = $1 and application_name = $2",
    [database, applicationName],
  );
  return rows.map((r) => r.pid);
}
