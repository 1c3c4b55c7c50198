import type { Command, RoleDefinition } from "./roles";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";

/**
 * A restrictive rule: rows matching `hides` are taken away from every role, except where `unless`
 * holds (for everyone) or the role's exemption holds. Exemptions are inherited by roles that extend.
 */
export interface RestrictionDefinition {
  readonly kind: "restriction";
  readonly name: string;
  readonly table: string;
  readonly hides: Scope;
  readonly unless?: Scope;
  readonly exempt: readonly (readonly [RoleDefinition, Scope])[];
  readonly commands: readonly Command[];
}

/**
 * Defines a restrictive rule. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * restrict("confidential", {
 *   table: "patients", hides: is("confidential", true), unless: own("doctor_id"),
 *   exempt: [[chief, unitTree("ward_id")], [medicalDirector, all()]],
 * })
 */
export function restrict(
  name: string,
  definition: {
    table: string;
    hides: Scope;
    unless?: Scope;
    exempt?: readonly (readonly [RoleDefinition, Scope])[];
    commands?: readonly Command[];
  },
): RestrictionDefinition {
  assertShape("restriction", [name, definition]);
  return Object.freeze({
    kind: "restriction",
    name,
    table: definition.table,
    hides: definition.hides,
    ...(definition.unless ? { unless: definition.unless } : {}),
    exempt: Object.freeze((definition.exempt ?? []).map((pair) => Object.freeze([pair[0], pair[1]] as const))),
    commands: Object.freeze([...(definition.commands ?? ["select", "insert", "update", "delete"])]),
  });
}
