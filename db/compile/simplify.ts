import { all, or, type Scope } from "../policy/scopes";
import { kindOf } from "./scopes";

/** A structural key for a scope, so equal scopes written twice (often through inheritance) collapse; each kind keys itself. */
export function scopeKey(scope: Scope): string {
  let key = keys.get(scope);
  if (key === undefined) {
    key = kindOf(scope).key(scope, scopeKey);
    keys.set(scope, key);
  }
  return key;
}

/** Keys of scopes already keyed: definitions are frozen, and inheritance repeats the same scopes on every table. */
const keys = new WeakMap<Scope, string>();

/** A scope's place among the arms of a disjunction: see `ARM_ORDER`. */
export function scopeOrder(scope: Scope): number {
  return kindOf(scope).order(scope, scopeOrder);
}

/**
 * Whether a scope holds only for a known, active user holding the acting role (see `ScopeKind.knowsUser`).
 *
 * @example
 * knowsUser(or(own("owner_id"), pool("owner_id"))) // false: the pool holds for anyone
 */
export function knowsUser(scope: Scope): boolean {
  return kindOf(scope).knowsUser(scope, knowsUser);
}

/**
 * Whether a scope opens only a few rows per user, found by key (see `ScopeKind.fewRows`).
 *
 * @example
 * fewRows(or(own("owner_id"), granted())) // true
 * fewRows(or(own("owner_id"), pool("owner_id"))) // false: the pool is open to everyone
 */
export function fewRows(scope: Scope): boolean {
  return kindOf(scope).fewRows(scope, fewRows);
}

/**
 * Any of `scopes`, flattened: nested ors are opened, repeats dropped, `all()` absorbs the rest, and the
 * arms are put cheapest first (`ARM_ORDER`; the definitions' order within one place).
 *
 * @example
 * anyOf([own("owner_id"), or(own("owner_id"), pool("owner_id"))]) // or(own("owner_id"), pool("owner_id"))
 */
export function anyOf(scopes: readonly Scope[]): Scope | undefined {
  const flat = scopes.flatMap((s) => (s.kind === "or" ? s.scopes : [s]));
  if (flat.some((s) => s.kind === "all")) return all();
  const seen = new Map<string, Scope>();
  for (const s of flat) {
    const key = scopeKey(s);
    if (!seen.has(key)) seen.set(key, s);
  }
  const unique = [...seen.values()].sort((a, b) => scopeOrder(a) - scopeOrder(b));
  return unique.length === 0 ? undefined : unique.length === 1 ? unique[0] : or(...unique);
}
