import { Client } from "pg";

const namedQuery = Client.prototype.query;

/**
 * A `pg` client that sends every query unnamed: PostGraphile names its queries so PostgreSQL keeps them as
 * prepared statements on the connection, which a transaction pooler (PgBouncer in transaction mode, before
 * 1.21) cannot follow — the next transaction lands on another server connection, where the statement is missing
 * (`prepared statement "…" does not exist`) or already there (`… already exists`). Unnamed, each query is parsed
 * and planned in its own transaction, as the pooler needs. The server uses it when `PREPARED_STATEMENTS=off`.
 *
 * @example
 * const pool = new Pool({ connectionString, Client: UnnamedStatementClient });
 */
export class UnnamedStatementClient extends Client {}

UnnamedStatementClient.prototype.query = function (this: Client, config: unknown, ...rest: unknown[]) {
  const unnamed =
    config !== null && typeof config === "object" && "name" in config
      ? Object.fromEntries(Object.entries(config).filter(([key]) => key !== "name"))
      : config;
  return (namedQuery as (...args: unknown[]) => unknown).call(this, unnamed, ...rest);
} as Client["query"];
