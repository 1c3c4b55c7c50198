import path from "node:path";
import { Client } from "pg";
import type { GatehouseConfig } from "../config";
import { explainConnectionError, parseConnectionUrl } from "../runtime/connection-errors";
import { connectionUrl } from "../runtime/connection-url";
import { startEmbeddedPostgres } from "../runtime/embedded";
import { sql, toDdl } from "../sql/ddl";

/** The database a command works on. */
export interface ProjectDatabase {
  /** The app's database, as its owner (a superuser for the embedded cluster). */
  readonly url: string;
  /** The same server's maintenance database, for creating the app database. */
  readonly rootUrl: string;
  readonly embedded: boolean;
  /** The embedded cluster was already running in another process (`npm start`); this one only joined it. */
  readonly shared: boolean;
  /** The embedded cluster's data directory, absolute; undefined with `DATABASE_URL`. */
  readonly dataDir?: string;
  /** Stops the embedded server, if this process started it. */
  readonly stop: () => Promise<void>;
}

export const DEFAULT_EMBEDDED_PORT = 54329;
export const EMBEDDED_DATA_DIR = ".gatehouse/pgdata";

/**
 * `DATABASE_URL` when set (any PostgreSQL 15+; checked, then used as is), else the project's embedded
 * PostgreSQL 17 (`config.embedded.dataDir`, default `.gatehouse/pgdata`; port: `options.port`, else
 * `GATEHOUSE_EMBEDDED_PORT`, else `config.embedded.port`, else 54329), kept between runs, with the app's
 * database created if missing. A cluster another process already runs on that directory (the demo in
 * another terminal) is joined, not restarted, and left running.
 *
 * @example
 * const db = await openProjectDatabase(config);
 * try { await migrateProject(config, db); } finally { await db.stop(); }
 */
export async function openProjectDatabase(config: GatehouseConfig, options: { port?: number } = {}): Promise<ProjectDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) {
    parseConnectionUrl("DATABASE_URL", external);
    const rootUrl = process.env.ROOT_DATABASE_URL ?? connectionUrl(external, { database: "postgres" });
    if (process.env.ROOT_DATABASE_URL) parseConnectionUrl("ROOT_DATABASE_URL", rootUrl);
    await probe(external, "DATABASE_URL");
    return { url: external, rootUrl, embedded: false, shared: false, stop: async () => {} };
  }
  const dataDir = path.resolve(config.embedded?.dataDir ?? EMBEDDED_DATA_DIR);
  const port = options.port ?? embeddedPortFromEnvironment() ?? config.embedded?.port ?? DEFAULT_EMBEDDED_PORT;
  const server = await startEmbeddedPostgres({ dataDir, port });
  try {
    const root = new Client({ connectionString: server.url });
    await root.connect();
    try {
      const { rowCount } = await root.query("select 1 from pg_database where datname = $1", [config.databaseName]);
      if (!rowCount) await root.query(toDdl(sql`create database ${sql.identifier(config.databaseName)}`));
    } finally {
      await root.end();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: connectionUrl(server.url, { database: config.databaseName }),
    rootUrl: server.url,
    embedded: true,
    shared: server.shared,
    dataDir,
    stop: server.stop,
  };
}

/** `GATEHOUSE_EMBEDDED_PORT`, when set: another port for the embedded PostgreSQL, e.g. beside a demo on 54329. */
function embeddedPortFromEnvironment(): number | undefined {
  const value = process.env.GATEHOUSE_EMBEDDED_PORT;
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`GATEHOUSE_EMBEDDED_PORT must be a port number (1-65535), not "${value}"`);
  return port;
}

/** Connects once, so a wrong URL fails here with a message naming the setting instead of deep inside a command. */
async function probe(url: string, name: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw explainConnectionError(error, name, url);
  } finally {
    await client.end().catch(() => {});
  }
}
