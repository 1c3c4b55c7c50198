import type { MemberSet, Scope } from "../policy/scopes";

/** Calls `visit` on the scope and every scope nested in it (not into member sets). */
export function walkScope(scope: Scope, visit: (scope: Scope) => void): void {
  visit(scope);
  if (scope.kind === "or" || scope.kind === "and") for (const s of scope.scopes) walkScope(s, visit);
  if (scope.kind === "via" && scope.where) walkScope(scope.where, visit);
}

/** Every member set a scope uses, by name. */
export function memberSetsOf(scope: Scope, into: Map<string, MemberSet>): void {
  walkScope(scope, (s) => {
    if (s.kind === "member") into.set(s.set.name, s.set);
  });
}
