import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Client } from "pg";

/** Set in the re-executed, pinned benchmark process. */
const PINNED_ENV = "GATEHOUSE_BENCH_PINNED_CPU";

/** Whether `taskset` (util-linux) can be run here. */
export function hasTaskset(): boolean {
  return spawnSync("taskset", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Runs this benchmark again under `taskset -c <cpu>` (so the client, and an embedded server it starts,
 * run on that CPU only) and resolves to the child's exit code; undefined when this process is that
 * child already, which then goes on measuring.
 *
 * @example
 * const code = pinSelf(0); if (code !== undefined) process.exit(code);
 */
export function pinSelf(cpu: number): number | undefined {
  if (process.env[PINNED_ENV] === String(cpu)) return undefined;
  if (!hasTaskset()) throw new Error("--pin needs taskset (util-linux): install it, or run without --pin");
  const child = spawnSync("taskset", ["-c", String(cpu), process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, [PINNED_ENV]: String(cpu) },
  });
  return child.status ?? 1;
}

/**
 * Pins the server backends of these connections to `cpu` too (`taskset -pc`), when they run on this
 * machine: the backends of a cluster this process did not start do not inherit its affinity. Returns
 * how many it pinned.
 */
export function pinBackends(clients: readonly Client[], cpu: number): number {
  let pinned = 0;
  for (const client of clients) {
    const pid = (client as Client & { processID?: number }).processID;
    try {
      if (!pid || !readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("postgres")) continue;
      execFileSync("taskset", ["-pc", String(cpu), String(pid)], { stdio: "ignore" });
      pinned++;
    } catch {
      // not ours to pin (another user's process, or gone): the report says what was pinned
    }
  }
  return pinned;
}

/**
 * Pins the database server that `client` is connected to — its postmaster, so every backend it starts from now on —
 * to `cpu`, when it runs on this machine. Resolves to a function that gives the postmaster back the CPUs it had, or
 * undefined when it is not ours to pin (another machine, another user's process).
 *
 * @example
 * const restore = await pinPostmaster(root, 1); try { ... } finally { restore?.(); }
 */
export async function pinPostmaster(client: Client, cpu: number): Promise<(() => void) | undefined> {
  const { rows } = await client.query<{ pid: number }>("select pg_catalog.pg_backend_pid() as pid");
  try {
    const stat = readFileSync(`/proc/${rows[0]!.pid}/stat`, "utf8");
    // "pid (comm) state ppid …": the fields after the command's closing parenthesis
    const postmaster = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]!;
    const program = readFileSync(`/proc/${postmaster}/cmdline`, "utf8").split("\0")[0]!;
    if (path.basename(program) !== "postgres") return undefined;
    const had = execFileSync("taskset", ["-pc", postmaster], { encoding: "utf8" }).trim().split(": ").pop()!;
    execFileSync("taskset", ["-pc", String(cpu), postmaster], { stdio: "ignore" });
    return () => execFileSync("taskset", ["-pc", had, postmaster], { stdio: "ignore" });
  } catch {
    return undefined;
  }
}
