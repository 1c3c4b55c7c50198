import { writesSublinks } from "../policy/define";
import type { Command } from "../policy/roles";
import { parentKeyIn, type Plan } from "./plan";
import { toDdl } from "../sql/ddl";
import { renderScope, rememberRenders, type ScopeContext } from "./scope-sql";
import { viaArrayCall } from "./key-arrays";

/**
 * Where a policy of `table` renders its scopes: the row is the table itself, as in `create policy`.
 *
 * @example
 * renderScope(own("doctor_id"), scopeContextOf(plan, "patients", "select"))
 */
export function scopeContextOf(plan: Plan, table: string, command: Command = "select"): ScopeContext {
  let known = contexts.get(plan);
  if (!known) contexts.set(plan, (known = new Map()));
  const key = `${command} ${table}`;
  let ctx = known.get(key);
  if (!ctx) {
    ctx = rememberRenders(newContext(plan, table, command));
    known.set(key, ctx);
  }
  return ctx;
}

/** The contexts of a plan already made, by command and table: a plan renders thousands of policies on a few hundred. */
const contexts = new WeakMap<Plan, Map<string, ScopeContext>>();

const newContext = (plan: Plan, table: string, command: Command): ScopeContext =>
  Object.freeze<ScopeContext>({
    app: plan.app,
    table,
    row: table,
    command,
    depth: 0,
    parentKey: (t, column, parent) => parentKeyIn(plan, t, column, parent),
    arrayTypes: {
      unit: plan.types.unitId,
      user: plan.types.userId,
      grantRow: plan.types.grantRow,
      member: (set) => plan.memberSets.find((m) => m.name === set)?.rowType ?? "bigint",
    },
    viaArray: (t, scope, c) => viaArrayCall(plan, t, scope, c, writesSublinks(plan.app), conditionOf(plan, scope, c)),
  });

/** A via's condition on its parent row as its array helper reads it, as text: what names the helper. */
const conditionOf = (plan: Plan, scope: Parameters<typeof viaArrayCall>[2], command: Command): string =>
  scope.where
    ? toDdl(renderScope(scope.where, { ...scopeContextOf(plan, scope.parent, command), row: "p1", depth: 1, functionBody: true }))
    : "";
