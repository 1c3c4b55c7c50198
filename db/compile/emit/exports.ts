import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import type { Scope } from "../../policy/scopes";
import { ACTING_ROLE, HELPERS, helperIdent, roleIdent, roleName } from "../names";
import type { Plan, ViewPlan } from "../plan";
import { renderScope, type ScopeContext } from "../scope-sql";
import type { Statement } from "../statement";
import { AUDIT } from "./audit";

/** What `emit/exports.ts` installs in the toolkit schema. */
export const EXPORTS = {
  table: "exports",
  start: "export_start",
  finish: "export_finish",
} as const;

/** The formats an export may be written in. */
export const EXPORT_FORMATS = ["csv", "jsonl"] as const;

/**
 * The channel conditions of a view's row condition: `channelIs`/`channelIsNot` at its top level (alone or in an
 * `and`). An export of the view is refused where they fail, instead of writing a file with no rows.
 *
 * @example
 * channelConditions(and(isNull("deleted_at"), channelIsNot("mobile"))); // [channelIsNot("mobile")]
 */
export function channelConditions(where: Scope): Scope[] {
  if (where.kind === "channel") return [where];
  if (where.kind === "and") return where.scopes.flatMap(channelConditions);
  return [];
}

/**
 * Exports of masking views (`gatehouse export`), recorded and counted in the database:
 *
 * - `exports`: one row per export — who (user id, acting role, login, channel), which view, the format, how many
 *   rows, the file's sha256, when it started and finished, and the transaction that made it. Written only by
 *   the two functions below; no app role holds a privilege on it.
 * - `export_start(view, format, rows)` (SECURITY DEFINER): the caller must act, as a known active user, in a role
 *   the view is granted to, on a channel the view's condition allows; the role's daily quota (`exportQuota`,
 *   UTC days, counted over every user acting in that role under a per-role lock) must hold this export's rows and
 *   one more file. Returns the export's id.
 * - `export_finish(id, rows, sha256)` (SECURITY DEFINER): the same caller, in the same transaction, with the rows
 *   it started with: records the hash and appends an `export` row to the audit trail (the view as its table, who,
 *   the rows, the format and the hash). A transaction that rolls back leaves neither, and uses no quota.
 *
 * @example
 * const statements = emitExports(plan, (table) => ctx(table)); // [] when the app has no views
 */
export function emitExports(plan: Plan, ctxFor: (table: string) => ScopeContext): Statement[] {
  const { app } = plan;
  if (plan.views.length === 0) return [];
  const fn = (name: string) => helperIdent(app, name);
  const log = fn(EXPORTS.table);
  const userId = trusted(plan.types.userId);
  const exporters = [...new Set(plan.views.flatMap((v) => v.roles))];
  const quotas = plan.privileges.exportQuotas;
  const views = plan.views.map((v) => v.name).sort();
  const viewArms = plan.views.map((v) => viewChecks(plan, v, ctxFor));
  const quotaArms = quotas.map(
    ({ role, quota }) =>
      sql`when ${literal(roleName(app, role))} then files_limit := ${limit(quota.files)}; rows_limit := ${limit(quota.rows)};`,
  );
  const quotaWords = quotas.length
    ? quotas.map(({ role, quota }) => `${role} ${quotaText(quota)}`).join(", ")
    : "no role has a quota";
  const whoAndWhen = sql`  caller name := ${ACTING_ROLE};
  uid ${userId} := ${fn(HELPERS.userId)}(caller);`;
  const refuseUnknownUser = sql`if uid is null then
    raise exception using errcode = 'insufficient_privilege',
      message = 'gatehouse: an export needs a known, active user acting in an app role';
  end if;`;

  const out: Statement[] = [
    {
      kind: "table",
      target: `${app.toolkitSchema}.${EXPORTS.table}`,
      sql: sql`${lineComment("exports of masking views: who exported which view, how many rows, the file's hash; counted against the daily quotas; written only by export_start and export_finish")}
create table if not exists ${log} (
  id bigint generated always as identity primary key,
  started_at timestamptz not null,
  finished_at timestamptz,
  txid xid8 not null,
  user_id ${userId} not null,
  acting_role name not null,
  login name not null,
  channel text,
  view_name text not null,
  format text not null,
  row_count bigint not null check (row_count >= 0),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$')
);
create index if not exists exports_role_day on ${log} (acting_role, started_at);
alter table ${log} enable row level security;
alter table ${log} force row level security;
revoke all on table ${log} from public;`,
    },
    {
      kind: "function",
      fn: {
        name: EXPORTS.start,
        argTypes: ["text", "text", "bigint"],
        securityDefiner: true,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment(`exports: ${exporters.join(", ")} start an export of a view granted to them, off the channels its condition excludes, within their daily quota (${quotaWords})`)}
create or replace function ${fn(EXPORTS.start)}(view_name text, format text, row_count bigint) returns bigint
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
${whoAndWhen}
  day_start timestamptz := pg_catalog.date_trunc('day', pg_catalog.clock_timestamp() at time zone 'UTC') at time zone 'UTC';
  files_limit bigint;
  rows_limit bigint;
  files_used bigint;
  rows_used bigint;
  started bigint;
begin
  ${refuseUnknownUser}
  case view_name
    ${sql.join(viewArms, "\n    ")}
    else
      raise exception using errcode = 'invalid_parameter_value',
        message = pg_catalog.format(${literal(`gatehouse: no view %s to export; the views are ${views.join(", ")}`)}, view_name);
  end case;
  if format is null or not (format = any (array[${sql.join(
    EXPORT_FORMATS.map((f) => literal(f)),
    ", ",
  )}])) then
    raise exception using errcode = 'invalid_parameter_value',
      message = pg_catalog.format(${literal(`gatehouse: no export format %s; the formats are ${EXPORT_FORMATS.join(", ")}`)}, format);
  end if;
  if row_count is null or row_count < 0 then
    raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: an export has zero or more rows';
  end if;
  ${quotaArms.length ? sql`case caller ${sql.join(quotaArms, " ")} else null; end case;` : sql.blank}
  -- one export at a time per role, so two cannot both fit in what is left of the quota
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(${literal(`${app.toolkitSchema}.${EXPORTS.table}`)}), pg_catalog.hashtext(caller));
  select pg_catalog.count(*), coalesce(pg_catalog.sum(e.row_count), 0) into files_used, rows_used
    from ${log} e where e.acting_role = caller and e.started_at >= day_start;
  if files_used + 1 > files_limit then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format('gatehouse: %s may export %s files a day; %s used today; the quota resets at %s UTC',
        pg_catalog.substr(caller, ${literal(app.rolePrefix.length + 1)}), files_limit, files_used,
        pg_catalog.to_char((day_start + interval '1 day') at time zone 'UTC', 'YYYY-MM-DD HH24:MI'));
  end if;
  if rows_used + row_count > rows_limit then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format('gatehouse: %s may export %s rows a day; %s used today and this export has %s; the quota resets at %s UTC',
        pg_catalog.substr(caller, ${literal(app.rolePrefix.length + 1)}), rows_limit, rows_used, row_count,
        pg_catalog.to_char((day_start + interval '1 day') at time zone 'UTC', 'YYYY-MM-DD HH24:MI'));
  end if;
  insert into ${log} (started_at, txid, user_id, acting_role, login, channel, view_name, format, row_count)
    values (pg_catalog.clock_timestamp(), pg_catalog.pg_current_xact_id(), uid, caller, session_user,
            ${fn(HELPERS.channel)}(), view_name, format, row_count)
    returning id into started;
  return started;
end`)};`,
    },
    {
      kind: "function",
      fn: {
        name: EXPORTS.finish,
        argTypes: ["bigint", "bigint", "text"],
        securityDefiner: true,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment(`exports: the user who started an export finishes it in the same transaction with the rows it started with, recording the file's sha256${app.audit ? " in the export and the audit trail" : ""}`)}
create or replace function ${fn(EXPORTS.finish)}(export_id bigint, row_count bigint, sha256 text) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
${whoAndWhen}
  started ${log};
begin
  ${refuseUnknownUser}
  select e.* into started from ${log} e
   where e.id = export_id and e.finished_at is null and e.acting_role = caller and e.user_id = uid
     and e.txid = pg_catalog.pg_current_xact_id();
  if started.id is null then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format('gatehouse: export %s is not one you started in this transaction', export_id);
  end if;
  if row_count is distinct from started.row_count then
    raise exception using errcode = 'invalid_parameter_value',
      message = pg_catalog.format('gatehouse: export %s was started for %s rows, not %s', export_id, started.row_count, row_count);
  end if;
  if sha256 is null or sha256 !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'gatehouse: the sha256 of an export is 64 lowercase hex digits';
  end if;
  update ${log} e set finished_at = pg_catalog.clock_timestamp(), sha256 = export_finish.sha256 where e.id = export_id;${
    app.audit
      ? sql`
  perform ${fn(AUDIT.append)}(started.view_name, 'export', pg_catalog.jsonb_build_object('export_id', export_id), null,
    pg_catalog.jsonb_build_object('rows', started.row_count, 'format', started.format, 'sha256', export_finish.sha256), null);`
      : sql.blank
  }
end`)};`,
    },
    {
      kind: "grant",
      revokes: [EXPORTS.start, EXPORTS.finish].map((name) => `${app.toolkitSchema}.${name}`),
      sql: sql`revoke all on function ${fn(EXPORTS.start)}(text, text, bigint) from public;
revoke all on function ${fn(EXPORTS.finish)}(bigint, bigint, text) from public;
grant execute on function ${fn(EXPORTS.start)}(text, text, bigint), ${fn(EXPORTS.finish)}(bigint, bigint, text) to ${sql.join(
        exporters.map((r) => roleIdent(app, r)),
        ", ",
      )};`,
    },
  ];
  return out;
}

/** `export_start`'s arm for one view: the caller must act in one of its roles, on a channel its condition allows. */
function viewChecks(plan: Plan, view: ViewPlan, ctxFor: (table: string) => ScopeContext): SQL {
  const { app } = plan;
  const roles = sql`array[${sql.join(
    view.roles.map((r) => literal(roleName(app, r))),
    ", ",
  )}]::name[]`;
  const channels = channelConditions(view.where);
  const channelCheck = channels.length
    ? sql`
      if not coalesce(${sql.join(
        channels.map((c) => renderScope(c, ctxFor(view.from))),
        " and ",
      )}, false) then
        raise exception using errcode = 'insufficient_privilege',
          message = pg_catalog.format(${literal(`gatehouse: exports of ${view.name} are refused on the %s channel`)},
            coalesce(${helperIdent(app, HELPERS.channel)}(), 'unnamed'));
      end if;`
    : sql.blank;
  return sql`when ${literal(view.name)} then
      if not (caller = any (${roles})) then
        raise exception using errcode = 'insufficient_privilege',
          message = ${literal(`gatehouse: only ${view.roles.join(", ")} may export ${view.name}`)};
      end if;${channelCheck}`;
}

/** A limit in SQL: the number, or null for none. */
const limit = (n: number | undefined): SQL => (n === undefined ? sql`null` : literal(n));

/** A quota in words: `at most 3 files and 100000 rows a day`. */
const quotaText = (quota: { files?: number; rows?: number }): string =>
  `at most ${[quota.files !== undefined ? `${quota.files} files` : "", quota.rows !== undefined ? `${quota.rows} rows` : ""]
    .filter(Boolean)
    .join(" and ")} a day`;
