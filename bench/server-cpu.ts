import { readFile } from "node:fs/promises";
import type { Client } from "pg";

/**
 * CPU time a server backend has used so far, in nanoseconds, from `/proc/<pid>/schedstat` — only
 * when the server runs on this machine (Linux, and that pid is a postgres process); undefined
 * otherwise. Unlike wall time, it does not grow while the backend waits for a CPU, so it stays
 * meaningful on a busy machine.
 *
 * @example
 * const before = await backendCpuNs(client); // ... requests ...
 * const used = (await backendCpuNs(client))! - before!;
 */
export async function backendCpuNs(client: Client): Promise<number | undefined> {
  const pid = (client as Client & { processID?: number }).processID;
  if (!pid) return undefined;
  try {
    const command = await readFile(`/proc/${pid}/cmdline`, "utf8");
    if (!command.startsWith("postgres")) return undefined;
    const [onCpu] = (await readFile(`/proc/${pid}/schedstat`, "utf8")).split(" ");
    const ns = Number(onCpu);
    return Number.isFinite(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}
