import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import type { PostgresBinaries } from "./postgres-binaries";

/** Password of the superuser `postgres` in the clusters made here. */
export const SUPERUSER_PASSWORD = "replica-test-superuser";

/** The OS user the server runs as: `postgres` when this process is root (PostgreSQL refuses root), else ourselves. */
export interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

export function serverOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Gives a file or folder (recursively) to the server's OS user, when there is one. */
export function giveToServer(target: string, user: OsUser | undefined): void {
  if (!user) return;
  execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, target]);
}

const run = (bin: PostgresBinaries, name: string, args: string[], user: OsUser | undefined) =>
  execFileSync(path.join(bin.dir, name), args, { stdio: "pipe", ...(user ? { uid: user.uid, gid: user.gid } : {}) });

/**
 * `initdb` a new cluster in `dataDir` (which must not exist yet, in a folder the server's user owns): superuser
 * `postgres` with a password, SCRAM for every TCP connection (replication included), trust over the socket.
 */
export function initCluster(bin: PostgresBinaries, dataDir: string, user: OsUser | undefined): void {
  const pwfile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.pw`);
  writeFileSync(pwfile, SUPERUSER_PASSWORD);
  if (user) chownSync(pwfile, user.uid, user.gid);
  run(
    bin,
    "initdb",
    [
      "-D",
      dataDir,
      "-U",
      "postgres",
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--no-sync",
    ],
    user,
  );
}

/** A postgres server process this test started. */
export interface PostgresServer {
  readonly port: number;
  readonly dataDir: string;
  /** Superuser URL of database `database` (default `postgres`). */
  url(database?: string): string;
  /** Fast shutdown; waits for the process to end. */
  stop(): Promise<void>;
}

/**
 * Starts `postgres -D dataDir` on 127.0.0.1:`port` (no Unix socket) as the server's OS user, with fsync off
 * (a throwaway cluster), and resolves once it accepts a superuser connection. `settings` are more `-c` options.
 */
export async function startServer(
  bin: PostgresBinaries,
  dataDir: string,
  port: number,
  user: OsUser | undefined,
  settings: Record<string, string> = {},
): Promise<PostgresServer> {
  const all = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: "",
    fsync: "off",
    ...settings,
  };
  const child = spawn(
    path.join(bin.dir, "postgres"),
    ["-D", dataDir, ...Object.entries(all).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
    { stdio: ["ignore", "pipe", "pipe"], ...(user ? { uid: user.uid, gid: user.gid } : {}) },
  );
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = (database = "postgres") => `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/${database}`;
  await waitUntilAccepting(url(), child, () => log);
  return {
    port,
    dataDir,
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT");
        await exited;
      }
    },
  };
}

async function waitUntilAccepting(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}):\n${log()}`);
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s: ${String(error)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
