/**
 * The API server of the load runs (`bench:api`, `bench:load`), in a process of its own (so the load generator does
 * not share its event loop): `serveUntilSignal` — what `gatehouse serve` runs — for the CRM under the run's role
 * prefix, configured by the environment like any deployment. Run as a script, it is that process; imported, it
 * starts it.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { freePort, withRolePrefix } from "../db";
import { crm } from "../db/crm/roles";
import { serveUntilSignal } from "../server";
import { BENCH_ROLE_PREFIX } from "./database";

/** A running server process. */
export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then waits for the process to end. */
  stop(): Promise<void>;
}

/** Settings of the server process besides its port: the role prefix, the authenticator's URL and the JWT settings. */
export interface BenchServerSettings {
  /** The CRM's role prefix in the database served (default the benchmark's, `BENCH_ROLE_PREFIX`). */
  readonly rolePrefix?: string;
  readonly authenticatorUrl: string;
  readonly jwt: { readonly secret: string; readonly audience: string; readonly issuer: string };
  readonly poolMax: number;
}

const LISTENING = /GraphQL API listening on (http:\/\/\S+)\/graphql/;
const PREFIX_ENV = "BENCH_SERVER_ROLE_PREFIX";

/**
 * Starts the server in a child process on a free loopback port and resolves when it listens. Development
 * mode for its own HS256 secret (not the published one), with NODE_ENV=production so the GraphQL engine
 * runs without its development checks, as a deployment would.
 *
 * @example
 * const server = await startBenchServer(settings);
 * try { ... } finally { await server.stop(); }
 */
export async function startBenchServer(settings: BenchServerSettings): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "api-server.ts")], {
    env: {
      ...process.env,
      [PREFIX_ENV]: settings.rolePrefix ?? BENCH_ROLE_PREFIX,
      NODE_ENV: "production",
      GRAPHILE_ENV: "production",
      GATEHOUSE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: String(port),
      RURU: "off",
      AUTHENTICATOR_DATABASE_URL: settings.authenticatorUrl,
      DATABASE_URL: "",
      JWT_SECRET: settings.jwt.secret,
      JWT_AUDIENCE: settings.jwt.audience,
      JWT_ISSUER: settings.jwt.issuer,
      DB_POOL_MAX: String(settings.poolMax),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = LISTENING.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`the API server exited (${code}) before listening:\n${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

if (require.main === module) {
  serveUntilSignal(withRolePrefix(crm, process.env[PREFIX_ENV] ?? BENCH_ROLE_PREFIX), process.env).catch((error: unknown) => {
    console.error(`bench API server: ${(error as Error).message}`);
    process.exit(1);
  });
}
