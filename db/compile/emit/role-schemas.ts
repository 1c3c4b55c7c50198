import { doBlock, lineComment, literal, sql } from "../../sql/ddl";
import { helperIdent, roleIdent, roleSchemaName, tableIdent } from "../names";
import { tableOf, type GrantNode, type Plan, type TablePlan } from "../plan";
import type { Statement } from "../statement";

/** One column of a `select *` view: its name (the raw column's) and the table column it reads (the raw one or its masked twin). */
export interface StarColumn {
  readonly name: string;
  readonly from: string;
  /** A row-dependent mask: the role's row mask function on the table (a jsonb object per row), read once per row. */
  readonly fn?: string;
}

/** A role's `select *` view of one table: the columns it shows, in table order. */
export interface StarView {
  readonly role: string;
  readonly table: string;
  readonly columns: readonly StarColumn[];
  /** The definitions the role's columns come from, e.g. `role doctor`, `role chief`. */
  readonly sources: readonly string[];
}

const READS = new Set(["read", "write", "insert"]);

/**
 * The columns `role` reads with `select * from <table>` in its role schema: in table order, a raw column where its
 * definition reads it and it holds SELECT on it, the masked twin under the raw column's name where it sees the
 * column masked, its row mask function's value (raw or masked by row) where the mask depends on the row, nothing else. Columns a role holds only because a masking view reads them are left out (it reads
 * them through that view). Empty when the role may read no column of the table.
 *
 * @example
 * starColumns(plan, patients, nurseGrant);
 * // [{ name: "id", from: "id" }, { name: "ward_id", from: "ward_id" }, { name: "phone", from: "phone_masked" }, …]
 */
export function starColumns(plan: Plan, table: TablePlan, grant: GrantNode): StarColumn[] {
  const holds = new Set(grant.select);
  const out: StarColumn[] = [];
  for (const column of table.columns) {
    const access = grant.access[column];
    if (access !== undefined && READS.has(access) && holds.has(column)) out.push({ name: column, from: column });
    else if (access !== undefined && (access === "masked" || READS.has(access))) {
      const twin = plan.masks.find((m) => m.table === table.name && m.column === column && holds.has(m.twin));
      const row = plan.rowMasks.find((m) => m.role === grant.role && m.table === table.name && m.column === column);
      if (twin)
        out.push(row && holds.has(table.key) ? { name: column, from: twin.twin, fn: row.fn } : { name: column, from: twin.twin });
    }
  }
  return out;
}

/**
 * Every `select *` view the app gets: per app role (in definition order) and table (by name), one where the role
 * reads at least one column. The anonymous role reads nothing and gets none; a role that reads no table gets no
 * schema.
 *
 * @example
 * starViews(plan).filter((v) => v.role === "nurse").map((v) => v.table); // ["patients", "wards"]
 */
export function starViews(plan: Plan): readonly StarView[] {
  const known = viewsOf.get(plan);
  if (known) return known;
  const grants = plan.tables.map((table) => {
    const byRole = new Map<string, GrantNode>();
    for (const g of table.grants) if (!byRole.has(g.role)) byRole.set(g.role, g);
    return byRole;
  });
  const views = plan.roles.flatMap((role) =>
    plan.tables.flatMap((table, i): StarView[] => {
      const grant = grants[i]!.get(role.name);
      if (!grant) return [];
      const columns = starColumns(plan, table, grant);
      return columns.length ? [{ role: role.name, table: table.name, columns, sources: grant.sources }] : [];
    }),
  );
  viewsOf.set(plan, Object.freeze(views));
  return views;
}

/** {@link starViews} of plans already asked about: the drops and the views both need them. */
const viewsOf = new WeakMap<Plan, readonly StarView[]>();

/** The comment every role schema carries: it marks the schema as generated, so a later compile may empty it. */
const schemaMarker = (plan: Plan): string => `gatehouse select * views over schema ${plan.app.schema}: role `;

/**
 * Drops every `select *` view the app generated (in schemas carrying its marker comment), before any column may
 * be dropped and re-added (a masked twin whose mask changed) and because `create or replace view` cannot drop a
 * column; {@link emitRoleSchemas} creates the current ones after the grants. A marked schema the current
 * definitions no longer give views (a removed role, one that reads nothing any more) is dropped once empty.
 *
 * @example
 * emitRoleSchemaDrops(plan); // one do block: drop view "clinic_nurse"."patients", …; drop schema of a removed role
 */
export function emitRoleSchemaDrops(plan: Plan): Statement[] {
  const current = [...new Set(starViews(plan).map((v) => roleSchemaName(plan.app, v.role)))];
  const keep = current.length
    ? sql`array[${sql.join(
        current.map((s) => literal(s)),
        ", ",
      )}]::name[]`
    : sql`'{}'::name[]`;
  return [
    {
      kind: "schema",
      sql: sql`${lineComment(`select * views of the roles of ${plan.app.schema}: dropped before columns may change, created again after the grants`)}
${doBlock(sql`declare
  v record;
begin
  for v in
    select n.nspname, c.relname
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'v'
       and pg_catalog.starts_with(pg_catalog.obj_description(n.oid, 'pg_namespace'), ${literal(schemaMarker(plan))})
     order by n.nspname, c.relname
  loop
    execute pg_catalog.format('drop view %I.%I', v.nspname, v.relname);
  end loop;
  for v in
    select n.nspname
      from pg_catalog.pg_namespace n
     where pg_catalog.starts_with(pg_catalog.obj_description(n.oid, 'pg_namespace'), ${literal(schemaMarker(plan))})
       and n.nspname <> all (${keep})
       and not exists (
         select 1 from pg_catalog.pg_depend d
          where d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass and d.refobjid = n.oid
       )
     order by n.nspname
  loop
    execute pg_catalog.format('drop schema %I', v.nspname);
  end loop;
end`)}`,
    },
  ];
}

/** The alias of the row mask function's value in a `select *` view: one call per row, whatever it shows. */
const ROW_MASK = sql.identifier("row_mask");

const maskedOf = (view: StarView): string[] => view.columns.filter((c) => c.from !== c.name && !c.fn).map((c) => c.name);
const byRowOf = (view: StarView): string[] => view.columns.filter((c) => c.fn).map((c) => c.name);

/**
 * The `select *` schemas: per app role that reads at least one table, schema `<app schema>_<role>` (usage to that
 * role only), and in it per readable table a `security_invoker` view named like the table that selects exactly the
 * columns the role reads ({@link starColumns}), masked twins under the raw names; select on it to that role only.
 * The view filters no row and grants nothing: the caller's row security and column grants on the base table apply.
 *
 * @example
 * emitRoleSchemas(plan); // create schema if not exists "clinic_nurse"; … create view "clinic_nurse"."patients" …
 */
export function emitRoleSchemas(plan: Plan): Statement[] {
  const { app } = plan;
  const views = starViews(plan);
  const out: Statement[] = [];
  const byRole = new Map<string, StarView[]>();
  for (const v of views) {
    const mine = byRole.get(v.role);
    if (mine) mine.push(v);
    else byRole.set(v.role, [v]);
  }
  for (const role of plan.roles) {
    const mine = byRole.get(role.name) ?? [];
    if (mine.length === 0) continue;
    const name = roleSchemaName(app, role.name);
    const schema = sql.identifier(name);
    out.push({
      kind: "schema",
      sql: sql`${lineComment(`select * schema for ${role.name}: ${mine.map((v) => v.table).join(", ")}, first on the search_path of its role-bound logins`)}
create schema if not exists ${schema};
comment on schema ${schema} is ${literal(`${schemaMarker(plan)}${role.name}. Generated by gatehouse compile; its views are dropped and created again by every compile.`)};
revoke all on schema ${schema} from public;
grant usage on schema ${schema} to ${roleIdent(app, role.name)};`,
    });
    for (const view of mine) {
      const v = sql.identifier(name, view.table);
      const masked = maskedOf(view);
      const byRow = byRowOf(view);
      const key = tableOf(plan, view.table).key;
      const row = sql.identifier(view.table);
      const fn = view.columns.find((c) => c.fn)?.fn;
      // beside the row mask function's value, the table's columns are named with the table
      const qualify = fn ? sql`${row}.` : sql.blank;
      const how = [
        ...(masked.length ? [`${masked.join(", ")} masked`] : []),
        ...(byRow.length ? [`${byRow.join(", ")} raw or masked by row`] : []),
      ].join("; ");
      const why = `select * for ${role.name}: ${view.table}${how ? ` with ${how}` : ""}; columns from ${view.sources.join(", ")}`;
      out.push({
        kind: "view",
        target: `${name}.${view.table}`,
        securityInvoker: true,
        sql: sql`${lineComment(why)}
create view ${v} with (security_invoker = true) as
  select ${sql.join(
    view.columns.map((c) =>
      c.fn
        ? sql`${ROW_MASK}.v ->> ${literal(c.name)} as ${sql.identifier(c.name)}`
        : c.from === c.name
          ? sql`${qualify}${sql.identifier(c.name)}`
          : sql`${qualify}${sql.identifier(c.from)} as ${sql.identifier(c.name)}`,
    ),
    ", ",
  )}
    from ${tableIdent(app, view.table)}${
      fn ? sql`\n    cross join lateral ${helperIdent(app, fn)}(${row}.${sql.identifier(key)}) as ${ROW_MASK}(v)` : sql.blank
    };
comment on view ${v} is ${literal(
          `${app.schema}.${view.table} as role ${role.name} reads it with select *${how ? ` (${how})` : ""}; rows and columns are checked on ${app.schema}.${view.table}`,
        )};
revoke all on table ${v} from public;
grant select on table ${v} to ${roleIdent(app, role.name)};`,
      });
    }
  }
  return out;
}
