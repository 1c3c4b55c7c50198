import { createHash } from "node:crypto";
import { doBlock, dollarQuoted, lineComment, literal, sql, toDdl, trusted, type SQL } from "../../sql/ddl";
import { helperIdent, requestRoles, roleIdent, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

/** Names of the unit tree's closure: its table, the function that rebuilds it, and the trigger that calls it. */
export const UNIT_TREE = {
  table: "unit_tree",
  rebuild: "rebuild_unit_tree",
  triggerFunction: "unit_tree_changed",
  trigger: "gatehouse_unit_tree",
} as const;

/**
 * The unit tree as a closure, `<toolkit>.unit_tree (ancestor, descendants)`: one row for each unit, holding it and
 * every unit below it as a sorted array, so `current_unit_tree()` is one primary-key probe instead of a walk level by
 * level (or a range of rows aggregated on every call). A statement trigger on the units table rebuilds it whole in the
 * same transaction (insert, delete, truncate, or an update of the key or the parent), so a moved unit counts on the
 * very next statement. `union` in the walk ends a cycle. Rebuilds take the table in exclusive mode, so two at once
 * run one after the other; readers are not blocked. No app role may read or write it; the generation fills it once
 * at the end of its apply. A closure of the earlier layout (one row per ancestor and descendant) is dropped first:
 * it holds nothing the rebuild does not make again.
 *
 * @example
 * emitUnitTree(plan); // table, rebuild_unit_tree(), unit_tree_changed(), the trigger on the units table, a first rebuild
 */
export function emitUnitTree(plan: Plan): Statement[] {
  const { app } = plan;
  const { units } = app.identity;
  const unitId = trusted(plan.types.unitId);
  const table = helperIdent(app, UNIT_TREE.table);
  const rebuild = helperIdent(app, UNIT_TREE.rebuild);
  const changed = helperIdent(app, UNIT_TREE.triggerFunction);
  const unitsTable = tableIdent(app, units.table);
  const id = sql.identifier(units.id);
  const parent = sql.identifier(units.parent);
  const managed = sql.join([sql`public`, ...requestRoles(plan).map((r) => roleIdent(app, r))], ", ");
  const tableSql = sql`${lineComment(`the unit tree of ${units.table} as a closure: each unit with itself and every unit below it, for current_unit_tree()`)}
${doBlock(sql`begin
  if exists (select 1 from pg_catalog.pg_attribute a
               join pg_catalog.pg_class c on c.oid = a.attrelid
               join pg_catalog.pg_namespace n on n.oid = c.relnamespace
              where n.nspname = ${literal(app.toolkitSchema)} and c.relname = ${literal(UNIT_TREE.table)}
                and a.attname = 'descendant' and not a.attisdropped) then
    drop table ${table};
  end if;
end`)}
create table if not exists ${table} (
  ancestor ${unitId} primary key,
  descendants ${unitId}[] not null
);
alter table ${table} enable row level security;
alter table ${table} force row level security;
revoke all on table ${table} from ${managed};`;
  const rebuildSql = sql`${lineComment(`rebuilds the unit tree closure from ${units.table}; one rebuild at a time`)}
create or replace function ${rebuild}() returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  lock table ${table} in exclusive mode;
  delete from ${table};
  insert into ${table} (ancestor, descendants)
  with recursive walk (ancestor, descendant) as (
    select u.${id}, u.${id} from ${unitsTable} u
    union
    select walk.ancestor, child.${id} from walk join ${unitsTable} child on child.${parent} = walk.descendant
  )
  select ancestor, pg_catalog.array_agg(descendant order by descendant) from walk group by ancestor;
end`)};`;
  return [
    {
      kind: "table",
      target: UNIT_TREE.table,
      sql: tableSql,
    },
    {
      kind: "function",
      fn: { name: UNIT_TREE.rebuild, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: rebuildSql,
    },
    {
      kind: "function",
      fn: { name: UNIT_TREE.triggerFunction, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment(`${units.table} changed: rebuild the unit tree closure in the same transaction`)}
create or replace function ${changed}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  perform ${rebuild}();
  return null;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${UNIT_TREE.rebuild}`, `${app.toolkitSchema}.${UNIT_TREE.triggerFunction}`],
      sql: sql`revoke all on function ${rebuild}() from ${managed};
revoke all on function ${changed}() from ${managed};`,
    },
    {
      kind: "table",
      target: units.table,
      sql: sql`${lineComment(`${units.table}: every change to the tree rebuilds its closure; fires in replica mode too`)}
create or replace trigger ${sql.identifier(UNIT_TREE.trigger)} after insert or update of ${id}, ${parent} or delete or truncate on ${unitsTable}
  for each statement execute function ${changed}();
alter table ${unitsTable} enable always trigger ${sql.identifier(UNIT_TREE.trigger)};`,
    },
    {
      kind: "table",
      target: UNIT_TREE.table,
      sql: sql`${lineComment(`fill the closure now; this statement changes with the closure's table or rebuild (${definitionHash(tableSql, rebuildSql)}), so a committed change fills it again`)}
select ${rebuild}();`,
    },
  ];
}

/** A short hash of the closure's definition, for the statement that fills it (see `emitUnitTree`). */
const definitionHash = (...parts: SQL[]) => createHash("sha256").update(parts.map(toDdl).join("\n")).digest("hex").slice(0, 12);
