import type { AppDefinition, Scope } from "../../../db";
import { rulesOf } from "./rules";

/** The `own(col)` columns a scope names on its own row (not through a parent). */
function ownColumns(scope: Scope): string[] {
  if (scope.kind === "own") return [scope.column];
  if (scope.kind === "or" || scope.kind === "and") return scope.scopes.flatMap(ownColumns);
  return [];
}

/** For each `own(col)` in a select rule of the table: the roles whose select rule (own or inherited) has it. */
export function ownerColumns(app: AppDefinition, table: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const role of app.roles) {
    for (const rules of rulesOf(role, table)) {
      for (const column of rules.select ? ownColumns(rules.select) : []) {
        if (!out.has(column)) out.set(column, new Set());
        out.get(column)!.add(role.name);
      }
    }
  }
  return out;
}
