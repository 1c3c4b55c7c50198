import type { PolicyNode } from "./plan";
import type { Scope } from "../policy/scopes";
import { kindOf } from "./scopes";

/**
 * The columns of a table that decide who holds its rows: those of `own`, `unit`, `unitTree`,
 * `userInTree`, `pool` and `via` scopes in any of its permissive policies, sorted. A write through
 * borrowed access (a temporary grant or a membership) may not change them, and a holder that moves a
 * row must keep it within their own reach.
 *
 * @example
 * holderColumns(patientsPolicies); // ["doctor_id", "ward_id"]
 */
export function holderColumns(policies: readonly PolicyNode[]): string[] {
  const found = new Set<string>();
  // a via's own condition is about the parent row: only its foreign key is a column of this table
  const visit = (s: Scope): void => {
    const kind = kindOf(s);
    if (kind.holds) for (const column of kind.columns(s, () => [])) found.add(column);
    else kind.children(s).forEach(visit);
  };
  for (const p of policies) for (const scope of [p.using, p.check]) if (scope) visit(scope);
  return [...found].sort();
}

/** An owner column and the app roles whose rows may be owned through it. */
export interface OwnerColumn {
  readonly column: string;
  /** Roles whose select rule on the table reaches rows they own through this column, in definition order. */
  readonly roles: readonly string[];
  /** Some select rule reads `pool(column)`: a row with no owner is in a public pool, not lost. */
  readonly pool: boolean;
  /** The table's unit column (the one `unit`/`unitTree` read), when there is exactly one: where a row belongs. */
  readonly unit?: string;
}

/**
 * The columns `own(col)` reads in the select rules of a table (each role's own and inherited, before any
 * simplification: a medical director's `all()` does not stop it owning rows), each with the roles that own rows
 * through it: a row may be assigned only to an active user holding one of them.
 *
 * @example
 * ownerColumns([{ role: "doctor", selects: [or(own("doctor_id"), pool("doctor_id"))] }]); // [{ column: "doctor_id", roles: ["doctor"], pool: true }]
 */
export function ownerColumns(rules: readonly { readonly role: string; readonly selects: readonly Scope[] }[]): OwnerColumn[] {
  const roles = new Map<string, string[]>();
  const pools = new Set<string>();
  const units = new Set<string>();
  const visit = (role: string, s: Scope): void => {
    if (s.kind === "or" || s.kind === "and") s.scopes.forEach((inner) => visit(role, inner));
    else if (s.kind === "pool") pools.add(s.column);
    else if (s.kind === "unit" || s.kind === "unitTree") units.add(s.column);
    else if (s.kind === "own") {
      const list = roles.get(s.column) ?? [];
      if (!list.includes(role)) list.push(role);
      roles.set(s.column, list);
    }
  };
  for (const { role, selects } of rules) for (const scope of selects) visit(role, scope);
  return [...roles.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([column, list]) =>
      Object.freeze({
        column,
        roles: Object.freeze(list),
        pool: pools.has(column),
        ...(units.size === 1 ? { unit: [...units][0]! } : {}),
      }),
    );
}
