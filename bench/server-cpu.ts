import { readFile } from "node:fs/promises";
import type { Client } from "pg";

/** The pid of the backend behind `client` when it is a postgres process on this machine (Linux); undefined otherwise. */
async function localBackend(client: Client): Promise<number | undefined> {
  const pid = (client as Client & { processID?: number }).processID;
  if (!pid) return undefined;
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).startsWith("postgres") ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A number read from a file of `/proc/<pid>/`, or undefined when it cannot be read. */
async function procNumber(pid: number, file: string, pick: (text: string) => string | undefined): Promise<number | undefined> {
  try {
    const n = Number(pick(await readFile(`/proc/${pid}/${file}`, "utf8")));
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

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
  const pid = await localBackend(client);
  return pid === undefined ? undefined : procNumber(pid, "schedstat", (text) => text.split(" ")[0]);
}

/**
 * Minor page faults a server backend has taken so far (`minflt` of `/proc/<pid>/stat`), under the same conditions as
 * {@link backendCpuNs}. A backend faults when it touches memory for the first time: shared buffers new to it, and
 * memory the C library handed back to the kernel after the previous statement and asks for again.
 *
 * @example
 * const before = await backendMinorFaults(client); // ... requests ...
 * const faults = (await backendMinorFaults(client))! - before!;
 */
export async function backendMinorFaults(client: Client): Promise<number | undefined> {
  const pid = await localBackend(client);
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt …": the fields after the command's closing parenthesis
  return pid === undefined ? undefined : procNumber(pid, "stat", (text) => text.slice(text.lastIndexOf(")") + 2).split(" ")[7]);
}
