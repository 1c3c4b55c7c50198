import type { ClientBase } from "pg";
import { applyStatements } from "../apply/apply";
import { sql, trusted } from "../sql/ddl";
import type { DriftScope } from "./scope";

/** How the snapshot shows a twin that is not a generated column. */
export const NOT_GENERATED = "(not a generated column)";

/**
 * The expression and type each masked twin should have, as PostgreSQL deparses them: the generation recreates a
 * twin only when its comment changed, so an expression changed in place (`alter column … set expression`) would
 * look the same on both sides. Each planned expression is added as a stored generated column to an empty temporary
 * copy of its table (inside the check's rolled-back transaction) and read back with `pg_get_expr`, like the real one.
 *
 * @example
 * const planned = await plannedTwins(client, scope); // Map { "clinic.patients.phone_masked" => { expression, type } }
 */
export async function plannedTwins(
  client: ClientBase,
  scope: DriftScope,
): Promise<Map<string, { readonly expression: string; readonly type: string }>> {
  // an encrypted column's twin is an ordinary column (its trigger fills it): nothing to probe
  const filled = scope.twins.filter((t) => t.expression === undefined);
  const sealed = filled.map(
    (t) => [`${scope.appSchema}.${t.table}.${t.column}`, { expression: NOT_GENERATED, type: t.type }] as const,
  );
  const generated = scope.twins.filter((t) => t.expression !== undefined);
  if (generated.length === 0) return new Map(sealed);
  const tables = [...new Set(generated.map((t) => t.table))].sort();
  const probes = generated.map((twin, i) => ({
    twin,
    table: `gatehouse_probe_${tables.indexOf(twin.table)}`,
    column: `probe_${i}`,
  }));
  await applyStatements(client, [
    ...tables.map(
      (table, i) =>
        sql`create temporary table ${sql.identifier(`gatehouse_probe_${i}`)} (like ${sql.identifier(scope.appSchema, table)}) on commit drop;`,
    ),
    ...probes.map(
      (p) =>
        sql`alter table ${sql.identifier(p.table)} add column ${sql.identifier(p.column)} ${trusted(p.twin.type)} generated always as (${p.twin.expression!}) stored;`,
    ),
  ]);
  const { rows } = await client.query<{ tbl: string; col: string; expression: string; type: string }>(
    `select c.relname as tbl, a.attname as col, pg_catalog.pg_get_expr(d.adbin, d.adrelid) as expression,
            pg_catalog.format_type(a.atttypid, a.atttypmod) as type
       from rows from (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) as p (tbl, col)
       join pg_catalog.pg_class c on c.relname = p.tbl and c.relnamespace = pg_catalog.pg_my_temp_schema()
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = p.col
       join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum`,
    [probes.map((p) => p.table), probes.map((p) => p.column)],
  );
  return new Map([
    ...sealed,
    ...probes.map((p) => {
      const row = rows.find((r) => r.tbl === p.table && r.col === p.column)!;
      return [`${scope.appSchema}.${p.twin.table}.${p.twin.column}`, { expression: row.expression, type: row.type }] as const;
    }),
  ]);
}
