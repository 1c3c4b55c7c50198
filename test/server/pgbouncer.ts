import { execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";

/** A PgBouncer in front of one database, for as long as a test needs it. */
export interface PgBouncer {
  /** Where clients connect: the pooled database `app` at PgBouncer's port, any user (PgBouncer logs in as the target's). */
  readonly url: string;
  stop(): Promise<void>;
}

/** Why PgBouncer cannot run here, or undefined when it can (Debian's `pgbouncer` package; CI installs it). */
export function pgBouncerUnavailable(): string | undefined {
  try {
    execFileSync("pgbouncer", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "pgbouncer is not installed (apt-get install pgbouncer)";
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * Starts PgBouncer in transaction mode with `poolSize` server connections to `target` (a URL with user and
 * password), clients authenticated by nobody (`auth_type = any`: it always logs in as the target's user). As
 * root it runs as the `postgres` OS user, since PgBouncer refuses root.
 */
export async function startPgBouncer(target: string, poolSize: number): Promise<PgBouncer> {
  const t = new URL(target);
  const folder = await mkdtemp(path.join(tmpdir(), "gatehouse-pgbouncer-"));
  await chmod(folder, 0o755);
  const port = await freePort();
  const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
  const ini = path.join(folder, "pgbouncer.ini");
  await writeFile(
    ini,
    [
      "[databases]",
      `app = host=${t.hostname} port=${t.port || 5432} dbname=${quote(decodeURIComponent(t.pathname.slice(1)))} user=${quote(decodeURIComponent(t.username))} password=${quote(decodeURIComponent(t.password))} pool_size=${poolSize}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = any",
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 200",
      "ignore_startup_parameters = extra_float_digits",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child = spawn("pgbouncer", [...(asRoot ? ["-u", "postgres"] : []), ini], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const url = `postgres://pooled@127.0.0.1:${port}/app`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Client({ connectionString: url });
    try {
      await probe.connect();
      await probe.query("select 1");
      await probe.end();
      break;
    } catch (error) {
      await probe.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill();
        await rm(folder, { recursive: true, force: true });
        throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGINT");
      await exited;
      await rm(folder, { recursive: true, force: true });
    },
  };
}
