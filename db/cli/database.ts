import path from "node:path";
import { Client } from "pg";
import type { GatehouseConfig } from "../config";
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
  /** Stops the embedded server, if this process started it. */
  readonly stop: () => Promise<void>;
}

export const DEFAULT_EMBEDDED_PORT = 54329;
export const EMBEDDED_DATA_DIR = ".gatehouse/pgdata";

/**
 * `DATABASE_URL` when set (any PostgreSQL 15+; used as is), else the project's embedded
 * PostgreSQL 17 in `.gatehouse/pgdata`, started here and kept between runs, with the app's
 * database created if missing.
 */
export async function openProjectDatabase(config: GatehouseConfig, options: { port?: number } = {}): Promise<ProjectDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) {
    return {
      url: external,
      rootUrl: process.env.ROOT_DATABASE_URL ?? connectionUrl(external, { database: "postgres" }),
      embedded: false,
      stop: async () => {},
    };
  }
  const server = await startEmbeddedPostgres({
    dataDir: path.resolve(EMBEDDED_DATA_DIR),
    port: options.port ?? DEFAULT_EMBEDDED_PORT,
  });
  const root = new Client({ connectionString: server.url });
  await root.connect();
  try {
    const { rowCount } = await root.query("select 1 from pg_database where datname = $1", [config.databaseName]);
    if (!rowCount) await root.query(toDdl(sql`create database ${sql.identifier(config.databaseName)}`));
  } finally {
    await root.end();
  }
  return {
    url: connectionUrl(server.url, { database: config.databaseName }),
    rootUrl: server.url,
    embedded: true,
    stop: server.stop,
  };
}
