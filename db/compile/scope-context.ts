import type { Command } from "../policy/roles";
import { parentKeyIn, type Plan } from "./plan";
import type { ScopeContext } from "./scope-sql";

/**
 * Where a policy of `table` renders its scopes: the row is the table itself, as in `create policy`.
 *
 * @example
 * renderScope(own("doctor_id"), scopeContextOf(plan, "patients", "select"))
 */
export function scopeContextOf(plan: Plan, table: string, command: Command = "select"): ScopeContext {
  return {
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
  };
}
