import { all, or, type Scope } from "../policy/scopes";
import { kindOf } from "./scopes";

/** A structural key for a scope, so equal scopes written twice (often through inheritance) collapse; each kind keys itself. */
export function scopeKey(scope: Scope): string {
  return kindOf(scope).key(scope, scopeKey);
}

/**
 * Any of `scopes`, flattened: nested ors are opened, repeats dropped, and `all()` absorbs the rest.
 *
 * @example
 * anyOf([own("owner_id"), or(own("owner_id"), pool("owner_id"))]) // or(own("owner_id"), pool("owner_id"))
 */
export function anyOf(scopes: readonly Scope[]): Scope | undefined {
  const flat = scopes.flatMap((s) => (s.kind === "or" ? s.scopes : [s]));
  if (flat.some((s) => s.kind === "all")) return all();
  const seen = new Map<string, Scope>();
  for (const s of flat) if (!seen.has(scopeKey(s))) seen.set(scopeKey(s), s);
  const unique = [...seen.values()];
  return unique.length === 0 ? undefined : unique.length === 1 ? unique[0] : or(...unique);
}
