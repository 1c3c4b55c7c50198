import type { AppDefinition } from "../policy/define";
import type { MaskDefinition } from "../policy/masks";
import type { RoleDefinition } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { accessOf, lineage } from "./lineage";
import { anyOf } from "./simplify";

/**
 * How a role reads a masked column: the raw value on every row it sees, the masked twin on every row, or the raw
 * value where `scope` holds on the row and the twin elsewhere (a row-dependent mask, `mask(..., { unless })`).
 */
export type MaskReading =
  { readonly kind: "raw" } | { readonly kind: "masked" } | { readonly kind: "row"; readonly scope: Scope };

const READS = new Set(["read", "write", "insert"]);

/**
 * How `role` reads the column of `mask`, from its column access (own and inherited) and the mask's `unless`;
 * undefined when the role reads the column in no form. A listed pair's scope is inherited and or'd along the
 * lineage; a scope that covers every row (`all()`) is a raw read.
 *
 * @example
 * maskReading(nurse, mask("patients", "phone", keepLast(4), { unless: [[nurse, unit("ward_id")]] }))
 * // { kind: "row", scope: unit("ward_id") }
 */
export function maskReading(role: RoleDefinition, mask: MaskDefinition): MaskReading | undefined {
  const selects = lineage(role).some((r) => r.tables[mask.table]?.select);
  const access = accessOf(role, mask.table, [mask.column], selects)[mask.column];
  if (access === "masked") return { kind: "masked" };
  if (access === undefined || !READS.has(access)) return undefined;
  if (mask.unless === undefined) return { kind: "raw" };
  const scope = Array.isArray(mask.unless)
    ? anyOf(
        (mask.unless as readonly (readonly [RoleDefinition, Scope])[])
          .filter(([listed]) => lineage(role).includes(listed))
          .map(([, s]) => s),
      )
    : anyOf([mask.unless as Scope]);
  if (scope === undefined) return { kind: "masked" };
  return scope.kind === "all" ? { kind: "raw" } : { kind: "row", scope };
}

/** One role's row-dependent read of one masked column: the function it reads the column through. */
export interface RowMask {
  readonly table: string;
  readonly column: string;
  readonly twin: string;
  /** The reading app role, unprefixed. */
  readonly role: string;
  /** Rows where the role reads the raw value. */
  readonly scope: Scope;
  /**
   * `<toolkit schema>.<fn>(key)`, one per role and table: a jsonb object with, per column the role reads row by row on
   * that table, the raw value where its scope holds and the twin elsewhere; null for a row the role cannot see.
   */
  readonly fn: string;
  /**
   * `<toolkit schema>.<rowsFn>(keys)`, one per role and table: the same objects for many rows in one statement, as
   * `(row_key, masks)` pairs (rows the caller cannot see are left out). `fn` is this on one key.
   */
  readonly rowsFn: string;
  /** The role owning `rowsFn`, unprefixed (see {@link rawReader}). */
  readonly reader: string;
}

/**
 * The role a row-dependent mask's functions run as, unprefixed (`raw_<role>`; in the database `clinic_raw_nurse`):
 * NOLOGIN, a member of the app role (so that role's policies and privileges apply to it) that also holds select on
 * the raw columns the role reads row by row; granted to nobody, it owns those functions and nothing else.
 *
 * @example
 * roleName(clinic, rawReader("nurse")) // "clinic_raw_nurse"
 */
export const rawReader = (role: string): string => `raw_${role}`;

/** The function a role reads the row-dependent columns of one row of a table through: `row_mask_<table>__<role>`. */
export const rowMaskFunction = (table: string, role: string): string => `row_mask_${table}__${role}`;

/** The same for many rows at once (a page): `row_masks_<table>__<role>`. */
export const rowMasksFunction = (table: string, role: string): string => `row_masks_${table}__${role}`;

/**
 * Every row-dependent read of the app, masks in definition order and roles within each in definition order.
 *
 * @example
 * rowMasksOf(clinic).map((m) => `${m.column}: ${m.fn}`) // ["phone: row_mask_patients__nurse"]
 */
export function rowMasksOf(app: AppDefinition): RowMask[] {
  // an encrypted column is read by nobody, row by row or not (the compile refuses unless on one)
  const sealed = (m: MaskDefinition) => app.encrypted.some((e) => e.table === m.table && e.column === m.column);
  return app.masks.flatMap((m) =>
    m.unless === undefined || sealed(m)
      ? []
      : app.roles.flatMap((role): RowMask[] => {
          const reading = maskReading(role, m);
          if (reading?.kind !== "row") return [];
          return [
            Object.freeze({
              table: m.table,
              column: m.column,
              twin: m.twin,
              role: role.name,
              scope: reading.scope,
              fn: rowMaskFunction(m.table, role.name),
              rowsFn: rowMasksFunction(m.table, role.name),
              reader: rawReader(role.name),
            }),
          ];
        }),
  );
}
