import type { Plan } from "../compile/plan";
import { policyName } from "../compile/names";
import type { PolicyVerdict } from "./explain";
import type { LivePolicy } from "./live";

/** A policy verdict as the evaluation keeps it: with what the definitions' own predicate gave, for drift. */
export type EvaluatedPolicy = PolicyVerdict & { readonly compiled?: boolean };

/** The verdict as `explainAccess` returns it. */
export function withoutCompiled(verdict: EvaluatedPolicy): PolicyVerdict {
  const { compiled: _, ...rest } = verdict;
  return rest;
}

/** The policies the definitions give `role` on `table`, by name. */
export function expectedPolicies(plan: Plan, role: string, table: string): { permissive: string[]; restrictive: string[] } {
  const tablePlan = plan.tables.find((t) => t.name === table);
  return {
    permissive: (tablePlan?.policies ?? []).filter((p) => p.role === role).map((p) => policyName(role, p.command)),
    restrictive: (tablePlan?.restrictives ?? []).filter((r) => r.role === role).flatMap((r) => r.policies.map((p) => p.name)),
  };
}

export function driftOf(
  live: readonly LivePolicy[],
  expected: { permissive: string[]; restrictive: string[] } | undefined,
  evaluated: {
    identity: string | null;
    stages: readonly { permissive: readonly EvaluatedPolicy[]; restrictive: readonly EvaluatedPolicy[] }[];
  },
): string[] {
  if (!expected) return [];
  const out: string[] = [];
  const liveNames = new Map(live.map((p) => [p.name, p]));
  for (const name of [...expected.permissive, ...expected.restrictive])
    if (!liveNames.has(name)) out.push(`policy ${name} is in the definitions but not in the database`);
  for (const p of live) {
    const permissive = expected.permissive.includes(p.name);
    const restrictive = expected.restrictive.includes(p.name);
    if (!permissive && !restrictive) out.push(`policy ${p.name} in the database is not from the definitions`);
    else if (permissive !== p.permissive)
      out.push(
        `policy ${p.name} is ${p.permissive ? "permissive" : "restrictive"} in the database, not as the definitions make it`,
      );
  }
  for (const stage of evaluated.stages) {
    for (const p of stage.permissive)
      if (p.arms && p.passes !== (evaluated.identity !== null && p.arms.some((a) => a.passes)))
        out.push(
          `the live policy ${p.name} differs from the definitions: it ${p.passes ? "passes" : "fails"} this row, their arms ${p.passes ? "fail" : "pass"} it`,
        );
    for (const p of stage.restrictive)
      if (p.compiled !== undefined && p.compiled !== p.passes)
        out.push(
          `the live policy ${p.name} differs from the definitions: it ${p.passes ? "passes" : "fails"} this row, the restriction ${p.passes ? "stops" : "lets"} it`,
        );
  }
  return [...new Set(out)];
}
