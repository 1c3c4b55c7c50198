import { dollarQuoted, lineComment, sql } from "../../sql/ddl";
import { renderScope, type ScopeContext } from "../scope-sql";
import { helperIdent, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

/**
 * Endings (`endWhen()`): per ending, a SECURITY DEFINER trigger function (the writer of the triggering row
 * may not write the rows that end) and an after insert or update trigger on the triggering table. When the
 * written row matches the condition — asked of the table itself, so the condition reads as in a policy —
 * every live linked row gets its expiry set to the clock. Idempotent: rows already ended stay as they are.
 */
export function emitEndings(
  plan: Plan,
  ctxFor: (table: string) => ScopeContext,
  primaryKey: (table: string) => readonly string[],
): Statement[] {
  const { app } = plan;
  const out: Statement[] = [];
  for (const e of app.endings) {
    const fnName = `end_${e.name}`;
    const fn = helperIdent(app, fnName);
    const when = sql.identifier(e.when.table);
    const sameRow = sql.join(
      primaryKey(e.when.table).map((k) => sql`${when}.${sql.identifier(k)} = new.${sql.identifier(k)}`),
      " and ",
    );
    const expires = sql.identifier(e.expires);
    out.push(
      {
        kind: "function",
        fn: { name: fnName, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
        sql: sql`${lineComment(`ending ${e.name}: ${e.description || `${e.table} rows end when their ${e.when.table} row matches`}`)}
create or replace function ${fn}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  if exists (select 1 from ${tableIdent(app, e.when.table)} as ${when} where ${sameRow} and ${renderScope(e.when.where, { ...ctxFor(e.when.table), row: e.when.table })}) then
    update ${tableIdent(app, e.table)} set ${expires} = pg_catalog.clock_timestamp()
     where ${sql.identifier(e.link)} = new.${sql.identifier(e.when.link)} and ${expires} > pg_catalog.clock_timestamp();
  end if;
  return null;
end`)};`,
      },
      { kind: "grant", revokes: [`${app.toolkitSchema}.${fnName}`], sql: sql`revoke all on function ${fn}() from public;` },
      {
        kind: "table",
        target: e.when.table,
        sql: sql`create or replace trigger ${sql.identifier(`gatehouse_end__${e.name}`)} after insert or update on ${tableIdent(app, e.when.table)}
  for each row execute function ${fn}();`,
      },
    );
  }
  return out;
}
