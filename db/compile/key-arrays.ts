import { createHash } from "node:crypto";
import type { Command } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { dollarQuoted, lineComment, type SQL, sql, trusted } from "../sql/ddl";
import { helperIdent, keyArrayHelper, requestRoles, roleIdent, tableIdent, viaArrayHelper, viewOwner } from "./names";
import { columnTypeIn, parentKeyIn, type Plan } from "./plan";
import { renderScope, type ScopeContext } from "./scope-sql";
import { scopeKey } from "./simplify";
import type { Statement } from "./statement";

type Via = Extract<Scope, { kind: "via" }>;

/** One array helper: the keys of the rows of `table` the caller sees that match `where` (rendered for `command`). */
interface KeyArray {
  readonly name: string;
  readonly table: string;
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
 * The call of the array helper of `via` on `table` under `policies: { sublinks: false }`: the keys of the parent
 * rows the caller sees, remembered so that {@link emitKeyArrays} creates it.
 *
 * @example
 * viaArrayCall(plan, "appointments", via("patient_id", "patients"), "select") // "gatehouse"."via_appointments__patient_id"()
 */
export function viaArrayCall(plan: Plan, table: string, scope: Via, command: Command): SQL {
  const { column, parent, where } = scope;
  const hash = hashOf(`${table} ${command} ${scopeKey(scope)}`);
  return remember(plan, {
    name: viaArrayHelper(table, column, hash, where !== undefined),
    table: parent,
    key: parentKeyIn(plan, table, column, parent),
    ...(where ? { where } : {}),
    command,
    why: `${table}.${column}: keys of the ${parent} rows the caller can see${where ? " and that match the via's condition" : ""}`,
  });
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
 * (and the condition), with a fixed search_path, executable by the request roles and the masking views' owners.
 * Empty unless the app sets `policies: { sublinks: false }`.
 *
 * @example
 * const rest = emitRest(); const arrays = emitKeyArrays(plan, ctx); // create function "gatehouse"."via_appointments__patient_id"() …
 */
export function emitKeyArrays(plan: Plan, ctxFor: (table: string, command: Command) => ScopeContext): Statement[] {
  const known = needed.get(plan);
  if (!known) return [];
  const { app } = plan;
  const roles = [...requestRoles(plan), ...plan.views.map((v) => viewOwner(v.name))].map((r) => roleIdent(app, r));
  const statements: Statement[] = [];
  for (const a of known.values()) {
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
