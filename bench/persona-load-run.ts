import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { crm } from "../db/crm/roles";
import { seedDemo } from "../db/crm/seed";
import { createAppDatabase, TEST_ADMIN_URL_ENV, type AppTestDatabase } from "../db/testing";
import { startBenchServer, type BenchServer } from "./api-server";
import { drivePersonas, type PersonaTally } from "./persona-drive";
import { expectedCases, type PersonaCase } from "./persona-expectations";
import { personaHolders } from "./persona-holders";
import type { PersonaLoadInfo } from "./persona-report";
import { mintTokens } from "./tokens";

const CRM_SCHEMA_MIGRATION = path.resolve(__dirname, "../migrations/committed/000001-crm-schema.sql");

/** How to run the persona load. */
export interface PersonaLoadOptions {
  /** Superuser URL of the cluster the demo database is made in (and dropped from afterwards). */
  readonly adminUrl: string;
  readonly clients: number;
  readonly seconds: number;
  readonly poolMax: number;
  readonly smoke: boolean;
  readonly log?: (line: string) => void;
}

/** What a run measured: the cases it sent, a tally per persona, and what the report says about the run. */
export interface PersonaLoadResult {
  readonly cases: readonly PersonaCase[];
  readonly tallies: ReadonlyMap<string, PersonaTally>;
  readonly info: PersonaLoadInfo;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/**
 * Makes a CRM demo database, starts the API server on it in its own process, takes every persona's expected
 * answers one request at a time, then drives `clients` concurrent clients as all the personas for `seconds`
 * ({@link drivePersonas}); drops the database afterwards.
 *
 * @example
 * const { tallies } = await runPersonaLoad({ adminUrl, clients: 50, seconds: 5, poolMax: 10, smoke: true });
 */
export async function runPersonaLoad(options: PersonaLoadOptions): Promise<PersonaLoadResult> {
  const log = options.log ?? (() => {});
  const loadBefore = load();
  const previous = process.env[TEST_ADMIN_URL_ENV];
  process.env[TEST_ADMIN_URL_ENV] = options.adminUrl; // createAppDatabase makes its database in this cluster
  let db: AppTestDatabase | undefined;
  let server: BenchServer | undefined;
  try {
    log("making the CRM demo database");
    db = await createAppDatabase({ app: crm, migrations: [CRM_SCHEMA_MIGRATION], seed: (c) => seedDemo(c) });
    const jwt = {
      secret: randomBytes(32).toString("base64url"),
      audience: "gatehouse-persona-load",
      issuer: "gatehouse-persona-load",
    };
    const personas = personaHolders();
    const signed = await mintTokens(
      db.app,
      jwt,
      personas.map((p) => p.holder),
      "2h",
    );
    const withTokens = personas.map((persona, i) => ({ persona, token: signed[i]! }));
    log("starting the API server");
    server = await startBenchServer({
      rolePrefix: db.app.rolePrefix,
      authenticatorUrl: db.authenticatorUrl,
      jwt,
      poolMax: options.poolMax,
    });
    log(`the API server listens at ${server.url}; taking each persona's answers alone`);
    const cases = await expectedCases(server.url, withTokens);
    log(
      `${cases.length} cases over ${new Set(cases.map((c) => c.persona.label)).size} personas; ${options.clients} clients for ${options.seconds} s`,
    );
    const tallies = await drivePersonas(server.url, cases, { clients: options.clients, seconds: options.seconds });
    const version = await serverVersion(db.db.url);
    return {
      cases,
      tallies,
      info: {
        date: new Date(),
        smoke: options.smoke,
        server: `PostgreSQL ${version}; Node ${process.version}`,
        clients: options.clients,
        seconds: options.seconds,
        poolMax: options.poolMax,
        cpus: cpus().length,
        load: { before: loadBefore, after: load() },
      },
    };
  } finally {
    await server?.stop();
    await db?.close();
    if (previous === undefined) delete process.env[TEST_ADMIN_URL_ENV];
    else process.env[TEST_ADMIN_URL_ENV] = previous;
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  } finally {
    await client.end();
  }
}
