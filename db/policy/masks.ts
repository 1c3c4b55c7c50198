import { assertShape } from "./shape";

/** How a mask turns a raw value into its masked twin; each is an IMMUTABLE SQL function. */
export type MaskFunction =
  | { readonly kind: "keep_first"; readonly n: number }
  | { readonly kind: "keep_last"; readonly n: number }
  | { readonly kind: "email_domain" }
  | { readonly kind: "redact" }
  | { readonly kind: "date_to_month" }
  | { readonly kind: "number_to_range"; readonly step: number };

/** A masked twin of one column: a stored generated column computed by the mask function. */
export interface MaskDefinition {
  readonly kind: "mask";
  readonly table: string;
  readonly column: string;
  /** Name of the generated twin column (default `<column>_masked`). */
  readonly twin: string;
  readonly fn: MaskFunction;
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
 * Declares a masked twin of `table.column`. Throws when an argument has the wrong kind or `options` an unknown key.
 *
 * @example
 * mask("patients", "phone", keepLast(4)) // adds patients.phone_masked
 * mask("patients", "admitted_at", dateToMonth(), { as: "admitted_month" })
 */
export function mask(table: string, column: string, fn: MaskFunction, options: { as?: string } = {}): MaskDefinition {
  assertShape("mask", [table, column, fn, options]);
  return Object.freeze({ kind: "mask", table, column, twin: options.as ?? `${column}_masked`, fn });
}
