import type { RoleDefinition } from "./roles";
import type { Scope, ScopeValue } from "./scopes";
import { assertShape } from "./shape";

/**
 * What an approved request does to its row: delete it, set columns to the values the requester asked for
 * (`update`), or set columns to fixed values (`set`, e.g. a quote's status to `approved`).
 */
export type ApprovalChange =
  "delete" | { readonly update: readonly string[] } | { readonly set: Readonly<Record<string, ScopeValue>> };

/** Who may still make the change directly, under their own rules, without a request. */
export type DirectWriters = "nobody" | "everyone" | readonly RoleDefinition[];

/**
 * A risky change that needs someone else's approval (`defineApp({ approvals })`). A requester files a request
 * for one row; an approver (never the requester) approves it before it expires, and the approval applies the
 * change with the approver's own rights; or rejects it. See `db/compile/emit/approvals.ts`.
 */
export interface ApprovalDefinition {
  readonly kind: "approval";
  /** Lowercase name; the request operation is `<schema>.request_<name>`. */
  readonly name: string;
  readonly table: string;
  readonly change: ApprovalChange;
  /** Rows the change needs an approval on, and may be requested for (default: every row). */
  readonly when?: Scope;
  /** Roles that may file a request, each for the rows of a scope (inherited by roles that extend them). */
  readonly requesters: readonly (readonly [RoleDefinition, Scope])[];
  /** Roles that may decide a request, each for the rows of a scope (inherited by roles that extend them). */
  readonly approvers: readonly (readonly [RoleDefinition, Scope])[];
  /** How long a request waits for a decision: a whole number and a unit, e.g. `"7 days"` (see `parseDuration`). */
  readonly expires: string;
  /** Column the approval sets to the approver's user id; no role may write it. */
  readonly records?: string;
  /** Columns that never change again once a `set` approval holds (its own columns and `records` too). */
  readonly locks: readonly string[];
  /** Who may still make the change without a request (default nobody: the approval is the only path). */
  readonly direct: DirectWriters;
}

/** The columns an approval writes: the requested ones, or the fixed ones (none for a delete). */
export const changedColumns = (change: ApprovalChange): string[] =>
  change === "delete" ? [] : "update" in change ? [...change.update] : Object.keys(change.set);

/**
 * The columns of `table` that approvals record the approver in: only the approval writes them, so every role's
 * `write` or `insert` on them is read (`compile/plan.ts`).
 *
 * @example
 * recordedColumns(clinic.approvals, "prescriptions"); // ["approved_by"]
 */
export const recordedColumns = (approvals: readonly ApprovalDefinition[] | undefined, table: string): string[] =>
  (approvals ?? []).flatMap((a) => (a.table === table && a.records ? [a.records] : []));

/**
 * Declares a change that needs approval. Checks its shape when it is made (unknown keys name the closest known
 * one; `expires` must read like `"7 days"`, as `parseDuration` reads it); tables, columns, roles and scopes are checked at compile.
 *
 * @example
 * approval("prescription_dose", {
 *   table: "prescriptions", change: { update: ["dose"] }, when: isNot("status", "draft"),
 *   requesters: [[doctor, via("patient_id", "patients", own("doctor_id"))]],
 *   approvers: [[chief, via("patient_id", "patients", unitTree("ward_id"))]],
 *   expires: "7 days",
 * })
 */
export function approval(
  name: string,
  options: {
    table: string;
    change: ApprovalChange;
    when?: Scope;
    requesters: readonly (readonly [RoleDefinition, Scope])[];
    approvers: readonly (readonly [RoleDefinition, Scope])[];
    expires: string;
    records?: string;
    locks?: readonly string[];
    direct?: DirectWriters;
  },
): ApprovalDefinition {
  assertShape("approval", [name, options]);
  const pairs = (list: readonly (readonly [RoleDefinition, Scope])[]) =>
    Object.freeze(list.map(([r, s]) => Object.freeze([r, s] as const)));
  const change = options.change;
  return Object.freeze({
    kind: "approval",
    name,
    table: options.table,
    change:
      change === "delete"
        ? change
        : "update" in change
          ? Object.freeze({ update: Object.freeze([...change.update]) })
          : Object.freeze({ set: Object.freeze({ ...change.set }) }),
    ...(options.when ? { when: options.when } : {}),
    requesters: pairs(options.requesters),
    approvers: pairs(options.approvers),
    expires: options.expires.trim().replace(/\s+/g, " "),
    ...(options.records ? { records: options.records } : {}),
    locks: Object.freeze([...(options.locks ?? [])]),
    direct:
      options.direct === undefined || typeof options.direct === "string"
        ? (options.direct ?? "nobody")
        : Object.freeze([...options.direct]),
  });
}
