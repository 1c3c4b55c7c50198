import type { RoleDefinition } from "./roles";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";

/**
 * Reading a masked column's raw value with a reason: `<schema>.reveal_<table>_<column>(row_id, reason)`
 * returns it to the roles in `by` (and roles extending them) for the rows their scope covers, and appends a
 * `reveal` row to the audit trail naming the column and the reason (never the value). Everyone else is refused.
 */
export interface RevealDefinition {
  readonly kind: "reveal";
  readonly table: string;
  readonly column: string;
  readonly by: readonly (readonly [RoleDefinition, Scope])[];
}

/**
 * Defines a reveal. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * reveal("patients", "phone", { by: [[chief, unitTree("ward_id")]] });
 */
export function reveal(
  table: string,
  column: string,
  definition: { by: readonly (readonly [RoleDefinition, Scope])[] },
): RevealDefinition {
  assertShape("reveal", [table, column, definition]);
  return Object.freeze({
    kind: "reveal",
    table,
    column,
    by: Object.freeze(definition.by.map((pair) => Object.freeze([...pair] as const))),
  });
}
