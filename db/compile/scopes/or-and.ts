import { sql } from "../../sql/ddl";
import type { Scope } from "../../policy/scopes";
import { ARM_ORDER, type ScopeKind, type ScopeOf } from "./kind";

/** `or(…)` and `and(…)`: rows in any, or every, of the scopes; empty, no row or every row. */
function combination<K extends "or" | "and">(kind: K): ScopeKind<K> {
  const scopesOf = (s: ScopeOf<K>): readonly Scope[] => (s as ScopeOf<"or" | "and">).scopes;
  return {
    asksWho: false,
    readsParentRows: false,
    holds: false,
    render: (s, { ctx, render }) => {
      if (scopesOf(s).length === 0) return kind === "or" ? sql`false` : sql`true`;
      if (scopesOf(s).length === 1) return render(scopesOf(s)[0]!, ctx);
      const parts = scopesOf(s).map((inner) => render(inner, ctx));
      return sql`(${sql.join(parts, kind === "or" ? "\n      or " : "\n      and ")})`;
    },
    describe: (s, describe) =>
      scopesOf(s).length === 0
        ? kind === "or"
          ? "no row"
          : "every row"
        : scopesOf(s)
            .map((inner) =>
              (inner.kind === "or" || inner.kind === "and") && inner.scopes.length > 1 ? `(${describe(inner)})` : describe(inner),
            )
            .join(` ${kind} `),
    validate: (s, checks) => {
      for (const inner of scopesOf(s)) checks.check(checks.who, checks.table, inner);
    },
    children: (s) => scopesOf(s),
    columns: (s, columns) => scopesOf(s).flatMap(columns),
    key: (s, key) => `${kind}(${scopesOf(s).map(key).join(",")})`,
    order: (s, order) => Math.max(ARM_ORDER.row, ...scopesOf(s).map(order)),
    knowsUser: (s, knows) => scopesOf(s).length > 0 && (kind === "or" ? scopesOf(s).every(knows) : scopesOf(s).some(knows)),
    fewRows: (s, few) => scopesOf(s).length > 0 && (kind === "or" ? scopesOf(s).every(few) : scopesOf(s).some(few)),
  };
}

export const or = combination("or");
export const and = combination("and");
