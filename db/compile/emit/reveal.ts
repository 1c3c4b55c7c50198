import { dollarQuoted, lineComment, literal, sql, trusted } from "../../sql/ddl";
import { AUDIT } from "./audit";
import { ENCRYPTION } from "./encryption";
import { renderScope, type ScopeContext } from "../scope-sql";
import { ACTING_ROLE, HELPERS, helperIdent, roleIdent, roleName, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

/**
 * Reveals (`reveal()`): per masked column, `<schema>.reveal_<table>_<column>(row_id, reason)`, SECURITY DEFINER
 * (the caller holds no privilege on the raw column, by invariant 2) and executable only by the revealing roles
 * (each listed role and every role extending it). It checks that the caller acts in one of them as a known user,
 * that a reason is given, and that the row is within that role's reveal scope (with the caller's identity);
 * then appends a `reveal` row to the audit trail — the column and the reason, never the value — and returns the
 * raw value as text.
 */
export function emitReveals(
  plan: Plan,
  ctxFor: (table: string) => ScopeContext,
  keyOf: (table: string) => { readonly key: string; readonly type: string },
): Statement[] {
  const { app } = plan;
  const out: Statement[] = [];
  for (const x of app.reveals) {
    const name = `reveal_${x.table}_${x.column}`;
    const fn = sql.identifier(app.schema, name);
    const { key, type } = keyOf(x.table);
    const alias = sql.identifier(x.table);
    const revealers = plan.privileges.reveals[`${x.table}.${x.column}`]!;
    const ctx: ScopeContext = { ...ctxFor(x.table), row: x.table, actor: sql.identifier("caller") };
    const inScope = sql`case caller ${sql.join(
      revealers.map((r) => sql`when ${literal(roleName(app, r.role))} then ${renderScope(r.scope, ctx)}`),
      " ",
    )} else false end`;
    const roles = sql`array[${sql.join(
      revealers.map((r) => literal(roleName(app, r.role))),
      ", ",
    )}]::name[]`;
    const who = revealers.map((r) => r.role).join(", ");
    const column = sql`${alias}.${sql.identifier(x.column)}`;
    // an encrypted column is decrypted here, as the owner (the keys are the owner's); see emit/encryption.ts
    const sealed = plan.encrypted.some((e) => e.table === x.table && e.column === x.column);
    const value = sealed ? sql`${helperIdent(app, ENCRYPTION.decrypt)}(${column})` : sql`${column}::text`;
    const audit = app.audit
      ? sql`
  perform ${helperIdent(app, AUDIT.append)}(${literal(x.table)}, 'reveal', pg_catalog.jsonb_build_object(${literal(key)}, row_id), null,
    pg_catalog.jsonb_build_object('column', ${literal(x.column)}), reason);`
      : sql.blank;
    out.push(
      {
        kind: "function",
        fn: {
          schema: app.schema,
          name,
          argTypes: [type, "text"],
          securityDefiner: true,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`reveal ${x.table}.${x.column}: ${who} read the ${sealed ? "decrypted" : "raw"} value of a row in their reveal scope, with a reason; audited`)}
create or replace function ${fn}(row_id ${trusted(type)}, reason text) returns text
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  caller name := ${ACTING_ROLE};
  revealed text;
  found_row boolean;
begin
  if ${helperIdent(app, HELPERS.userId)}(caller) is null or not (caller = any (${roles})) then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: only ${who} may reveal ${x.table}.${x.column}`)};
  end if;
  if coalesce(pg_catalog.btrim(reason), '') = '' then
    raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: say why you reveal it (reason)';
  end if;
  select ${value}, true into revealed, found_row
    from ${tableIdent(app, x.table)} as ${alias}
   where ${alias}.${sql.identifier(key)} = row_id and ${inScope};
  if found_row is null then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format(${literal(`gatehouse: ${x.table} %s is not one whose ${x.column} you may reveal`)}, row_id);
  end if;${audit}
  return revealed;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.schema}.${name}`],
        sql: sql`revoke all on function ${fn}(${trusted(type)}, text) from public;
grant execute on function ${fn}(${trusted(type)}, text) to ${sql.join(
          revealers.map((r) => roleIdent(app, r.role)),
          ", ",
        )};`,
      },
    );
  }
  return out;
}
