import { createHash } from "node:crypto";
import type { Command } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { dollarQuoted, lineComment, type SQL, sql, trusted } from "../sql/ddl";
import { helperIdent, keyArrayHelper, requestRoles, roleIdent, tableIdent, viaArrayHelper, viewOwner } from "./names";
import { columnTypeIn, parentKeyIn, tableOf, type Plan } from "./plan";
import { renderScope, type ScopeContext } from "./scope-sql";
import { scopeKey } from "./simplify";
import type { Statement } from "./statement";

type Via = Extract<Scope, { kind: "via" }>;

/** One array helper: the keys of the rows of `table` the caller sees that match `where` (rendered for `command`). */
interface KeyArray {
  readonly name: string;
  readonly table: string;
  /** For a `via`: the child table, whose policies call the helper; its roles may execute it. */
  readonly child?: string;
  readonly key: string;
  readonly where?: Scope;
  readonly command: Command;
  readonly why: string;
}

/** The array helpers a plan's rendering asked for, by name, in the order asked. */
const needed = new WeakMap<Plan, Map<string, KeyArray>>();

const hashOf = (text: string): string => createHash("sha1").update(text).digest("hex").slice(0, 8);

function remember(plan: Plan, array: KeyArray): SQL {
  let known = needed.get(plan);
  if (!known) needed.set(plan, (known = new Map()));
  if (!known.has(array.name)) known.set(array.name, array);
  return sql`${helperIdent(plan.app, array.name)}()`;
}

/**
 * The call of the array helper of `via` on `table`: the keys of the parent rows the caller sees (and that match the
 * via's condition), remembered so that {@link emitKeyArrays} creates it. `condition` is that condition as the helper
 * reads it (`""` for none): it names the helper, so the commands whose condition reads the same share one. `once`
 * makes it `(select …)::type[]`, an InitPlan run once per statement; without it (under `policies: { sublinks: false }`),
 * a plain call.
 *
 * @example
 * viaArrayCall(plan, "appointments", via("patient_id", "patients", own("doctor_id")), "select", true, condition)
 * // (select "gatehouse"."via_appointments__patient_id__1a2b3c4d"())::bigint[]
 */
export function viaArrayCall(plan: Plan, table: string, scope: Via, command: Command, once: boolean, condition: string): SQL {
  const { column, parent, where } = scope;
  const hash = hashOf(`${table} ${column} ${parent} ${condition}`);
  const key = parentKeyIn(plan, table, column, parent);
  const call = remember(plan, {
    name: viaArrayHelper(table, column, hash, where !== undefined),
    table: parent,
    child: table,
    key,
    ...(where ? { where } : {}),
    command,
    why: `${table}.${column}: keys of the ${parent} rows the caller can see${where ? " and that match the via's condition" : ""}`,
  });
  return once ? sql`(select ${call})::${trusted(columnTypeIn(plan, parent, key))}[]` : call;
}

/**
 * The call of an array helper returning the keys (`key`) of the rows of `table` the caller sees that match `scope`,
 * under `policies: { sublinks: false }`: what replaces `exists (select 1 from table t where t.key = … and scope)`.
 *
 * @example
 * keyArrayCall(plan, "patients", "id", own("doctor_id"), "select") // "gatehouse"."keys_patients__1a2b3c4d"()
 */
export function keyArrayCall(plan: Plan, table: string, key: string, scope: Scope, command: Command): SQL {
  return remember(plan, {
    name: keyArrayHelper(table, hashOf(`${table} ${key} ${command} ${scopeKey(scope)}`)),
    table,
    key,
    where: scope,
    command,
    why: `keys of the ${table} rows the caller can see and that match a condition`,
  });
}

/**
 * The array helpers the plan's rendering asked for (call it once everything else is rendered): each a SECURITY
 * INVOKER, STABLE function returning the keys of the rows the caller can see through the table's own policies
 * (and the condition), with a fixed search_path, executable by the masking views' owners and the request roles (for a
 * `via`, those with a policy or a restriction on its table).
 * Made for every `via` whose condition opens few rows, and under `policies: { sublinks: false }` for every `via` and
 * every sub-select a policy would hold.
 *
 * @example
 * const rest = emitRest(); const arrays = emitKeyArrays(plan, ctx); // create function "gatehouse"."via_appointments__patient_id"() …
 */
export function emitKeyArrays(plan: Plan, ctxFor: (table: string, command: Command) => ScopeContext): Statement[] {
  const known = needed.get(plan);
  if (!known) return [];
  const { app } = plan;
  const owners = plan.views.map((v) => viewOwner(v.name));
  const statements: Statement[] = [];
  for (const a of known.values()) {
    const roles = [...(a.child ? callersOf(plan, a.child) : requestRoles(plan)), ...owners].map((r) => roleIdent(app, r));
    // a function's body may hold sub-selects: the helpers run once, a nested via is an exists
    const inner: ScopeContext = { ...ctxFor(a.table, a.command), row: "p1", depth: 1, functionBody: true };
    const condition = a.where ? sql`\n     where ${renderScope(a.where, inner)}` : sql.blank;
    const fn = helperIdent(app, a.name);
    statements.push(
      {
        kind: "function",
        fn: { name: a.name, argTypes: [], securityDefiner: false, volatility: "stable", searchPath: true },
        sql: sql`${lineComment(a.why)}
create or replace function ${fn}() returns ${trusted(columnTypeIn(plan, a.table, a.key))}[]
  language plpgsql stable security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  return array(select p1.${sql.identifier(a.key)} from ${tableIdent(app, a.table)} as p1${condition});
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${a.name}`],
        sql: sql`revoke all on function ${fn}() from public;
grant execute on function ${fn}() to ${sql.join(roles, ", ")};`,
      },
    );
  }
  return statements;
}

/** The request roles with a policy or a restriction on `table`, in the plan's order: who calls its via helpers. */
function callersOf(plan: Plan, table: string): string[] {
  const { policies, restrictives } = tableOf(plan, table);
  const on = new Set([...policies.map((p) => p.role), ...restrictives.map((r) => r.role)]);
  return requestRoles(plan).filter((r) => on.has(r));
}
