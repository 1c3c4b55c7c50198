import type { RestrictionDefinition } from "../policy/restrict";
import type { RoleDefinition } from "../policy/roles";
import { and, type MemberSet, type Scope } from "../policy/scopes";
import type { ViewDefinition } from "../policy/views";
import { viewOwner } from "./names";
import type { PolicyNode, RestrictiveNode } from "./plan";
import { anyOf, scopeKey } from "./simplify";
import { directColumns, memberSetsOf } from "./walk";

/** What a masking view's owner holds on one table: select on `columns`, its select policy (if any), the restrictions. */
export interface ViewOwnerReach {
  readonly table: string;
  readonly columns: readonly string[];
  readonly policy?: PolicyNode;
  readonly restrictives: readonly RestrictiveNode[];
}

/** What `viewReach` needs from the plan being built. */
export interface ViewReachContext {
  /** A table's selectable columns in order: raw columns in table order, then mask twins. */
  readonly columnsOf: (table: string) => readonly string[];
  /** The key of `parent` a `via(column, parent)` from `table` joins on. */
  readonly parentKey: (table: string, column: string, parent: string) => string;
  /** A role's select scope on a table, its own and inherited rules or'd; undefined when it has none. */
  readonly selectScope: (role: RoleDefinition, table: string) => Scope | undefined;
  /** The exemptions a role (with what it inherits) has from a restriction. */
  readonly exemptionsOf: (restriction: RestrictionDefinition, role: RoleDefinition) => Scope[];
  /** The restrictive policies of `role` on `table`, for select, keeping what `exemptions` gives. */
  readonly restrictives: (table: string, role: string, exemptions: (r: RestrictionDefinition) => Scope[]) => RestrictiveNode[];
  readonly memberSets: Map<string, MemberSet>;
}

/** The `via` scopes a scope reads on its own row (not those nested in a parent's condition). */
function directVias(scope: Scope): Extract<Scope, { kind: "via" }>[] {
  if (scope.kind === "via") return [scope];
  if (scope.kind === "or" || scope.kind === "and") return scope.scopes.flatMap(directVias);
  return [];
}

/** The scopes `roles` share, and'd (each evaluated for the caller): none when one of them has none. */
function shared(scopes: readonly (Scope | undefined)[]): Scope | undefined {
  if (scopes.length === 0 || scopes.some((s) => s === undefined)) return undefined;
  const distinct = [...new Map(scopes.map((s) => [scopeKey(s!), s!])).values()];
  return distinct.length === 1 ? distinct[0] : and(...distinct);
}

/**
 * Everything a masking view's owner holds, table by table (the view's table first): on its table, select on the
 * view's columns and those its condition reads, a select policy with the view's condition, and the table's
 * restrictions. A `via(fk, parent)` in the condition runs as the owner too, so on each parent it reaches the
 * owner holds the parent's key and the columns the via's own condition reads, a select policy with what every
 * role of the view may select there (and'd: never more than any of them), and the parent's restrictions. A
 * restriction exempts the owner only where every role of the view is exempt.
 *
 * @example
 * viewReach(view, ctx)[0] // { table: "patients", columns: ["id", …], policy: { role: "view_research_export", … }, restrictives: […] }
 */
export function viewReach(view: ViewDefinition, ctx: ViewReachContext): ViewOwnerReach[] {
  const owner = viewOwner(view.name);
  const columns = new Map<string, Set<string>>();
  const policies = new Map<string, Scope | undefined>();
  const need = (table: string, names: readonly string[]) => {
    const set = columns.get(table) ?? new Set<string>();
    names.forEach((n) => set.add(n));
    columns.set(table, set);
  };
  const exemptions = (restriction: RestrictionDefinition) => {
    const scope = shared(view.roles.map((r) => anyOf(ctx.exemptionsOf(restriction, r))));
    return scope ? [scope] : [];
  };
  const reach = (scope: Scope, table: string) => {
    for (const via of directVias(scope)) {
      need(via.parent, [ctx.parentKey(table, via.column, via.parent)]);
      if (via.where) {
        need(via.parent, directColumns(via.where));
        reach(via.where, via.parent);
      }
      if (policies.has(via.parent)) continue;
      const parentScope = shared(view.roles.map((r) => ctx.selectScope(r, via.parent)));
      policies.set(via.parent, parentScope);
      if (parentScope) reach(parentScope, via.parent);
    }
  };
  need(view.from, [...view.columns, ...directColumns(view.where)]);
  policies.set(view.from, view.where);
  reach(view.where, view.from);
  return [...policies.entries()].map(([table, using]) => {
    if (using) memberSetsOf(using, ctx.memberSets);
    const wanted = columns.get(table) ?? new Set<string>();
    const policy: PolicyNode | undefined = using
      ? Object.freeze({
          table,
          role: owner,
          command: "select" as const,
          using,
          sources: Object.freeze([
            table === view.from ? `view ${view.name}` : `view ${view.name} (via ${table}: what its roles may select)`,
          ]),
        })
      : undefined;
    return Object.freeze({
      table,
      columns: Object.freeze(ctx.columnsOf(table).filter((c) => wanted.has(c))),
      ...(policy ? { policy } : {}),
      restrictives: Object.freeze(ctx.restrictives(table, owner, exemptions)),
    });
  });
}
