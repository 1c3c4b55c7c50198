import { describeScope } from "../compile/describe";
import type { Plan } from "../compile/plan";

/** Who may read one personal column, and how. */
export interface PersonalColumn {
  readonly table: string;
  readonly column: string;
  /** Its masked twin. */
  readonly twin: string;
  /** Roles holding select on the raw column. */
  readonly raw: readonly string[];
  /** Roles that read the raw value on some rows and the masked twin on the others (a row-dependent mask), with those rows in words. */
  readonly byRow: readonly { readonly role: string; readonly rows: string }[];
  /** Roles that read only the masked twin. */
  readonly masked: readonly string[];
  /** Roles that may reveal the raw value of one row at a time, with a reason (audited). */
  readonly reveal: readonly string[];
  /** Masking views that show the column (raw or masked), each with its roles. */
  readonly views: readonly { readonly view: string; readonly shows: "raw" | "masked"; readonly roles: readonly string[] }[];
}

/**
 * Who reads personal data, raw or masked, from the compiled plan. Nothing in the definitions marks a column
 * "personal"; a column with a mask is taken as personal (it is what the definitions protect), its twin as its
 * masked form.
 *
 * @example
 * personalData(plan); // [{ table: "patients", column: "phone", twin: "phone_masked", raw: ["doctor"], byRow: [], masked: ["nurse"], reveal: [], views: [] }]
 */
export function personalData(plan: Plan): PersonalColumn[] {
  return plan.masks.map((m) => {
    const grants = plan.tables.find((t) => t.name === m.table)?.grants ?? [];
    const raw = grants.filter((g) => g.select.includes(m.column)).map((g) => g.role);
    const byRow = plan.rowMasks.filter((r) => r.table === m.table && r.column === m.column);
    return {
      table: m.table,
      column: m.column,
      twin: m.twin,
      raw,
      byRow: byRow.map((r) => ({ role: r.role, rows: describeScope(r.scope) })),
      masked: grants
        .filter((g) => g.select.includes(m.twin) && !raw.includes(g.role) && !byRow.some((r) => r.role === g.role))
        .map((g) => g.role),
      reveal: (plan.privileges.reveals[`${m.table}.${m.column}`] ?? []).map((r) => r.role),
      views: plan.views
        .filter((v) => v.from === m.table && (v.columns.includes(m.column) || v.columns.includes(m.twin)))
        .map((v) => ({
          view: v.name,
          shows: v.columns.includes(m.column) ? ("raw" as const) : ("masked" as const),
          roles: v.roles,
        })),
    };
  });
}
