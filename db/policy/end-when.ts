import type { Scope } from "./scopes";
import { assertShape } from "./shape";

/**
 * Rows that end by themselves when something happens elsewhere: when a row of `when.table` comes to match
 * `when.where` (inserted so, or updated into it), every live row of `table` linked to it (`link` =
 * `when.link`) gets `expires` set to the clock. Compiled into a trigger on `when.table`, so it holds
 * however the change is made. A row made live again later is not touched.
 */
export interface EndWhenDefinition {
  readonly kind: "endWhen";
  readonly name: string;
  readonly table: string;
  /** The timestamp column that says until when a row counts (a `isFuture(column)` scope reads it). */
  readonly expires: string;
  readonly link: string;
  readonly when: { readonly table: string; readonly link: string; readonly where: Scope };
  readonly description: string;
}

/**
 * Defines an ending. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * endWhen("referrals_end_at_discharge", { table: "referrals", expires: "expires_at", link: "patient_id",
 *   when: { table: "discharges", link: "patient_id", where: is("status", "signed") } });
 */
export function endWhen(
  name: string,
  definition: {
    table: string;
    expires: string;
    link: string;
    when: { table: string; link: string; where: Scope };
    description?: string;
  },
): EndWhenDefinition {
  assertShape("end when", [name, definition]);
  return Object.freeze({
    kind: "endWhen",
    name,
    table: definition.table,
    expires: definition.expires,
    link: definition.link,
    when: Object.freeze({ ...definition.when }),
    description: definition.description ?? "",
  });
}
