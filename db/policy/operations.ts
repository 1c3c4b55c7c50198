import type { RoleDefinition } from "./roles";
import type { Scope, ScopeValue } from "./scopes";
import { assertShape } from "./shape";

/** A value an operation writes: a literal, null, the clock (`CLOCK`) or the acting user's id (`ACTING_USER`). */
export type OperationValue = ScopeValue | null | { readonly kind: "clock" } | { readonly kind: "actingUser" };

/** The time the statement runs, by the clock: `set: { archived_at: CLOCK }`. */
export const CLOCK: OperationValue = Object.freeze({ kind: "clock" });
/** The id of the user running the operation: `set: { closed_by: ACTING_USER }`. */
export const ACTING_USER: OperationValue = Object.freeze({ kind: "actingUser" });

/**
 * A named write compiled into a function of the app schema (a GraphQL mutation for its roles):
 * - `row: true` — `<schema>.<name>(key)` sets `set` on one row that matches `where`, as the caller
 *   (SECURITY INVOKER: the caller's own row rules and column grants apply); fails clearly when the row is
 *   not there for them or does not match.
 * - `row: false` — `<schema>.<name>()` sets `set` on every row matching `where` and returns how many
 *   (SECURITY DEFINER: maintenance a scheduler runs as the owner, or the listed roles); idempotent when
 *   `where` excludes rows already set; `where` may not use identity scopes.
 * Every write goes through the table's audit trigger.
 */
export interface OperationDefinition {
  readonly kind: "operation";
  readonly name: string;
  readonly table: string;
  readonly set: Readonly<Record<string, OperationValue>>;
  readonly where?: Scope;
  readonly row: boolean;
  readonly by: readonly RoleDefinition[];
  readonly description: string;
}

/**
 * Defines an operation. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * operation("close_team", { table: "care_teams", row: true, set: { status: "closed" }, where: is("status", "open"), by: [chief] });
 * operation("archive_stale_patients", { table: "patients", row: false, set: { archived_at: CLOCK },
 *   where: and(isNull("archived_at"), raw(sql`last_visit_at < now() - interval '3 years'`, "no visit for 3 years")), by: [chief] });
 */
export function operation(
  name: string,
  definition: {
    table: string;
    set: Record<string, OperationValue>;
    where?: Scope;
    row: boolean;
    by?: readonly RoleDefinition[];
    description?: string;
  },
): OperationDefinition {
  assertShape("operation", [name, definition]);
  return Object.freeze({
    kind: "operation",
    name,
    table: definition.table,
    set: Object.freeze({ ...definition.set }),
    ...(definition.where ? { where: definition.where } : {}),
    row: definition.row,
    by: Object.freeze([...(definition.by ?? [])]),
    description: definition.description ?? "",
  });
}
