import { and, or, type Scope } from "../policy/scopes";
import { fewRows } from "./simplify";
import type { PolicyNode, TablePlan } from "./plan";

type Via = Extract<Scope, { kind: "via" }>;

/**
 * The tables with each `via(fk, parent)` without a condition marked `listed` in the policies of a role whose own
 * rules on the parent open few rows (`fewRows`: their own, their grants, their member sets): such a via lists the
 * keys of the parent rows the role sees, once per statement, instead of probing the parent per child row — what the
 * same via with a narrowing `where` does (`scopes/via.ts`). Visibility is unchanged: the list is read under the
 * parent's row security, like the probe; only the form is the role's.
 *
 * @example
 * // a doctor's patients are own("doctor_id"): appointments' via("patient_id", "patients") lists the patients' keys
 * markListedVias(tables).find((t) => t.name === "appointments")
 */
export function markListedVias(tables: readonly TablePlan[]): TablePlan[] {
  const selects = new Map<string, Scope | undefined>();
  for (const t of tables) for (const p of t.policies) if (p.command === "select") selects.set(`${t.name} ${p.role}`, p.using);
  const fewFor = (parent: string, role: string): boolean => {
    const scope = selects.get(`${parent} ${role}`);
    return scope !== undefined && fewRows(scope);
  };
  return tables.map((t) => {
    let changed = false;
    const policies = t.policies.map((p): PolicyNode => {
      const mark = (scope: Scope | undefined): Scope | undefined => {
        if (!scope) return scope;
        const marked = markScope(scope, (via) => fewFor(via.parent, p.role));
        if (marked !== scope) changed = true;
        return marked;
      };
      const using = mark(p.using);
      const check = mark(p.check);
      return using === p.using && check === p.check
        ? p
        : Object.freeze({ ...p, ...(using ? { using } : {}), ...(check ? { check } : {}) });
    });
    return changed ? Object.freeze({ ...t, policies: Object.freeze(policies) }) : t;
  });
}

/** The scope with its unconditioned vias (not those inside another via's condition) marked where `few` says so. */
function markScope(scope: Scope, few: (via: Via) => boolean): Scope {
  if (scope.kind === "via") {
    return scope.where === undefined && !scope.listed && few(scope) ? Object.freeze({ ...scope, listed: true }) : scope;
  }
  if (scope.kind === "or" || scope.kind === "and") {
    const inner = scope.scopes.map((s) => markScope(s, few));
    if (inner.every((s, i) => s === scope.scopes[i])) return scope;
    return scope.kind === "or" ? or(...inner) : and(...inner);
  }
  return scope;
}
