import type { AppDefinition, RoleDefinition } from "../../../db";
import { rowsOf, type Row, type Tables, type Value } from "./data";
import type { Who } from "./identity";
import { familyOf } from "./rules";

/** How far a role reaches in the grants table: every grant, those it or users below it made, or none of its own. */
export type GrantReach = "anywhere" | "below" | "none";

/** A role may grant when it (or a role it extends) is listed in `grants.anywhere` or `grants.by`; anywhere wins. */
export function grantReachOf(app: AppDefinition, role: RoleDefinition): GrantReach {
  const family = familyOf(role);
  if (!app.grants) return "none";
  if ((app.grants.anywhere ?? []).some((r) => family.includes(r))) return "anywhere";
  if ((app.grants.by ?? []).some((r) => family.includes(r))) return "below";
  return "none";
}

/**
 * Whether a granting role sees a row of the grants table through the grant operations (`defineApp({ grants })`
 * TSDoc, CONVENTIONS.md "Temporary grants"): every grant when it grants anywhere, else the grants it made and those
 * made by users of units strictly below its own.
 */
export function seesGrant(app: AppDefinition, tables: Tables, reach: GrantReach, who: Who, row: Row): boolean {
  const store = app.identity.grants;
  if (!store?.grantedBy || who.uid === null || reach === "none") return false;
  if (reach === "anywhere") return true;
  const by: Value = row[store.grantedBy] ?? null;
  if (by !== null && by === who.uid) return true;
  const { users } = app.identity;
  return rowsOf(tables, users.table).some(
    (u) => u[users.id] === by && u[users.unit] !== who.unit && who.unitTree.has(u[users.unit] ?? null),
  );
}

/** The columns a granting role holds on the grants table for the operations: select all, insert what a grant names, update the expiry. */
export function grantColumns(app: AppDefinition, columns: readonly string[]) {
  const store = app.identity.grants!;
  return {
    select: columns,
    insert: [store.grantee, store.tableName, store.row, store.privilege, store.expires, store.reason].filter(
      (c) => c !== undefined,
    ),
    update: [store.expires],
  };
}
