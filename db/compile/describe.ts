import type { Scope } from "../policy/scopes";
import { kindOf } from "./scopes";

/**
 * A scope in words, for comments and the access matrix; each kind describes itself (`scopes/`).
 *
 * @example
 * describeScope(or(own("owner_id"), pool("owner_id"))) // "rows they own (owner_id) or the unowned pool (owner_id is null)"
 */
export function describeScope(scope: Scope): string {
  let words = described.get(scope);
  if (words === undefined) {
    words = kindOf(scope).describe(scope, describeScope);
    described.set(scope, words);
  }
  return words;
}

/** Scopes already in words (definitions are frozen; comments and the matrix describe each scope many times). */
const described = new WeakMap<Scope, string>();
