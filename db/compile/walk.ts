import type { MemberSet, Scope } from "../policy/scopes";
import { kindOf } from "./scopes";

/**
 * Calls `visit` on the scope and every scope nested in it (not into member sets).
 *
 * @example
 * walkScope(or(own("owner_id"), via("patient_id", "patients")), (s) => kinds.push(s.kind)) // or, own, via
 */
export function walkScope(scope: Scope, visit: (scope: Scope) => void): void {
  visit(scope);
  for (const s of kindOf(scope).children(scope)) walkScope(s, visit);
}

/** Every member set a scope uses, by name. */
export function memberSetsOf(scope: Scope, into: Map<string, MemberSet>): void {
  walkScope(scope, (s) => {
    if (s.kind === "member") into.set(s.set.name, s.set);
  });
}

/** Whether a scope (or one nested in it, a parent's condition included) asks who is asking. */
export function asksWho(scope: Scope): boolean {
  let found = false;
  walkScope(scope, (s) => {
    if (kindOf(s).asksWho) found = true;
  });
  return found;
}

/** Columns of the row a scope reads directly, the foreign key of a `via` included (not what the parent reads). */
export function directColumns(scope: Scope): string[] {
  return [...kindOf(scope).columns(scope, directColumns)];
}
