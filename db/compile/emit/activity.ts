import { dollarQuoted, lineComment, literal, sql, trusted } from "../../sql/ddl";
import { helperIdent, roleIdent, roleName, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

/** What `emit/activity.ts` installs in the toolkit schema. */
export const ACTIVITY = {
  table: "activity",
  record: "record_activity",
  /** The longest a request count may wait in the server before it is recorded: older hours are refused. */
  maxAgeHours: 2,
  /** The most requests one call may record. */
  maxRequests: 1_000_000,
} as const;

/**
 * The API server's activity record: `activity`, one row per user, acting role and hour with that hour's request
 * count (the first request of an hour writes the row, so a user's last activity is known to the hour), and
 * `record_activity(user_id, acting_role, hour, requests)`, SECURITY DEFINER, executable by the authenticator only
 * (not PUBLIC, no app role), which checks its input (an existing user, an app role, a whole hour no older than two
 * hours and not ahead, a positive count) and adds the count. No role holds any privilege on the table; row
 * security is forced.
 *
 * @example
 * const statements = emitActivity(plan); // the table, its row security, the function and its grants
 */
export function emitActivity(plan: Plan): Statement[] {
  const { app } = plan;
  const log = helperIdent(app, ACTIVITY.table);
  const fn = helperIdent(app, ACTIVITY.record);
  const users = app.identity.users;
  const userId = trusted(plan.types.userId);
  const roles = sql.join(
    plan.roles.map((r) => literal(roleName(app, r.name))),
    ", ",
  );
  const authenticator = roleIdent(app, app.authenticator);
  return [
    {
      kind: "table",
      target: `${app.toolkitSchema}.${ACTIVITY.table}`,
      sql: sql`${lineComment("the API server's requests per user, acting role and hour: last activity and volume for gatehouse review and alerts; written only by record_activity")}
create table if not exists ${log} (
  user_id ${userId} not null,
  acting_role name not null,
  hour timestamptz not null check (hour = pg_catalog.date_trunc('hour', hour, 'UTC')),
  requests integer not null check (requests > 0),
  primary key (user_id, acting_role, hour)
);
create index if not exists activity_hour on ${log} (hour);
alter table ${log} enable row level security;
alter table ${log} force row level security;
revoke all on table ${log} from public;`,
    },
    {
      kind: "function",
      fn: {
        name: ACTIVITY.record,
        argTypes: [plan.types.userId, "name", "timestamptz", "integer"],
        securityDefiner: true,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment("the API server (the authenticator) adds a user's requests of one hour; it checks the user, the role, the hour and the count")}
create or replace function ${fn}(user_id ${userId}, acting_role name, hour timestamptz, requests integer) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  if requests is null or requests < 1 or requests > ${literal(ACTIVITY.maxRequests)} then
    raise exception 'gatehouse: record_activity needs a request count from 1 to %', ${literal(ACTIVITY.maxRequests)}
      using errcode = 'invalid_parameter_value';
  end if;
  if hour is null or hour <> pg_catalog.date_trunc('hour', hour, 'UTC') or hour > pg_catalog.clock_timestamp()
     or hour < pg_catalog.date_trunc('hour', pg_catalog.clock_timestamp(), 'UTC') - ${literal(`${ACTIVITY.maxAgeHours} hours`)}::interval then
    raise exception 'gatehouse: record_activity needs a whole hour of the last % hours, not %', ${literal(ACTIVITY.maxAgeHours)}, hour
      using errcode = 'invalid_parameter_value';
  end if;
  if acting_role is null or not (acting_role = any (array[${roles}]::name[])) then
    raise exception 'gatehouse: % is not an app role', acting_role using errcode = 'invalid_parameter_value';
  end if;
  if not exists (select 1 from ${tableIdent(app, users.table)} u where u.${sql.identifier(users.id)} = record_activity.user_id) then
    raise exception 'gatehouse: no user %', user_id using errcode = 'invalid_parameter_value';
  end if;
  insert into ${log} as a (user_id, acting_role, hour, requests)
    values (record_activity.user_id, record_activity.acting_role, record_activity.hour, record_activity.requests)
    on conflict on constraint activity_pkey do update set requests = a.requests + excluded.requests;
end`)};`,
    },
    {
      kind: "grant",
      target: `${app.toolkitSchema}.${ACTIVITY.table}`,
      revokes: [`${app.toolkitSchema}.${ACTIVITY.record}`],
      sql: sql`revoke all on function ${fn}(${userId}, name, timestamptz, integer) from public;
${lineComment("only the API server's authenticator records activity; it may look the function up, nothing else of the toolkit schema is granted to it")}
grant usage on schema ${sql.identifier(app.toolkitSchema)} to ${authenticator};
grant execute on function ${fn}(${userId}, name, timestamptz, integer) to ${authenticator};`,
    },
  ];
}
