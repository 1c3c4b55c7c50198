import { sql } from "../../sql/ddl";
import { tableIdent } from "../names";
import type { ScopeContext } from "../scope-sql";
import { ARM_ORDER, type ScopeKind } from "./kind";

/**
 * `via(fk, parent, where?)`: rows whose parent row is visible to the caller, `exists (select 1 from parent p1 where
 * p1.key = child.fk …)`, so the parent's own row security applies inside; the key comes from the plan's foreign keys.
 * Under `policies: { sublinks: false }`, `child.fk = any (<array helper>())`: the same parent rows, read by a SECURITY
 * INVOKER helper (`key-arrays.ts`).
 */
export const via: ScopeKind<"via"> = {
  asksWho: false,
  readsParentRows: true,
  holds: true,
  render: (s, { ctx, column, render }) => {
    if (ctx.viaArray && !ctx.functionBody) return sql`${column(s.column)} = any (${ctx.viaArray(ctx.table, s, ctx.command)})`;
    const alias = `p${ctx.depth + 1}`;
    const inner: ScopeContext = { ...ctx, table: s.parent, row: alias, depth: ctx.depth + 1 };
    const key = ctx.parentKey(ctx.table, s.column, s.parent);
    const link = sql`${sql.identifier(alias, key)} = ${column(s.column)}`;
    const where = s.where ? sql` and ${render(s.where, inner)}` : sql.blank;
    return sql`exists (select 1 from ${tableIdent(ctx.app, s.parent)} as ${sql.identifier(alias)} where ${link}${where})`;
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
  children: (s) => (s.where ? [s.where] : []),
  columns: (s) => [s.column],
  key: (s, key) => `via(${s.column},${s.parent},${s.where ? key(s.where) : ""})`,
};
