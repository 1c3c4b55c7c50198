/**
 * What a role may do with one column:
 * - `read`: select it;
 * - `write`: select, insert and update it (insert and update only where the role has that row rule);
 * - `insert`: select it and set it on insert, never change it afterwards;
 * - `masked`: no privilege on the raw column; select its masked twin instead;
 * - `hidden`: nothing.
 */
export type ColumnAccess = "read" | "write" | "insert" | "masked" | "hidden";

/**
 * Column access for one role on one table; `default` covers the columns not named
 * (when left out: `read` if the role may select rows, else `hidden`).
 *
 * @example
 * { default: "read", phone: "masked", payment_status: "write" }
 */
export type ColumnRules = { readonly default?: ColumnAccess } & { readonly [column: string]: ColumnAccess | undefined };

export const COLUMN_ACCESS: readonly ColumnAccess[] = ["read", "write", "insert", "masked", "hidden"];
