import type { AppDefinition, Scope } from "../../../db";
import { rulesOf } from "./rules";

/** The columns of its own row a scope says who holds the row by (not its parent's: a `via` names only its key). */
function holderColumnsOf(scope: Scope): string[] {
  switch (scope.kind) {
    case "own":
    case "unit":
    case "unitTree":
    case "userInTree":
    case "pool":
    case "via":
      return [scope.column];
    case "or":
    case "and":
      return scope.scopes.flatMap(holderColumnsOf);
    default:
      return [];
  }
}

/**
 * A table's holder columns (CONVENTIONS.md "Grants never move rows"): those any role's rules on it read through
 * `own`, `unit`, `unitTree`, `userInTree`, `pool` and `via`. Changing one is checked by the holder guard.
 */
export function holderColumns(app: AppDefinition, table: string): Set<string> {
  const out = new Set<string>();
  for (const role of app.roles) {
    for (const r of rulesOf(role, table)) {
      const scopes = [r.select, r.insert?.check, r.update?.using, r.update?.check, r.delete].filter((s) => s !== undefined);
      for (const s of scopes) for (const c of holderColumnsOf(s)) out.add(c);
    }
  }
  return out;
}
