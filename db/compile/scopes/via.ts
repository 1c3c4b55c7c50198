import { sql } from "../../sql/ddl";
import { writesSublinks } from "../../policy/define";
import { tableIdent } from "../names";
import { fewRows } from "../simplify";
import type { ScopeContext } from "../scope-sql";
import { ARM_ORDER, type ScopeKind } from "./kind";

/**
 * `via(fk, parent, where?)`: rows whose parent row is visible to the caller; the parent's own row security applies,
 * and the key comes from the plan's foreign keys. Two forms, so that neither a page nor a narrow reader pays for the
 * whole parent table:
 * - a condition that opens few rows per user (`fewRows`: own, grants, member sets), or none where the role's own
 *   rules on the parent do (`listed`, marked by the plan: `listed-vias.ts`): `child.fk = any ((select
 *   <array helper>())::type[])`, the parent keys read once per statement by a SECURITY INVOKER helper
 *   (`key-arrays.ts`), so the child's foreign key index finds the rows;
 * - otherwise `exists (select 1 from parent p1 where p1.key = child.fk … offset 0)`, a probe of the parent's key per
 *   child row: `offset 0` keeps PostgreSQL from hashing every visible parent row before the first child row, which
 *   it would do for a page as for a count (it sizes the choice by every row of the child table, whatever the limit).
 * In a function's body, the plain `exists`; on behalf of an actor (a definer operation's check), the probe, as the
 * helper would ask about the function's owner; under `policies: { sublinks: false }`, always the array helper's call.
 */
export const via: ScopeKind<"via"> = {
  asksWho: false,
  readsParentRows: true,
  holds: true,
  render: (s, { ctx, column, render }) => {
    const listed = !writesSublinks(ctx.app) || (fewRows(s) && !ctx.actor);
    if (ctx.viaArray && !ctx.functionBody && listed) {
      return sql`${column(s.column)} = any (${ctx.viaArray(ctx.table, s, ctx.command)})`;
    }
    const alias = `p${ctx.depth + 1}`;
    const inner: ScopeContext = { ...ctx, table: s.parent, row: alias, depth: ctx.depth + 1 };
    const key = ctx.parentKey(ctx.table, s.column, s.parent);
    const link = sql`${sql.identifier(alias, key)} = ${column(s.column)}`;
    const where = s.where ? sql` and ${render(s.where, inner)}` : sql.blank;
    const probe = ctx.functionBody ? sql.blank : sql` offset 0`;
    return sql`exists (select 1 from ${tableIdent(ctx.app, s.parent)} as ${sql.identifier(alias)} where ${link}${where}${probe})`;
  },
  describe: (s, describe) =>
    `rows whose ${s.parent} row is visible to them${s.where ? ` and matches: ${describe(s.where)}` : ""}`,
  validate: (s, checks) => {
    const { table, who } = checks;
    if (!checks.hasColumn(s.column)) return;
    const parent = checks.findTable(s.parent);
    if (!parent) return;
    const key = table.foreignKeys.find(
      (k) => k.columns.length === 1 && k.columns[0] === s.column && k.references.table === s.parent,
    );
    if (!key) {
      checks.problem(
        `${who}: ${table.name}.${s.column} has no foreign key to ${s.parent}: add one, or say how they relate with raw()`,
      );
    }
    if (s.where) checks.check(`${who} (via ${s.parent})`, parent, s.where);
  },
  order: () => ARM_ORDER.parent,
  knowsUser: () => false,
  fewRows: (s, few) => s.listed === true || (s.where !== undefined && few(s.where)),
  children: (s) => (s.where ? [s.where] : []),
  columns: (s) => [s.column],
  key: (s, key) => `via(${s.column},${s.parent},${s.where ? key(s.where) : ""}${s.listed ? ",listed" : ""})`,
};
