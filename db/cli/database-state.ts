import { Client } from "pg";
import { roleName } from "../compile/names";
import type { AppDefinition } from "../policy/define";
import { explainConnectionError } from "../runtime/connection-errors";
import { withClient } from "../runtime/client";
import { sql } from "../sql/ddl";

/**
 * Refuses a database the app's migrations have not reached: the app schema, the toolkit's identity helper and
 * the authenticator role must all be there. Connection failures name `setting` and the fix.
 *
 * @example
 * await requireMigrated(app, process.env.DATABASE_URL!, "DATABASE_URL"); // throws: … is not migrated: run gatehouse migrate
 */
export async function requireMigrated(app: AppDefinition, url: string, setting: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw explainConnectionError(error, setting, url);
  }
  try {
    const { rows } = await client.query<{ schema: boolean; helpers: boolean; authenticator: boolean; db: string }>(
      `select to_regnamespace($1) is not null as schema,
              to_regprocedure($2) is not null as helpers,
              exists (select 1 from pg_catalog.pg_roles where rolname = $3) as authenticator,
              current_database() as db`,
      [
        sql.compile(sql.identifier(app.schema)).text,
        `${sql.compile(sql.identifier(app.toolkitSchema, "current_user_id")).text}(name)`,
        roleName(app, app.authenticator),
      ],
    );
    const state = rows[0]!;
    const missing = [
      ...(state.schema ? [] : [`schema ${app.schema}`]),
      ...(state.helpers ? [] : [`the ${app.toolkitSchema} helpers`]),
      ...(state.authenticator ? [] : [`role ${roleName(app, app.authenticator)}`]),
    ];
    if (missing.length > 0)
      throw new Error(`database "${state.db}" is not migrated (missing: ${missing.join(", ")}): run npx gatehouse migrate first`);
  } finally {
    await client.end();
  }
}

/**
 * One line saying what `generate` produced: rows per table of the app schema and the time taken, for logs and
 * CI, where no progress bar is drawn.
 *
 * @example
 * await generatedSummary(app, url, 41_200); // "generated in 41.2 s: appointments 2000000, patients 1000000, …"
 */
export async function generatedSummary(app: AppDefinition, url: string, elapsedMs: number): Promise<string> {
  return withClient(url, async (client) => {
    const { rows: tables } = await client.query<{ name: string }>(
      "select c.relname as name from pg_catalog.pg_class c where c.relnamespace = to_regnamespace($1) and c.relkind in ('r', 'p') order by 1",
      [sql.compile(sql.identifier(app.schema)).text],
    );
    const counts: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query<{ n: string }>(
        sql.compile(sql`select count(*) as n from ${sql.identifier(app.schema, name)}`).text,
      );
      counts.push(`${name} ${rows[0]!.n}`);
    }
    return `generated in ${(elapsedMs / 1000).toFixed(1)} s: ${counts.join(", ")}`;
  });
}
