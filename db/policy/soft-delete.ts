import { restrict, type RestrictionDefinition } from "./restrict";
import type { RoleDefinition } from "./roles";
import { all, isNotNull, type Scope } from "./scopes";
import { assertShape } from "./shape";

/** A role, everywhere (`all()`), or a role within a scope. */
export type RoleReach = RoleDefinition | readonly [RoleDefinition, Scope];

/**
 * A table whose rows are never physically deleted by an app role: a `delete` marks the row (`column`,
 * and who and why in `by` and `reason`), a restriction hides marked rows from every role not in
 * `visibleTo`, the roles in `restore` bring a row back intact, and only the owner's purge removes rows
 * marked longer ago than `retention`.
 */
export interface SoftDeleteDefinition {
  readonly kind: "softDelete";
  readonly table: string;
  /** The timestamp column a delete sets (added by the compile when the table lacks it). */
  readonly column: string;
  /** Column recording who deleted the row (a user id), if any. */
  readonly by?: string;
  /** Column recording why (text), if any. */
  readonly reason?: string;
  /** Roles that still see marked rows, each within a scope; every other role loses them. */
  readonly visibleTo: readonly (readonly [RoleDefinition, Scope])[];
  /** Roles that may restore a marked row, each within a scope (inherited by roles that extend them). */
  readonly restore: readonly (readonly [RoleDefinition, Scope])[];
  /** How long a marked row is kept before the owner's purge may remove it: a PostgreSQL interval. */
  readonly retention: string;
  /** The generated restriction `soft_deleted` that hides marked rows. */
  readonly restriction: RestrictionDefinition;
}

/** The restriction that hides soft-deleted rows is named `soft_deleted`, on each soft-delete table. */
export const SOFT_DELETED_RESTRICTION = "soft_deleted";

const reach = (entries: readonly RoleReach[]) =>
  Object.freeze(
    entries.map((e) => Object.freeze(Array.isArray(e) ? ([e[0], e[1]] as const) : ([e as RoleDefinition, all()] as const))),
  );

/**
 * Declares soft delete on a table. Checks its shape (unknown keys name the closest known one; `retention`
 * must read like `"365 days"`); the columns, roles and scopes are checked against the database at compile.
 *
 * @example
 * softDelete("patients", {
 *   column: "deleted_at", by: "deleted_by", reason: "deleted_reason",
 *   visibleTo: [medicalDirector, auditor], restore: [medicalDirector, [chief, unitTree("ward_id")]], retention: "365 days",
 * })
 */
export function softDelete(
  table: string,
  options: {
    column?: string;
    by?: string;
    reason?: string;
    visibleTo?: readonly RoleReach[];
    restore: readonly RoleReach[];
    retention: string;
  },
): SoftDeleteDefinition {
  assertShape("soft delete", [table, options]);
  const column = options.column ?? "deleted_at";
  const restore = reach(options.restore);
  const visibleTo = options.visibleTo ? reach(options.visibleTo) : restore;
  return Object.freeze({
    kind: "softDelete",
    table,
    column,
    ...(options.by ? { by: options.by } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    visibleTo,
    restore,
    retention: options.retention.trim().replace(/\s+/g, " "),
    restriction: restrict(SOFT_DELETED_RESTRICTION, { table, hides: isNotNull(column), exempt: visibleTo }),
  });
}
