import type { AppDefinition, DirectWriters, RoleDefinition } from "../../../db";
import type { Row, Value } from "./data";
import { familyOf } from "./rules";
import { holds, type ScopeContext } from "./scopes";

/** Whether the role may make an approval's change without a request (`direct`, inherited by roles that extend). */
const direct = (writers: DirectWriters, role: RoleDefinition): boolean =>
  writers === "everyone" || (writers !== "nobody" && familyOf(role).some((r) => writers.includes(r)));

/** A write as the approval gate sees it. */
export type GatedWrite =
  | { readonly kind: "insert"; readonly row: Row }
  | { readonly kind: "update"; readonly old: Row; readonly changed: Readonly<Record<string, Value>> }
  | { readonly kind: "delete"; readonly old: Row };

/**
 * Whether the approvals on the table refuse this direct write (CONVENTIONS.md "Approvals"; `approval()` TSDoc): a gated
 * change (rows in `when`) by a role that may not make it directly — a delete, an update of a requested column, a write
 * that makes a `set` approval hold (an insert included) — or, once a `set` approval with `locks` holds, a change of
 * its locked columns. The approval path itself (request, approve) is not what a plain write takes.
 */
export function refusedByApprovals(app: AppDefinition, role: RoleDefinition, write: GatedWrite, ctx: ScopeContext): boolean {
  for (const a of (app.approvals ?? []).filter((x) => x.table === ctx.table)) {
    // `when` reads the row as it was; a new row has no earlier state, so every insert is in it
    const applies = write.kind === "insert" || !a.when || holds(a.when, write.old, ctx);
    const free = direct(a.direct, role);
    if (a.change === "delete") {
      if (write.kind === "delete" && applies && !free) return true;
      continue;
    }
    if (write.kind === "delete") continue;
    if ("update" in a.change) {
      if (write.kind !== "update") continue;
      const touched = (c: string) => c in write.changed && write.changed[c] !== write.old[c];
      if (applies && a.change.update.some(touched) && !free) return true;
      continue;
    }
    const set = Object.entries(a.change.set);
    const before = write.kind === "update" ? write.old : undefined;
    const after: Row = write.kind === "update" ? { ...write.old, ...write.changed } : write.row;
    const heldBefore = before !== undefined && set.every(([c, v]) => before[c] === v);
    const locked = [...set.map(([c]) => c), ...(a.records ? [a.records] : []), ...a.locks];
    if (a.locks.length > 0 && heldBefore && locked.some((c) => after[c] !== before![c])) return true;
    if (!heldBefore && set.every(([c, v]) => after[c] === v) && applies && !free) return true;
  }
  return false;
}
