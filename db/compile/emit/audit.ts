import { lineComment, literal, sql, trusted } from "../../sql/ddl";
import { HELPERS, helperIdent, roleIdent, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

export const AUDIT_TABLE = "audit_log";
export const AUDIT_TRIGGER = "gatehouse_audit";
const AUDIT_FUNCTION = "audit_row";

/**
 * The append-only audit trail: a table in the toolkit schema that no app role may write, update or
 * delete; a SECURITY DEFINER trigger function (callable only as a trigger) that records every row
 * written by an app role or a role-bound login — who, in which role, through which channel, the row's
 * primary key (the trigger's arguments), the old and the new row; and one `gatehouse_audit` trigger
 * per protected table. Writes by the owner (migrations,
 * seeds) are not recorded: they are reviewed as migrations instead.
 */
export function emitAudit(plan: Plan): Statement[] {
  const { app } = plan;
  const audit = app.audit;
  if (!audit) return [];
  const log = helperIdent(app, AUDIT_TABLE);
  const target = `${app.toolkitSchema}.${AUDIT_TABLE}`;
  const prefix = literal(app.rolePrefix);
  const readers = audit.readers.map((r) => roleIdent(app, r.name));
  const out: Statement[] = [
    {
      kind: "table",
      target,
      sql: sql`${lineComment("the audit trail: append-only; app roles never write it directly, readers only read it")}
create table if not exists ${log} (
  id bigint generated always as identity primary key,
  at timestamptz not null default pg_catalog.now(),
  user_id ${trusted(plan.types.userId)},
  acting_role name not null,
  login name not null,
  channel text,
  table_name text not null,
  operation text not null,
  row_key text,
  old_row jsonb,
  new_row jsonb
);
create index if not exists audit_log_table_row on ${log} (table_name, row_key);`,
    },
    {
      kind: "rls",
      target,
      force: true,
      sql: sql`alter table ${log} enable row level security;
alter table ${log} force row level security;`,
    },
    {
      kind: "policy",
      target,
      sql: sql`drop policy if exists audit__append on ${log};
drop policy if exists audit__read on ${log};
${lineComment("only the trigger function (as the owner) inserts; no app role holds insert, update or delete")}
create policy audit__append on ${log} as permissive for insert to public with check (true);`,
    },
  ];
  if (readers.length) {
    out.push({
      kind: "policy",
      target,
      sql: sql`${lineComment(`${audit.readers.map((r) => r.name).join(", ")} may read the audit trail (from audit.readers)`)}
create policy audit__read on ${log} as permissive for select to ${sql.join(readers, ", ")}
  using ((select ${helperIdent(app, HELPERS.userId)}(current_user)) is not null);`,
    });
  }
  out.push(
    {
      kind: "function",
      fn: { name: AUDIT_FUNCTION, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment("records one written row; the actor is the role set for the request, or the role-bound login")}
create or replace function ${helperIdent(app, AUDIT_FUNCTION)}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $fn$
declare
  actor name := case when pg_catalog.current_setting('role') <> 'none' then pg_catalog.current_setting('role')::name else session_user end;
  old_row jsonb;
  new_row jsonb;
  row_key text;
begin
  if pg_catalog.left(actor, pg_catalog.length(${prefix})) <> ${prefix} then
    return null;
  end if;
  if tg_op <> 'INSERT' then
    old_row := pg_catalog.to_jsonb(old);
  end if;
  if tg_op <> 'DELETE' then
    new_row := pg_catalog.to_jsonb(new);
  end if;
  select pg_catalog.string_agg(coalesce(new_row, old_row) ->> key.name, ',' order by key.n) into row_key
    from pg_catalog.unnest(tg_argv) with ordinality as key(name, n);
  insert into ${log} (user_id, acting_role, login, channel, table_name, operation, row_key, old_row, new_row)
  values (${helperIdent(app, HELPERS.userId)}(actor), actor, session_user, ${helperIdent(app, HELPERS.channel)}(),
          tg_table_name, pg_catalog.lower(tg_op), row_key, old_row, new_row);
  return null;
end
$fn$;`,
    },
    {
      kind: "grant",
      target,
      sql: sql`revoke all on function ${helperIdent(app, AUDIT_FUNCTION)}() from public;
revoke all on table ${log} from public;
${readers.length ? sql`grant select on table ${log} to ${sql.join(readers, ", ")};` : sql.blank}`,
    },
  );
  for (const table of plan.tables) {
    out.push({
      kind: "table",
      target: table.name,
      sql: sql`create or replace trigger ${sql.identifier(AUDIT_TRIGGER)} after insert or update or delete on ${tableIdent(app, table.name)}
  for each row execute function ${helperIdent(app, AUDIT_FUNCTION)}(${sql.join(
    table.primaryKey.map((k) => literal(k)),
    ", ",
  )});`,
    });
  }
  return out;
}
