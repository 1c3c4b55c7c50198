import type { MaskFunction } from "../../../db";
import type { Value } from "./data";

type Masking<K extends MaskFunction["kind"]> = (fn: Extract<MaskFunction, { kind: K }>, value: string) => string | undefined;

const stars = (n: number) => "*".repeat(Math.max(n, 0));

/**
 * What each mask makes of a value, per its TSDoc (`db/policy/masks.ts`); `undefined` where the evaluator does not
 * model the mask (dates and number ranges: the worlds hold no such source values).
 */
export const MASKINGS: { readonly [K in MaskFunction["kind"]]: Masking<K> } = {
  keep_first: (f, v) => v.slice(0, f.n) + stars(v.length - f.n),
  keep_last: (f, v) => stars(v.length - f.n) + v.slice(Math.max(v.length - f.n, 0)),
  email_domain: (_f, v) => (v.includes("@") ? `***@${v.slice(v.lastIndexOf("@") + 1)}` : undefined),
  redact: () => "[redacted]",
  date_to_month: () => undefined,
  number_to_range: () => undefined,
};

/** The masked twin of a value (masks are strict: null stays null); `undefined` when not modelled. */
export function masked(fn: MaskFunction, value: Value): Value | undefined {
  if (value === null) return null;
  if (typeof value !== "string") return undefined;
  const masking = MASKINGS[fn.kind] as Masking<MaskFunction["kind"]>;
  return masking(fn as never, value);
}
