import type { RoleDefinition } from "./roles";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";
import { reveal, type RevealDefinition } from "./reveal";

/**
 * A column stored encrypted at rest (pgcrypto, keys in the toolkit schema that no app role can read). The column
 * keeps its name and text type and holds ciphertext; no app role may select it. Roles whose access reads it get its
 * `mask(...)` twin instead, filled by the encryption trigger from the plaintext. The roles in `reveal` (and roles
 * extending them) read the plaintext one row at a time through `<schema>.reveal_<table>_<column>(row_id, reason)`,
 * audited. With `lookup`, a keyed hash column `<column>_hash` and `<schema>.<table>_by_<column>(value)` find rows by
 * value under the caller's row security.
 */
export interface EncryptionDefinition {
  readonly kind: "encrypt";
  readonly table: string;
  readonly column: string;
  /** The reveal it makes (absent when `reveal` lists no role: nobody reads the plaintext). */
  readonly reveal?: RevealDefinition;
  /** Name of the keyed hash column for equality lookups, when `lookup` is on. */
  readonly hash?: string;
}

/**
 * Declares `table.column` encrypted at rest. `reveal` takes the pairs of `reveal()`'s `by`. Throws when an
 * argument has the wrong kind or `options` an unknown key.
 *
 * @example
 * encrypt("patients", "insurance_number", { reveal: [[chief, unitTree("ward_id")]] });
 * encrypt("patients", "insurance_number", { reveal: [[chief, all()]], lookup: true }); // + patients_by_insurance_number(value)
 */
export function encrypt(
  table: string,
  column: string,
  options: { reveal: readonly (readonly [RoleDefinition, Scope])[]; lookup?: boolean },
): EncryptionDefinition {
  assertShape("encrypt", [table, column, options]);
  return Object.freeze({
    kind: "encrypt",
    table,
    column,
    ...(options.reveal.length ? { reveal: reveal(table, column, { by: options.reveal }) } : {}),
    ...(options.lookup ? { hash: `${column}_hash` } : {}),
  });
}
