import { doBlock, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { writesSublinks } from "../../policy/define";
import { describeScope } from "../describe";
import { ARM_ORDER } from "../scopes/kind";
import { knowsUser, scopeOrder } from "../simplify";
import { HELPERS, policyName, roleIdent, tableIdent } from "../names";
import type { Plan, PolicyNode, RestrictiveNode, TablePlan } from "../plan";
import { onceWithRole, renderScope, type ScopeContext } from "../scope-sql";
import type { Statement } from "../statement";
import type { Scope } from "../../policy/scopes";

/**
 * Every permissive policy also requires a known, active user holding the acting role. An arm that compares with the
 * user's identity already does (`knowsUser`), so a scope made only of such arms gets no guard. In a disjunction of
 * arms that are cheap to test again row by row (row comparisons, short key lists), the guard goes after each arm that
 * does not know the user instead of before them all: a page read by the owner index then stops at the first arm and
 * never computes the guard. Where a wide arm (a unit tree) or a parent's sub-select is among them, the guard stays in
 * front — beside an arm it would keep a BitmapOr from proving the disjunction, and every row would test it again —
 * and under `policies: { sublinks: false }`, where the guard is a plain call: in front it runs once, as a one-time
 * filter; after an arm, on every row that reaches it.
 */
function guarded(plan: Plan, scope: Scope, ctx: ScopeContext): SQL {
  const guard = sql`${onceWithRole(plan.app, HELPERS.userId)} is not null`;
  if (!ctx.actor && knowsUser(scope)) return renderScope(scope, ctx);
  const cheapAgain = (s: Scope) => scopeOrder(s) === ARM_ORDER.row || scopeOrder(s) === ARM_ORDER.borrowed;
  const lazy =
    !ctx.actor &&
    writesSublinks(plan.app) &&
    scope.kind === "or" &&
    scope.scopes.some(knowsUser) &&
    scope.scopes.every(cheapAgain);
  if (!lazy) return sql`${guard}\n    and ${renderScope(scope, ctx)}`;
  const arms = scope.scopes.map((s) => (knowsUser(s) ? renderScope(s, ctx) : sql`(${renderScope(s, ctx)} and ${guard})`));
  return sql`(${sql.join(arms, "\n      or ")})`;
}

/** One permissive policy (`<role>__<command>`), for a known, active user holding the acting role. */
export function permissive(plan: Plan, node: PolicyNode, ctx: (command: PolicyNode["command"]) => ScopeContext): Statement {
  const c = ctx(node.command);
  const clause = (keyword: string, scope: Scope | undefined) =>
    scope ? sql`\n  ${trusted(keyword)} (\n    ${guarded(plan, scope, c)}\n  )` : sql.blank;
  const words =
    node.command === "insert"
      ? `new rows must be ${describeScope(node.check!)}`
      : node.command === "update"
        ? `${describeScope(node.using!)}${node.check && node.check !== node.using ? `; changed rows must be ${describeScope(node.check)}` : ""}`
        : describeScope(node.using!);
  return {
    kind: "policy",
    target: node.table,
    policies: [policyName(node.role, node.command)],
    sql: sql`${lineComment(`${node.role} may ${node.command} ${node.table}: ${words} (from ${node.sources.join(", ")})`)}
create policy ${sql.identifier(policyName(node.role, node.command))} on ${tableIdent(plan.app, node.table)}
  as permissive for ${trusted(node.command)} to ${roleIdent(plan.app, node.role)}${clause("using", node.using)}${clause("with check", node.check)};`,
  };
}

/** The restrictive policies of one restriction for one role, as the plan names them (bans decided there). */
/** The rows a restriction leaves a role: those it does not hide, or that the role keeps. */
export function restrictivePredicate(node: RestrictiveNode, ctx: ScopeContext): SQL {
  const hides = renderScope(node.hides, ctx);
  return node.keeps ? sql`(${hides}) is not true\n    or ${renderScope(node.keeps, ctx)}` : sql`(${hides}) is not true`;
}

export function restrictive(plan: Plan, node: RestrictiveNode, ctx: ScopeContext): Statement[] {
  const predicate = restrictivePredicate(node, ctx);
  const words = `hides ${describeScope(node.hides)}${node.keeps ? ` unless ${describeScope(node.keeps)}` : ""}`;
  return node.policies.map(({ name, command, ban }) => {
    const using = command === "insert" ? sql.blank : ban ? sql`\n  using (true)` : sql`\n  using (\n    ${predicate}\n  )`;
    const check =
      command === "select" || command === "delete" || command === "all"
        ? sql.blank
        : sql`\n  with check (\n    ${predicate}\n  )`;
    return {
      kind: "policy" as const,
      target: node.table,
      policies: [name],
      sql: sql`${lineComment(`restriction ${node.restriction} on ${node.table} for ${node.role} (${command === "all" ? "all commands" : command}): ${words}`)}
create policy ${sql.identifier(name)} on ${tableIdent(plan.app, node.table)}
  as restrictive for ${trusted(command)} to ${roleIdent(plan.app, node.role)}${using}${check};`,
    };
  });
}

/**
 * Row security for one table: enable and force it, drop the policies a previous compile left, and
 * create one permissive policy per (role, command) and the restrictive ones.
 */
export function emitTablePolicies(
  plan: Plan,
  table: TablePlan,
  ctx: (table: string, command: PolicyNode["command"]) => ScopeContext,
): Statement[] {
  const t = tableIdent(plan.app, table.name);
  const out: Statement[] = [
    {
      kind: "rls",
      target: table.name,
      force: true,
      sql: sql`${lineComment(`${table.name}: row level security on, and forced so the owner is bound too`)}
alter table ${t} enable row level security;
alter table ${t} force row level security;`,
    },
    {
      kind: "policy",
      target: table.name,
      sql: doBlock(sql`declare
  p record;
begin
  for p in
    select policyname from pg_catalog.pg_policies
     where schemaname = ${literal(plan.app.schema)} and tablename = ${literal(table.name)}
     order by policyname
  loop
    execute pg_catalog.format('drop policy %I on %I.%I', p.policyname, ${literal(plan.app.schema)}, ${literal(table.name)});
  end loop;
end`),
    },
  ];
  for (const index of table.supportIndexes) {
    const why =
      index.columnIs === "key"
        ? `rules have pool(${index.nullColumn}); this index is the pool arm's`
        : `rules combine pool(${index.nullColumn}) with ${index.columnIs === "unit scope" ? "a unit scope on" : "the unit column"} ${index.column}; this index keeps the pool arm to the units asked for`;
    out.push({
      kind: "table",
      target: table.name,
      sql: sql.join(
        [
          sql`${lineComment(`${table.name}: ${why}`)}
create index if not exists ${sql.identifier(index.name)} on ${t} (${sql.identifier(index.column)}) where (${sql.identifier(index.nullColumn)} is null) is true;`,
          ...index.replaces.map((name) => sql`drop index if exists ${sql.identifier(plan.app.schema, name)};`),
        ],
        "\n",
      ),
    });
  }
  for (const node of table.policies) out.push(permissive(plan, node, (command) => ctx(table.name, command)));
  for (const node of table.restrictives) out.push(...restrictive(plan, node, ctx(table.name, "select")));
  return out;
}
