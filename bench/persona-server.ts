/**
 * The API server of the persona load, in a process of its own (so the 50 load clients do not share its event
 * loop): `serveUntilSignal` — what `gatehouse serve` runs — for the CRM under the role prefix of the load's demo
 * database (`PERSONA_LOAD_ROLE_PREFIX`), configured by the environment like any deployment. Run as a script, it is
 * that process; imported, it starts it.
 */
import { spawn } from "node:child_process";
import { freePort, withRolePrefix } from "../db";
import { crm } from "../db/crm/roles";
import { serveUntilSignal } from "../server";
import type { BenchServer } from "./api-server";

const PREFIX_ENV = "PERSONA_LOAD_ROLE_PREFIX";
const LISTENING = /GraphQL API listening on (http:\/\/\S+)\/graphql/;

/** What the server process needs: the app's role prefix, the authenticator's URL, the JWT settings, its pool size. */
export interface PersonaServerSettings {
  readonly rolePrefix: string;
  readonly authenticatorUrl: string;
  readonly jwt: { readonly secret: string; readonly audience: string; readonly issuer: string };
  readonly poolMax: number;
}

/**
 * Starts the server in a child process on a free loopback port and resolves when it listens: production GraphQL
 * engine, development mode only for its own random HS256 secret, Ruru off.
 *
 * @example
 * const server = await startPersonaServer(settings);
 * try { ... } finally { await server.stop(); }
 */
export async function startPersonaServer(settings: PersonaServerSettings): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", __filename], {
    env: {
      ...process.env,
      [PREFIX_ENV]: settings.rolePrefix,
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
  const prefix = process.env[PREFIX_ENV];
  if (!prefix) {
    console.error(`persona load API server: ${PREFIX_ENV} is not set`);
    process.exit(1);
  }
  serveUntilSignal(withRolePrefix(crm, prefix), process.env).catch((error: unknown) => {
    console.error(`persona load API server: ${(error as Error).message}`);
    process.exit(1);
  });
}
