import type { RoleDefinition } from "./roles";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";

/** How a mask turns a raw value into its masked twin; each is an IMMUTABLE SQL function. */
export type MaskFunction =
  | { readonly kind: "keep_first"; readonly n: number }
  | { readonly kind: "keep_last"; readonly n: number }
  | { readonly kind: "email_domain" }
  | { readonly kind: "redact" }
  | { readonly kind: "date_to_month" }
  | { readonly kind: "number_to_range"; readonly step: number };

/**
 * Where a reader sees the raw value of a masked column: one scope for every role reading the column, or
 * `[role, scope]` pairs (a role extending a listed role gets the union of its lineage's scopes; a role
 * reading the column with no pair in its lineage sees it masked on every row).
 */
export type Unmasked = Scope | readonly (readonly [RoleDefinition, Scope])[];

/** A masked twin of one column: a stored generated column computed by the mask function. */
export interface MaskDefinition {
  readonly kind: "mask";
  readonly table: string;
  readonly column: string;
  /** Name of the generated twin column (default `<column>_masked`). */
  readonly twin: string;
  readonly fn: MaskFunction;
  /**
   * Row-dependent: roles whose column access reads the column (`read`, `write`, `insert`) see it raw only on the
   * rows where this holds for them, masked elsewhere. Absent: raw on every row they see.
   */
  readonly unless?: Unmasked;
}

const positive = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} needs a positive whole number, got ${n}`);
  return n;
};

/** Keeps the first `n` characters, stars the rest. @example keepFirst(2) // "Alice" → "Al***" */
export const keepFirst = (n: number): MaskFunction => Object.freeze({ kind: "keep_first", n: positive(n, "keepFirst") });

/** Keeps the last `n` characters, stars the rest. @example keepLast(4) // "+1 555 0100" → "*******0100" */
export const keepLast = (n: number): MaskFunction => Object.freeze({ kind: "keep_last", n: positive(n, "keepLast") });

/** Keeps only the domain of an e-mail address. @example emailDomain() // "a@b.com" → "***@b.com" */
export const emailDomain = (): MaskFunction => Object.freeze({ kind: "email_domain" });

/** Replaces any value with a fixed marker. @example redact() // "123-45-6789" → "[redacted]" */
export const redact = (): MaskFunction => Object.freeze({ kind: "redact" });

/** Truncates a date or timestamp to the first day of its month (UTC). @example dateToMonth() */
export const dateToMonth = (): MaskFunction => Object.freeze({ kind: "date_to_month" });

/** Replaces a number with its bucket. @example numberToRange(10000) // 12500 → "10000-19999" */
export const numberToRange = (step: number): MaskFunction =>
  Object.freeze({ kind: "number_to_range", step: positive(step, "numberToRange") });

/**
 * Declares a masked twin of `table.column`. With `unless`, the mask depends on the row: a role that reads the
 * column sees the raw value where the scope holds for it on that row and the masked value elsewhere (roles whose
 * access is `masked` see it masked everywhere). Throws when an argument has the wrong kind or `options` an unknown key.
 *
 * @example
 * mask("patients", "phone", keepLast(4)) // adds patients.phone_masked
 * mask("patients", "admitted_at", dateToMonth(), { as: "admitted_month" })
 * // nurses read the phone in full on their own ward's patients, masked on the others they see
 * mask("patients", "phone", keepLast(4), { unless: [[nurse, unit("ward_id")], [chief, all()]] })
 */
export function mask(
  table: string,
  column: string,
  fn: MaskFunction,
  options: { as?: string; unless?: Unmasked } = {},
): MaskDefinition {
  assertShape("mask", [table, column, fn, options]);
  const unless =
    options.unless === undefined
      ? {}
      : {
          unless: Array.isArray(options.unless)
            ? Object.freeze(
                (options.unless as readonly (readonly [RoleDefinition, Scope])[]).map((p) => Object.freeze([...p] as const)),
              )
            : options.unless,
        };
  return Object.freeze({ kind: "mask", table, column, twin: options.as ?? `${column}_masked`, fn, ...unless });
}
