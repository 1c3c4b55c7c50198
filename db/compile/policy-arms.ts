import type { Command } from "../policy/roles";
import type { Scope, ScopeValue } from "../policy/scopes";
import { toDdl } from "../sql/ddl";
import { describeScope } from "./describe";
import { policyName } from "./names";
import type { Plan } from "./plan";
import { restrictivePredicate } from "./emit/policies";
import { scopeContextOf } from "./scope-context";
import { renderScope } from "./scope-sql";

/** One alternative of a permissive policy's scope (`or(a, b)` has two): how it is written, in words, and as SQL over the table's row. */
export interface PolicyArm {
  /** As the definitions write it, e.g. `own(doctor_id)`, `via(patient_id, patients)`. */
  readonly label: string;
  readonly words: string;
  readonly sql: string;
  /** The conditions of an `and(…)` arm, each evaluated apart to say which one fails. */
  readonly parts: readonly PolicyArm[];
}

/** The permissive policy the definitions give a role for one table and command, split into arms. */
export interface PermissiveArms {
  readonly name: string;
  readonly sources: readonly string[];
  /** Arms of `using` (select, update, delete). */
  readonly using?: readonly PolicyArm[];
  /** Arms of `with check` (insert, update). */
  readonly check?: readonly PolicyArm[];
}

/** A restrictive policy the definitions give a role for one table, covering the command. */
export interface RestrictiveArms {
  readonly name: string;
  readonly restriction: string;
  readonly command: Command | "all";
  /** e.g. `hides rows matching status is 'closed', unless rows they own (doctor_id)`. */
  readonly words: string;
  /** Its `using` as SQL over the table's row (`true` for a ban), when it has one. */
  readonly using?: string;
  /** Its `with check`, when it has one (else `using` checks new rows too). */
  readonly check?: string;
}

/** What the definitions say about one role, table and command, arm by arm: for `gatehouse explain`. */
export interface PolicyArms {
  readonly permissive?: PermissiveArms;
  readonly restrictives: readonly RestrictiveArms[];
}

const values = (vs: readonly ScopeValue[]) => vs.map((v) => String(v)).join(", ");

/**
 * A scope as the definition API writes it, short: `own(doctor_id)`, `or(own(doctor_id), pool(doctor_id))`.
 *
 * @example
 * scopeLabel(via("patient_id", "patients", own("doctor_id"))) // "via(patient_id, patients, own(doctor_id))"
 */
export function scopeLabel(scope: Scope): string {
  switch (scope.kind) {
    case "all":
      return "all()";
    case "or":
    case "and":
      return `${scope.kind}(${scope.scopes.map(scopeLabel).join(", ")})`;
    case "via":
      return `via(${scope.column}, ${scope.parent}${scope.where ? `, ${scopeLabel(scope.where)}` : ""})`;
    case "member":
      return `member(${scope.column}, ${scope.set.name})`;
    case "attr":
      return `${scope.op === "in" ? "is" : "isNot"}(${scope.column}, ${values(scope.values)})`;
    case "isNull":
      return `${scope.negate ? "isNotNull" : "isNull"}(${scope.column})`;
    case "future":
      return `isFuture(${scope.column})`;
    case "channel":
      return `${scope.op === "in" ? "channelIs" : "channelIsNot"}(${values(scope.values)})`;
    case "raw":
      return `raw(${scope.description})`;
    default:
      return `${scope.kind}(${scope.column})`;
  }
}

/**
 * The permissive and restrictive policies the plan gives `role` on `table` for `command`, each permissive clause
 * split into its arms (the alternatives of its top-level `or`) with their SQL, so each can be evaluated apart. The
 * guard every permissive policy holds (a known, active user holding the role, in front or after the arms that do not
 * ask for one) is not an arm. Pure.
 *
 * @example
 * policyArms(plan, "doctor", "patients", "select").permissive?.using?.map((a) => a.label) // ["own(doctor_id)", "pool(doctor_id)"]
 */
export function policyArms(plan: Plan, role: string, table: string, command: Command): PolicyArms {
  const tablePlan = plan.tables.find((t) => t.name === table);
  if (!tablePlan) return { restrictives: [] };
  const ctx = scopeContextOf(plan, table, command);
  const arm = (scope: Scope): PolicyArm => ({
    label: scopeLabel(scope),
    words: describeScope(scope),
    sql: toDdl(renderScope(scope, ctx)),
    parts: scope.kind === "and" && scope.scopes.length > 1 ? scope.scopes.map(arm) : [],
  });
  const arms = (scope: Scope | undefined) =>
    scope === undefined ? undefined : scope.kind === "or" && scope.scopes.length > 0 ? scope.scopes.map(arm) : [arm(scope)];
  const node = tablePlan.policies.find((p) => p.role === role && p.command === command);
  const using = node && arms(node.using);
  const check = node && arms(node.check);
  const permissive: PermissiveArms | undefined = node && {
    name: policyName(role, command),
    sources: node.sources,
    ...(using ? { using } : {}),
    ...(check ? { check } : {}),
  };
  const restrictives = tablePlan.restrictives
    .filter((r) => r.role === role)
    .flatMap((r) =>
      r.policies
        .filter((p) => p.command === "all" || p.command === command)
        .map((p) => {
          const predicate = toDdl(restrictivePredicate(r, scopeContextOf(plan, table, "select")));
          return {
            name: p.name,
            restriction: r.restriction,
            command: p.command,
            words: `hides ${r.hides.kind === "all" ? "every row" : `rows matching ${describeScope(r.hides)}`}${r.keeps ? `, unless ${describeScope(r.keeps)}` : ""}`,
            ...(p.command === "insert" ? {} : { using: p.ban ? "true" : predicate }),
            ...(p.command === "select" || p.command === "delete" || p.command === "all" ? {} : { check: predicate }),
          };
        }),
    );
  return { ...(permissive ? { permissive } : {}), restrictives };
}
