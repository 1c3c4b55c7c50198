import type { RoleDefinition } from "./roles";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";

/**
 * A public pool of rows nobody owns (`owner` is null), which users claim and release through two
 * operations of the app schema, `claim_<name>(row_id)` and `release_<name>(row_id)`. Claims are race-safe
 * (one row, one winner) and counted in the database against `dailyLimit` per user and day. Each entry of
 * `claim` gives a role, and every role extending it, the pool rows it may claim.
 */
export interface PublicPoolDefinition {
  readonly kind: "publicPool";
  readonly table: string;
  /** Singular name in the operations: `patient` → `claim_patient`, `release_patient`. */
  readonly name: string;
  readonly owner: string;
  readonly claim: readonly (readonly [RoleDefinition, Scope])[];
  readonly dailyLimit: number;
}

/**
 * Defines a public pool. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * publicPool("patients", { name: "patient", owner: "doctor_id", dailyLimit: 5,
 *   claim: [[doctor, and(unitTree("ward_id"), isNot("confidential", true))]] });
 */
export function publicPool(
  table: string,
  definition: { name: string; owner: string; claim: readonly (readonly [RoleDefinition, Scope])[]; dailyLimit: number },
): PublicPoolDefinition {
  assertShape("public pool", [table, definition]);
  return Object.freeze({
    kind: "publicPool",
    table,
    name: definition.name,
    owner: definition.owner,
    claim: Object.freeze(definition.claim.map((pair) => Object.freeze([...pair] as const))),
    dailyLimit: definition.dailyLimit,
  });
}
