import { dollarQuoted, lineComment, sql, trusted } from "../../sql/ddl";
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
 * The unit tree as a closure table, `<toolkit>.unit_tree (ancestor, descendant)`: one row for each unit and each
 * unit at or below it, so `current_unit_tree()` is one index range read instead of a walk level by level. A
 * statement trigger on the units table rebuilds it whole in the same transaction (insert, delete, truncate, or an
 * update of the key or the parent), so a moved unit counts on the very next statement, as before. `union` in the
 * walk ends a cycle. Rebuilds take the table in exclusive mode, so two at once run one after the other; readers
 * are not blocked. No app role may read or write it; the generation fills it once at the end of its apply.
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
  return [
    {
      kind: "table",
      target: UNIT_TREE.table,
      sql: sql`${lineComment(`the unit tree of ${units.table} as a closure: each unit with itself and every unit below it, for current_unit_tree()`)}
create table if not exists ${table} (
  ancestor ${unitId} not null,
  descendant ${unitId} not null,
  primary key (ancestor, descendant)
);
alter table ${table} enable row level security;
alter table ${table} force row level security;
revoke all on table ${table} from ${managed};`,
    },
    {
      kind: "function",
      fn: { name: UNIT_TREE.rebuild, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment(`rebuilds the unit tree closure from ${units.table}; one rebuild at a time`)}
create or replace function ${rebuild}() returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  lock table ${table} in exclusive mode;
  delete from ${table};
  insert into ${table} (ancestor, descendant)
  with recursive walk (ancestor, descendant) as (
    select u.${id}, u.${id} from ${unitsTable} u
    union
    select walk.ancestor, child.${id} from walk join ${unitsTable} child on child.${parent} = walk.descendant
  )
  select ancestor, descendant from walk;
end`)};`,
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
alter table ${unitsTable} enable always trigger ${sql.identifier(UNIT_TREE.trigger)};
select ${rebuild}();`,
    },
  ];
}
