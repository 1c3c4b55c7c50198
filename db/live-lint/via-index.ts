import { introspect } from "../catalog/introspect";
import { buildPlan, type Plan, type PolicyNode, type RestrictiveNode } from "../compile/plan";
import { kindOf } from "../compile/scopes";
import { CompileError, validate } from "../compile/validate";
import type { Scope } from "../policy/scopes";
import { sql, toDdl } from "../sql/ddl";
import type { LiveLintContext } from "./context";
import type { LiveLintFinding } from "./finding";
import type { LiveLint } from "./lint";

/** A foreign key a `via(column, parent)` joins on, and the rules that use it. */
interface ViaKey {
  readonly table: string;
  readonly column: string;
  readonly parent: string;
  readonly usedBy: Set<string>;
}

/** Every `via` in `scope` read on rows of `table` (a via's own condition is read on its parent), into `keys`. */
function collectVias(scope: Scope, table: string, usedBy: string, keys: Map<string, ViaKey>): void {
  if (scope.kind === "via") {
    const id = `${table}.${scope.column}`;
    const key = keys.get(id) ?? { table, column: scope.column, parent: scope.parent, usedBy: new Set<string>() };
    key.usedBy.add(usedBy);
    keys.set(id, key);
    if (scope.where) collectVias(scope.where, scope.parent, usedBy, keys);
    return;
  }
  for (const child of kindOf(scope).children(scope)) collectVias(child, table, usedBy, keys);
}

/** The foreign keys every policy, restriction and masking view of the plan reaches parents through. */
function viaKeys(plan: Plan): ViaKey[] {
  const keys = new Map<string, ViaKey>();
  const policy = (p: PolicyNode) => {
    for (const s of [p.using, p.check]) if (s) collectVias(s, p.table, `${p.role} ${p.command}`, keys);
  };
  const restrictive = (r: RestrictiveNode) => {
    for (const s of [r.hides, r.keeps]) if (s) collectVias(s, r.table, `restriction ${r.restriction}`, keys);
  };
  for (const t of plan.tables) {
    t.policies.forEach(policy);
    t.restrictives.forEach(restrictive);
  }
  for (const v of plan.views) {
    collectVias(v.where, v.from, `view ${v.name}`, keys);
    for (const r of v.reach) {
      if (r.policy) policy(r.policy);
      r.restrictives.forEach(restrictive);
    }
  }
  return [...keys.values()].sort((a, b) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`));
}

/** The app planned against the live schema, or the problems that keep it from planning. */
async function planLive({ client, app }: LiveLintContext): Promise<Plan | CompileError> {
  const catalog = await introspect(client, app.schema, [app.toolkitSchema]);
  try {
    validate(app, catalog);
  } catch (error) {
    if (error instanceof CompileError) return error;
    throw error;
  }
  return buildPlan(app, catalog);
}

/**
 * `via-index`: every foreign key a `via(column, parent)` scope joins on (in a policy, a restriction or a masking
 * view, as the compile plans them against the live schema) has a valid, non-partial index whose leading column is
 * that column, so finding a parent's children under row security does not scan the child table. A warning: a missing
 * index costs time, not secrecy. When the definitions do not compile against the live schema, one error says so.
 */
export const viaIndex: LiveLint = {
  name: "via-index",
  description: "a foreign key used by a via() scope without an index leading with it",
  run: async (ctx) => {
    const plan = await planLive(ctx);
    if (plan instanceof CompileError)
      return [
        {
          lint: "via-index",
          level: "error",
          object: `schema ${ctx.app.schema}`,
          message: `the definitions do not compile against the live schema, so the foreign keys via() joins on cannot be checked (${plan.problems[0]}${plan.problems.length > 1 ? `, and ${plan.problems.length - 1} more` : ""}); run gatehouse compile for every problem`,
        },
      ];
    const keys = viaKeys(plan);
    const { rows } = await ctx.client.query<{ indexed: boolean }>(
      `select exists (select 1 from pg_catalog.pg_index i
                        join pg_catalog.pg_class c on c.oid = i.indrelid
                        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
                       where n.nspname = $1 and c.relname = u.tbl and a.attname = u.col and i.indisvalid and i.indpred is null) as indexed
         from unnest($2::text[], $3::text[]) with ordinality u(tbl, col, n)
        order by u.n`,
      [ctx.app.schema, keys.map((k) => k.table), keys.map((k) => k.column)],
    );
    return keys.flatMap((k, i): LiveLintFinding[] =>
      rows[i]!.indexed
        ? []
        : [
            {
              lint: "via-index",
              level: "warning",
              object: `foreign key ${ctx.app.schema}.${k.table}.${k.column}`,
              message: `via(${k.column}, ${k.parent}) joins on it (${[...k.usedBy].join(", ")}) but no index leads with it: create index on ${toDdl(sql.identifier(ctx.app.schema, k.table))} (${toDdl(sql.identifier(k.column))})`,
            },
          ],
    );
  },
};
