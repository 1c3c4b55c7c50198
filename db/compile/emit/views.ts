import { lineComment, literal, sql } from "../../sql/ddl";
import { describeScope } from "../describe";
import { roleIdent, tableIdent } from "../names";
import type { Plan, ViewPlan } from "../plan";
import { renderScope, type ScopeContext } from "../scope-sql";
import type { Statement } from "../statement";

/** Drops the app's masking views before their twins may be rebuilt; they are created again at the end. */
export function emitViewDrops(plan: Plan): Statement[] {
  return plan.views.map((v) => ({
    kind: "view" as const,
    target: v.name,
    sql: sql`drop view if exists ${tableIdent(plan.app, v.name)};`,
  }));
}

/**
 * A masking view: `security_invoker`, so the caller's row security and column grants apply; it
 * selects only its columns (masked ones through their twins) and rows.
 */
export function emitView(plan: Plan, view: ViewPlan, ctx: (table: string) => ScopeContext): Statement {
  const v = tableIdent(plan.app, view.name);
  const roles = sql.join(
    view.roles.map((r) => roleIdent(plan.app, r)),
    ", ",
  );
  return {
    kind: "view",
    target: view.name,
    securityInvoker: true,
    sql: sql`${lineComment(`masking view ${view.name} for ${view.roles.join(", ")}: ${view.columns.join(", ")} of ${view.from} where ${describeScope(view.where)}`)}
create view ${v} with (security_invoker = true) as
  select ${sql.join(
    view.columns.map((c) => sql.identifier(view.from, c)),
    ", ",
  )}
    from ${tableIdent(plan.app, view.from)}
   where ${renderScope(view.where, ctx(view.from))};
comment on view ${v} is ${literal(view.description || `masking view over ${view.from}`)};
revoke all on table ${v} from public;
grant select on table ${v} to ${roles};`,
  };
}
