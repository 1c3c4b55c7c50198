import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { ACTING_ROLE, GUARD, HELPERS, borrowedAccessSetting, helperIdent, tableIdent } from "../names";
import type { Plan, TablePlan } from "../plan";
import type { Statement } from "../statement";

/** `old.a is distinct from new.a or old.b is distinct from new.b`: the trigger's `when`. */
const changed = (columns: readonly string[]): SQL =>
  sql.join(
    columns.map((c) => sql`old.${sql.identifier(c)} is distinct from new.${sql.identifier(c)}`),
    " or ",
  );

/** `t.id = <row>.id and …` over the primary key. */
const sameKey = (table: TablePlan, row: "old" | "new"): SQL =>
  sql.join(
    table.primaryKey.map((k) => sql`t.${sql.identifier(k)} = ${trusted(row)}.${sql.identifier(k)}`),
    " and ",
  );

/**
 * Grants never move rows (DESIGN.md invariant 9). Per table whose rows have holder columns (owner, unit,
 * parent key: `TablePlan.holders`), a SECURITY INVOKER trigger function asks the table itself, under the
 * writer's own row security with borrowed access switched off for that one query (temporary grants and
 * member sets then reach nothing), whether the writer reaches the row without borrowing: before the update
 * the old row must be reachable, after it the new one. So a temporary grant or a membership lets its holder
 * read or edit a row but never change who holds it, and whoever moves a row keeps it within their own reach.
 * The switch can only take access away, so anyone setting it by hand gains nothing. Writes by the owner
 * (migrations, seeds) are not app requests and pass.
 */
export function emitHolderGuards(plan: Plan): Statement[] {
  const { app } = plan;
  const setting = literal(borrowedAccessSetting(app));
  const out: Statement[] = [];
  for (const table of plan.tables) {
    if (table.holders.length === 0 || table.primaryKey.length === 0) continue;
    const fn = helperIdent(app, `${GUARD.functionPrefix}${table.name}`);
    const holders = table.holders.join(", ");
    out.push(
      {
        kind: "function",
        fn: {
          name: `${GUARD.functionPrefix}${table.name}`,
          argTypes: [],
          securityDefiner: false,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`${table.name}: a write may change ${holders} only on rows the writer reaches without a grant or membership, and keep them in reach`)}
create or replace function ${fn}() returns trigger
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  borrowed text := pg_catalog.current_setting(${setting}, true);
  reached boolean;
begin
  if ${helperIdent(app, HELPERS.userId)}(current_user) is null then
    return new;
  end if;
  perform pg_catalog.set_config(${setting}, 'off', true);
  if tg_when = 'BEFORE' then
    select exists (select 1 from ${tableIdent(app, table.name)} t where ${sameKey(table, "old")}) into reached;
  else
    select exists (select 1 from ${tableIdent(app, table.name)} t where ${sameKey(table, "new")}) into reached;
  end if;
  perform pg_catalog.set_config(${setting}, coalesce(borrowed, ''), true);
  if reached then
    return new;
  elsif tg_when = 'BEFORE' then
    raise exception using errcode = 'insufficient_privilege', message = ${literal(
      `gatehouse: you reach this row of ${table.name} only through a temporary grant or a membership, which lets you read or edit it, not change ${holders}`,
    )};
  else
    raise exception using errcode = 'insufficient_privilege', message = ${literal(
      `gatehouse: this change would move the row of ${table.name} out of your own reach (${holders}): hand it only to someone within it`,
    )};
  end if;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${GUARD.functionPrefix}${table.name}`],
        sql: sql`revoke all on function ${fn}() from public;`,
      },
      {
        kind: "table",
        target: table.name,
        sql: sql`create or replace trigger ${sql.identifier(GUARD.before)} before update on ${tableIdent(app, table.name)}
  for each row when (${changed(table.holders)}) execute function ${fn}();
create or replace trigger ${sql.identifier(GUARD.after)} after update on ${tableIdent(app, table.name)}
  for each row when (${changed(table.holders)}) execute function ${fn}();`,
      },
    );
  }
  return out;
}

/**
 * Nobody assigns a row to a frozen user or to a user whose roles may not own it. Per `own(col)` column
 * (`TablePlan.owners`), a SECURITY DEFINER trigger (it reads the users and their roles, which the writer
 * may not see) refuses an insert or update whose new owner is not an active user holding one of the roles
 * that own rows through that column. Writes by the owner (migrations, seeds) are not app requests and pass.
 */
export function emitOwnerChecks(plan: Plan): Statement[] {
  const { app } = plan;
  const { users, userRoles } = app.identity;
  const owners = plan.tables.flatMap((table) => table.owners.map((owner) => ({ table, owner })));
  if (owners.length === 0) return [];
  const fn = helperIdent(app, GUARD.ownerFunction);
  const c = (column: string) => sql.identifier(column);
  const out: Statement[] = [
    {
      kind: "function",
      fn: { name: GUARD.ownerFunction, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment("a written row's owner (trigger argument 0) must be an active user holding one of the roles listed in argument 1")}
create or replace function ${fn}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  actor name := ${ACTING_ROLE};
  owner text := pg_catalog.to_jsonb(new) ->> tg_argv[0];
begin
  if owner is null or (tg_op = 'UPDATE' and (pg_catalog.to_jsonb(old) ->> tg_argv[0]) is not distinct from owner) then
    return new;
  end if;
  if ${helperIdent(app, HELPERS.userId)}(actor) is null then
    return new;
  end if;
  perform 1
     from ${tableIdent(app, users.table)} u
     join ${tableIdent(app, userRoles.table)} r on r.${c(userRoles.user)} = u.${c(users.id)}
    where u.${c(users.id)} = owner::${trusted(plan.types.userId)}
      and u.${c(users.status)} = ${literal(users.activeStatus)}
      and r.${c(userRoles.role)} = any (pg_catalog.string_to_array(tg_argv[1], ','));
  if not found then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format('gatehouse: user %s cannot own rows of %s: an owner must be an active user holding %s',
        owner, tg_table_name, pg_catalog.replace(tg_argv[1], ',', ', '));
  end if;
  return new;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${GUARD.ownerFunction}`],
      sql: sql`revoke all on function ${fn}() from public;`,
    },
  ];
  for (const { table, owner } of owners) {
    out.push({
      kind: "table",
      target: table.name,
      sql: sql`${lineComment(`${table.name}.${owner.column}: only an active ${owner.roles.join(", ")} may own a row`)}
create or replace trigger ${sql.identifier(`${GUARD.ownerTriggerPrefix}${owner.column}`)} before insert or update on ${tableIdent(app, table.name)}
  for each row execute function ${fn}(${literal(owner.column)}, ${literal(owner.roles.join(","))});`,
    });
  }
  return out;
}
