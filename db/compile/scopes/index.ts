import type { Scope } from "../../policy/scopes";
import { all } from "./all";
import { attr } from "./attr";
import { channel } from "./channel";
import { future } from "./future";
import { granted } from "./granted";
import { isNull } from "./is-null";
import type { ScopeKind, ScopeOf } from "./kind";
import { member } from "./member";
import { and, or } from "./or-and";
import { own } from "./own";
import { pool } from "./pool";
import { raw } from "./raw";
import { unit } from "./unit";
import { unitTree } from "./unit-tree";
import { userInTree } from "./user-in-tree";
import { via } from "./via";

export { ARM_ORDER } from "./kind";
export type { RenderTools, ScopeChecks, ScopeKind, ScopeOf } from "./kind";

/** Every kind of scope, by kind: the one table the renderer, validation, descriptions and walks dispatch on. */
export const SCOPE_KINDS: { readonly [K in Scope["kind"]]: ScopeKind<K> } = {
  own,
  unit,
  unitTree,
  userInTree,
  all,
  pool,
  via,
  granted,
  member,
  attr,
  isNull,
  future,
  channel,
  raw,
  or,
  and,
};

/**
 * The kind module of a scope, typed for it.
 *
 * @example
 * kindOf(own("owner_id")).asksWho // true
 */
export const kindOf = <K extends Scope["kind"]>(scope: ScopeOf<K>): ScopeKind<K> => SCOPE_KINDS[scope.kind as K] as ScopeKind<K>;
