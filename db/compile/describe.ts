import type { Scope } from "../policy/scopes";
import { kindOf } from "./scopes";

/**
 * A scope in words, for comments and the access matrix; each kind describes itself (`scopes/`).
 *
 * @example
 * describeScope(or(own("owner_id"), pool("owner_id"))) // "rows they own (owner_id) or the unowned pool (owner_id is null)"
 */
export function describeScope(scope: Scope): string {
  return kindOf(scope).describe(scope, describeScope);
}
