import type { OperationValue } from "../../policy/operations";
import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { renderScope, type ScopeContext } from "../scope-sql";
import { ACTING_ROLE, HELPERS, helperIdent, roleIdent, tableIdent } from "../names";
import type { OperationPlan, Plan } from "../plan";
import type { Statement } from "../statement";

function value(plan: Plan, v: OperationValue, actor: SQL): SQL {
  if (v === null) return sql`null`;
  if (typeof v === "object")
    return v.kind === "clock" ? sql`pg_catalog.clock_timestamp()` : sql`${helperIdent(plan.app, HELPERS.userId)}(${actor})`;
  return literal(v);
}

const assignments = (plan: Plan, op: OperationPlan, actor: SQL): SQL =>
  sql.join(
    Object.entries(op.set).map(([column, v]) => sql`${sql.identifier(column)} = ${value(plan, v, actor)}`),
    ", ",
  );

/**
 * Named writes (`operation()`), as functions of the app schema, executable by their roles only (so the API
 * offers them as mutations to those roles). A row operation is SECURITY INVOKER: it updates one row by key
 * as the caller, so the caller's row rules and column grants decide, and refuses clearly when the row is not
 * there for them or does not match `where`. A maintenance operation (`row: false`) is SECURITY DEFINER: it
 * updates every row matching `where` (which asks nothing about the caller) and returns how many; a scheduler
 * runs it as the owner. The audit trigger records every write either way.
 */
export function emitOperations(plan: Plan, ctxFor: (table: string) => ScopeContext): Statement[] {
  const { app } = plan;
  const out: Statement[] = [];
  for (const op of plan.operations) {
    const fn = sql.identifier(app.schema, op.name);
    const table = tableIdent(app, op.table);
    // the row is called by its table's name, as in a policy, so raw() conditions can name it
    const ctx: ScopeContext = { ...ctxFor(op.table), row: op.table };
    const alias = sql.identifier(op.table);
    const where = op.where ? renderScope(op.where, ctx) : sql`true`;
    const who = op.by.length ? op.by.join(", ") : "the owner";
    const why = `operation ${op.name} (by ${who})${op.description ? `: ${op.description}` : ""}`;
    if (op.row) {
      const keyType = trusted(op.keyType);
      out.push({
        kind: "function",
        fn: {
          schema: app.schema,
          name: op.name,
          argTypes: [op.keyType],
          securityDefiner: false,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(why)}
create or replace function ${fn}(row_id ${keyType}) returns ${keyType}
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  done ${keyType};
begin
  update ${table} as ${alias} set ${assignments(plan, op, sql`current_user`)}
   where ${alias}.${sql.identifier(op.key)} = row_id and ${where}
  returning ${alias}.${sql.identifier(op.key)} into done;
  if done is null then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format(${literal(`gatehouse: ${op.name}: ${op.table} %s is not there for you${op.where ? ", or does not match its condition" : ""}`)}, row_id);
  end if;
  return done;
end`)};`,
      });
      out.push({ kind: "grant", revokes: [`${app.schema}.${op.name}`], sql: grants(plan, op, sql`${fn}(${keyType})`) });
    } else {
      out.push({
        kind: "function",
        fn: { schema: app.schema, name: op.name, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
        sql: sql`${lineComment(`${why}; idempotent, every changed row audited`)}
create or replace function ${fn}() returns bigint
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  n bigint;
begin
  update ${table} as ${alias} set ${assignments(plan, op, ACTING_ROLE)}
   where ${where};
  get diagnostics n = row_count;
  return n;
end`)};`,
      });
      out.push({ kind: "grant", revokes: [`${app.schema}.${op.name}`], sql: grants(plan, op, sql`${fn}()`) });
    }
  }
  return out;
}

function grants(plan: Plan, op: OperationPlan, signature: SQL): SQL {
  const roles = op.by.map((r) => roleIdent(plan.app, r));
  return sql`revoke all on function ${signature} from public;${
    roles.length ? sql`\ngrant execute on function ${signature} to ${sql.join(roles, ", ")};` : sql.blank
  }`;
}
