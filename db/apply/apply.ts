import type { ClientBase } from "pg";
import { introspect } from "../catalog/introspect";
import { compileApp, type CompileResult } from "../compile";
import type { AppDefinition } from "../policy/define";
import { toDdl, type SQL } from "../sql/ddl";

/**
 * The one place Gatehouse runs SQL it generated: all of it in one transaction, so a failure
 * changes nothing. Inside an open transaction it uses a savepoint instead.
 *
 * @example
 * await applySql(client, compiled.sql);
 */
export async function applySql(client: ClientBase, text: string): Promise<void> {
  const nested = await inTransaction(client);
  await client.query(nested ? "savepoint gatehouse_apply" : "begin");
  try {
    await client.query(text);
    await client.query(nested ? "release savepoint gatehouse_apply" : "commit");
  } catch (error) {
    await client.query(nested ? "rollback to savepoint gatehouse_apply" : "rollback");
    throw error;
  }
}

/**
 * Whether `client` is inside an open transaction (its transaction started before this statement).
 *
 * @example
 * await client.query((await inTransaction(client)) ? "savepoint s" : "begin");
 */
export async function inTransaction(client: ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ open: boolean }>("select pg_catalog.now() <> pg_catalog.statement_timestamp() as open");
  return rows[0]!.open;
}

/**
 * Runs generated statements (pg-sql2 fragments, no bind values) in order, all or nothing, like {@link applySql}:
 * how role-bound logins (`runtime/logins.ts`) reach the database, so this module stays the one place that runs
 * generated SQL.
 *
 * @example
 * await applyStatements(client, [sql`alter role ${sql.identifier("clinic_login_eve")} nologin;`]);
 */
export async function applyStatements(client: ClientBase, statements: readonly SQL[]): Promise<void> {
  await applySql(client, statements.map((s) => toDdl(s)).join("\n"));
}

/**
 * Introspects the live schema, compiles the app against it and returns the result, without applying.
 *
 * @example
 * const { sql, matrix } = await compileAgainst(client, app);
 */
export async function compileAgainst(client: ClientBase, app: AppDefinition): Promise<CompileResult> {
  return compileApp(app, await introspect(client, app.schema, [app.toolkitSchema]));
}

/**
 * Compiles the app against the live schema and applies the result in one transaction.
 *
 * @example
 * await compileAndApply(client, withRolePrefix(app, "t1_app_"));
 */
export async function compileAndApply(client: ClientBase, app: AppDefinition): Promise<CompileResult> {
  const result = await compileAgainst(client, app);
  await applySql(client, result.sql);
  return result;
}
