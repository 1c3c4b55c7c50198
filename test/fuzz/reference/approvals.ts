import type { AppDefinition, DirectWriters, RoleDefinition } from "../../../db";
import type { Row, Value } from "./data";
import { familyOf } from "./rules";
import { holds, type ScopeContext } from "./scopes";

/** Whether the role may make an approval's change without a request (`direct`, inherited by roles that extend). */
const direct = (writers: DirectWriters, role: RoleDefinition): boolean =>
  writers === "everyone" || (writers !== "nobody" && familyOf(role).some((r) => writers.includes(r)));

/**
 * Whether the approvals on the table refuse this direct change of `old` into `changed` (CONVENTIONS.md "Approvals"): a
 * gated change by a role that may not make it directly, or a change of a locked column once a `set` approval holds.
 * `changed` undefined means a delete. The approval path itself (request, approve) is not what a plain write takes.
 */
export function refusedByApprovals(
  app: AppDefinition,
  role: RoleDefinition,
  old: Row,
  changed: Readonly<Record<string, Value>> | undefined,
  ctx: ScopeContext,
): boolean {
  for (const a of (app.approvals ?? []).filter((x) => x.table === ctx.table)) {
    const applies = !a.when || holds(a.when, old, ctx);
    if (a.change === "delete") {
      if (changed === undefined && applies && !direct(a.direct, role)) return true;
      continue;
    }
    if (changed === undefined) continue;
    const touched = (column: string) => column in changed && changed[column] !== old[column];
    if ("update" in a.change) {
      if (applies && a.change.update.some(touched) && !direct(a.direct, role)) return true;
      continue;
    }
    const set = Object.entries(a.change.set);
    const held = set.every(([c, v]) => old[c] === v);
    const locked = [...set.map(([c]) => c), ...(a.records ? [a.records] : []), ...a.locks];
    if (held && locked.some(touched)) return true;
    const sets = set.every(([c, v]) => (c in changed ? changed[c] : old[c]) === v);
    if (!held && sets && applies && !direct(a.direct, role)) return true;
  }
  return false;
}
