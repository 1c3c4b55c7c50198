import { lineComment, literal, sql } from "../../sql/ddl";
import { describeScope } from "../describe";
import { roleIdent, roleName, tableIdent } from "../names";
import type { Plan, ViewPlan } from "../plan";
import { renderScope, type ScopeContext } from "../scope-sql";
import type { Statement } from "../statement";
import { permissive, restrictive } from "./policies";

/** Drops the app's masking views before their twins may be rebuilt; they are created again at the end. */
export function emitViewDrops(plan: Plan): Statement[] {
  return plan.views.map((v) => ({
    kind: "view" as const,
    target: v.name,
    sql: sql`drop view if exists ${tableIdent(plan.app, v.name)};`,
  }));
}

/**
 * A masking view, run as its own owner (`viewOwner(name)`): per table of the owner's reach (`viewReach`),
 * its select policy (on the view's table, the view's condition), the restrictions, and select on exactly the
 * columns the view and its condition read; then the view itself, `security_barrier` with the same condition, owned by
 * that role and selectable only by the view's roles. The view's roles hold nothing on the base table. The
 * condition's helpers run as the caller (a view changes whose privileges are checked, not `current_user`),
 * so the policy still requires an active user holding the caller's role and channel conditions read the
 * request's claims.
 */
export function emitView(plan: Plan, view: ViewPlan, ctx: (table: string) => ScopeContext): Statement[] {
  const { app } = plan;
  const v = tableIdent(app, view.name);
  const base = tableIdent(app, view.from);
  const owner = roleName(app, view.owner);
  const roles = sql.join(
    view.roles.map((r) => roleIdent(app, r)),
    ", ",
  );
  const columns = (names: readonly string[]) =>
    sql.join(
      names.map((c) => sql.identifier(c)),
      ", ",
    );
  return [
    ...view.reach.flatMap((r): Statement[] => [
      ...(r.policy ? [permissive(plan, r.policy, () => ctx(r.table))] : []),
      ...r.restrictives.flatMap((node) => restrictive(plan, node, ctx(r.table))),
      {
        kind: "grant",
        target: r.table,
        sql: sql`${lineComment(
          r.table === view.from
            ? `${view.owner} on ${r.table}: the columns masking view ${view.name} selects and its condition reads, nothing else`
            : `${view.owner} on ${r.table}: the columns the condition of masking view ${view.name} reads through via(), nothing else`,
        )}
grant select (${columns(r.columns)}) on ${tableIdent(app, r.table)} to ${roleIdent(app, view.owner)};`,
      },
    ]),
    {
      kind: "view",
      target: view.name,
      securityInvoker: false,
      securityBarrier: true,
      owner,
      sql: sql`${lineComment(`masking view ${view.name} for ${view.roles.join(", ")}: ${view.columns.join(", ")} of ${view.from} where ${describeScope(view.where)}; runs as ${view.owner}, security_barrier`)}
create view ${v} with (security_barrier = true) as
  select ${sql.join(
    view.columns.map((c) => sql.identifier(view.from, c)),
    ", ",
  )}
    from ${base}
   where ${renderScope(view.where, ctx(view.from))};
alter view ${v} owner to ${roleIdent(app, view.owner)};
comment on view ${v} is ${literal(view.description || `masking view over ${view.from}`)};
revoke all on table ${v} from public;
grant select on table ${v} to ${roles};`,
    },
  ];
}
