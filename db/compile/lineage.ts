import type { ColumnAccess } from "../policy/columns";
import type { RoleDefinition } from "../policy/roles";
import type { RestrictionDefinition } from "../policy/restrict";
import type { Scope } from "../policy/scopes";

/**
 * Roles `role` inherits from, nearest first, each once.
 *
 * @example
 * ancestorsOf(chief).map((r) => r.name) // ["doctor"]
 */
export function ancestorsOf(role: RoleDefinition): RoleDefinition[] {
  const out: RoleDefinition[] = [];
  const visit = (r: RoleDefinition) => {
    for (const parent of r.extends) {
      if (!out.includes(parent)) {
        out.push(parent);
        visit(parent);
      }
    }
  };
  visit(role);
  return out;
}

/** The role and what it inherits, farthest ancestor first and the role's own rules last, so they win where columns disagree. */
export function lineage(role: RoleDefinition): readonly RoleDefinition[] {
  let known = lineages.get(role);
  if (!known) {
    known = Object.freeze([...ancestorsOf(role).reverse(), role]);
    lineages.set(role, known);
  }
  return known;
}

/** Lineages of roles already asked about (role definitions are frozen): the plan asks once per table. */
const lineages = new WeakMap<RoleDefinition, readonly RoleDefinition[]>();

/** The exemptions `role` (with what it inherits) has from a restriction, in lineage order; empty when none. */
export function exemptionsOf(restriction: RestrictionDefinition, role: RoleDefinition): Scope[] {
  return lineage(role).flatMap((r) => restriction.exempt.filter(([exempted]) => exempted === r).map(([, scope]) => scope));
}

/**
 * Access per column of `table` as the role's definitions (own and inherited) say it: named columns, then the
 * nearest `default`, then `read` when the role may select rows, else `hidden`.
 *
 * @example
 * accessOf(nurse, "patients", ["id", "phone"], true) // { id: "read", phone: "masked" }
 */
export function accessOf(
  role: RoleDefinition,
  table: string,
  columns: readonly string[],
  selects: boolean,
): Record<string, ColumnAccess> {
  let fallback: ColumnAccess | undefined;
  const explicit: Record<string, ColumnAccess> = {};
  for (const r of lineage(role)) {
    const rules = r.tables[table]?.columns;
    if (!rules) continue;
    for (const [column, access] of Object.entries(rules)) {
      if (access === undefined) continue;
      if (column === "default") fallback = access;
      else explicit[column] = access;
    }
  }
  const access: Record<string, ColumnAccess> = {};
  for (const column of columns) access[column] = explicit[column] ?? fallback ?? (selects ? "read" : "hidden");
  return access;
}
