import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { AUDIT } from "./audit";
import { managedRoles } from "./grants";
import { ACTING_ROLE, HELPERS, helperIdent, roleIdent, roleName, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

/** What `emit/view-as.ts` installs in the toolkit schema, and the claim the server sets on an impersonated request. */
export const VIEW_AS = {
  table: "view_as_sessions",
  begin: "view_as_begin",
  end: "view_as_end",
  targets: "view_as_targets",
  /** The transaction-local claim naming the view-as session of an impersonated request (its id). */
  claim: "jwt.claims.view_as",
  /** The user id of the one viewing, set beside `claim` for the record (the session row is what counts). */
  actorClaim: "jwt.claims.actor_id",
  /** How long a view-as session lasts, in minutes: the server's token expires with it. */
  minutes: 15,
} as const;

/**
 * Whether the session a view-as claim names lets this request act as its target, read in the identity helper
 * (`current_user_id`): the session exists, names this user and role, has not run out (by the clock), its actor is
 * still an active user holding the role it viewed from, and the definitions still let that role view as the
 * target's. Blank when no role may view as another (the helper is then unchanged).
 *
 * @example
 * viewAsCheck(plan, sql`uid`, sql`app_role`); // if nullif(current_setting('jwt.claims.view_as', true), '') is not null then …
 */
export function viewAsCheck(plan: Plan, uid: SQL, appRole: SQL): SQL {
  const { app } = plan;
  const rights = plan.privileges.viewAs;
  if (rights.length === 0) return sql.blank;
  const { users, userRoles } = app.identity;
  const c = (column: string) => sql.identifier(column);
  const claim = sql`pg_catalog.current_setting(${literal(VIEW_AS.claim)}, true)`;
  return sql`
    if nullif(${claim}, '') is not null then
      if ${claim} !~ '^[0-9]{1,18}$' then
        return null;
      end if;
      perform 1
         from ${helperIdent(app, VIEW_AS.table)} s
         join ${tableIdent(app, users.table)} a on a.${c(users.id)} = s.actor_id and a.${c(users.status)} = ${literal(users.activeStatus)}
         join ${tableIdent(app, userRoles.table)} ar on ar.${c(userRoles.user)} = s.actor_id and ar.${c(userRoles.role)} = s.actor_role
        where s.id = ${claim}::bigint
          and s.target_id = ${uid}
          and s.target_role = ${appRole}
          and s.until > pg_catalog.clock_timestamp()
          and ${allowedFor(plan, sql`s.actor_role`, sql`s.target_role`)};
      if not found then
        return null;
      end if;
    end if;`;
}

/** `target` is a role `actor` (both unprefixed role names) may view as, by the definitions. */
const allowedFor = (plan: Plan, actor: SQL, target: SQL): SQL =>
  sql`case ${actor} ${sql.join(
    plan.privileges.viewAs.map((r) => sql`when ${literal(r.actor)} then ${target} = any (${targetArray(r.targets)})`),
    " ",
  )} else false end`;

const targetArray = (targets: readonly string[]): SQL =>
  sql`array[${sql.join(
    targets.map((t) => literal(t)),
    ", ",
  )}]::text[]`;

/**
 * View as (`role({ viewAs })`), in the toolkit schema (not an API mutation: only the server's view-as route mints the
 * token that uses a session):
 *
 * - `view_as_sessions`: one row per view (who, as whom, in which role, why, from when, until when); row security
 *   forced, no privilege for any role.
 * - `view_as_begin(target, target_role, reason)` (SECURITY DEFINER, executable by the roles that may view as others):
 *   refuses a caller already viewing as someone, a caller who is not an active user acting in a role that may view
 *   as `target_role` (42501), no reason, themselves, and a target who is not an active user holding `target_role`
 *   (22023); then records the session, appends a `view_as` audit row (when the app has an audit trail) and returns
 *   the session id, the target, its prefixed role and the session's end.
 * - `view_as_end(session)` (SECURITY DEFINER, the same roles): the caller ends a view of their own now (its `until`
 *   becomes the clock's now), so its token stops working on its next statement; false when there was none to end.
 * - `view_as_targets()` (SECURITY DEFINER, the same roles): the active users the caller may view as, with their
 *   usernames and roles.
 *
 * The identity helper honours a session through {@link viewAsCheck}. Empty when no role may view as another.
 *
 * @example
 * const statements = emitViewAs(plan); // the table, view_as_begin, view_as_end, view_as_targets and their grants
 */
export function emitViewAs(plan: Plan): Statement[] {
  const { app } = plan;
  const rights = plan.privileges.viewAs;
  if (rights.length === 0) return [];
  const { users, userRoles } = app.identity;
  const c = (column: string) => sql.identifier(column);
  const t = (table: string) => tableIdent(app, table);
  const userId = trusted(plan.types.userId);
  const sessions = helperIdent(app, VIEW_AS.table);
  const begin = helperIdent(app, VIEW_AS.begin);
  const targets = helperIdent(app, VIEW_AS.targets);
  const end = helperIdent(app, VIEW_AS.end);
  const who = rights.map((r) => `${r.actor} (as ${r.targets.join(", ")})`).join("; ");
  const allowedOf = sql`case caller ${sql.join(
    rights.map((r) => sql`when ${literal(roleName(app, r.actor))} then ${targetArray(r.targets)}`),
    " ",
  )} end`;
  const refuseCaller = sql`if nullif(pg_catalog.current_setting(${literal(VIEW_AS.claim)}, true), '') is not null then
    raise exception using errcode = 'insufficient_privilege',
      message = 'gatehouse: you are viewing as someone else: end that view (sign in as yourself) before viewing as anyone';
  end if;
  if allowed is null or actor is null then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: only ${who} may view as others, as an active user acting in that role`)};
  end if;`;
  const declarations = sql`caller name := ${ACTING_ROLE};
  allowed text[] := ${allowedOf};
  actor ${userId} := ${helperIdent(app, HELPERS.userId)}(caller);`;
  const username = users.username ? sql`u.${c(users.username)}::text` : sql`u.${c(users.id)}::text`;
  const audit = app.audit
    ? sql`
  perform ${helperIdent(app, AUDIT.append)}(${literal(users.table)}, 'view_as', pg_catalog.jsonb_build_object(${literal(users.id)}, target),
    null, pg_catalog.jsonb_build_object('session', session, 'role', target_role, 'until', ends), reason);`
    : sql.blank;
  const grantTo = sql.join(
    rights.map((r) => roleIdent(app, r.actor)),
    ", ",
  );
  const userType = trusted(plan.types.userId);
  return [
    {
      kind: "table",
      target: `${app.toolkitSchema}.${VIEW_AS.table}`,
      sql: sql`${lineComment(`view as (role viewAs: ${who}): one row per view, who viewed as whom, in which role, why, until when; written only by ${VIEW_AS.begin} and ${VIEW_AS.end}`)}
create table if not exists ${sessions} (
  id bigint generated always as identity primary key,
  actor_id ${userId} not null,
  actor_role name not null,
  target_id ${userId} not null,
  target_role name not null,
  reason text not null check (pg_catalog.btrim(reason) <> ''),
  started_at timestamptz not null,
  until timestamptz not null,
  check (until >= started_at)
);
alter table ${sessions} enable row level security;
alter table ${sessions} force row level security;
revoke all on table ${sessions} from ${managedRoles(plan)};`,
    },
    {
      kind: "function",
      fn: {
        name: VIEW_AS.begin,
        argTypes: [plan.types.userId, "text", "text"],
        securityDefiner: true,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment(`view as: ${who} start viewing the app as an active user of that role, read only, for ${VIEW_AS.minutes} minutes, with a reason; audited`)}
create or replace function ${begin}(target ${userType}, target_role text, reason text)
  returns table (session_id bigint, user_id ${userType}, role name, until timestamptz)
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  ${declarations}
  session bigint;
  started timestamptz := pg_catalog.clock_timestamp();
  ends timestamptz := started + ${literal(`${VIEW_AS.minutes} minutes`)}::interval;
begin
  ${refuseCaller}
  if target_role is null or not (target_role = any (allowed)) then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format('gatehouse: %s may view as %s only, not as %s', pg_catalog.substr(caller, ${literal(app.rolePrefix.length + 1)}),
        pg_catalog.array_to_string(allowed, ', '), coalesce(target_role, 'no role'));
  end if;
  if coalesce(pg_catalog.btrim(reason), '') = '' then
    raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: say why you view as someone else (reason)';
  end if;
  if target = actor then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'gatehouse: nobody views as themselves: sign in with that role instead';
  end if;
  perform 1
     from ${t(users.table)} u
     join ${t(userRoles.table)} r on r.${c(userRoles.user)} = u.${c(users.id)}
    where u.${c(users.id)} = target
      and u.${c(users.status)} = ${literal(users.activeStatus)}
      and r.${c(userRoles.role)} = target_role;
  if not found then
    raise exception using errcode = 'invalid_parameter_value',
      message = pg_catalog.format('gatehouse: user %s is not an active user holding %s: pick one of view_as_targets()', target, target_role);
  end if;
  insert into ${sessions} (actor_id, actor_role, target_id, target_role, reason, started_at, until)
    values (actor, pg_catalog.substr(caller, ${literal(app.rolePrefix.length + 1)}), target, target_role, pg_catalog.btrim(reason), started, ends)
    returning id into session;${audit}
  return query select session, target, (${literal(app.rolePrefix)} || target_role)::name, ends;
end`)};`,
    },
    {
      kind: "function",
      fn: { name: VIEW_AS.end, argTypes: ["bigint"], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment("view as: the viewer ends a view of their own now; its token stops working on its next statement")}
create or replace function ${end}(session bigint) returns boolean
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  ${declarations}
begin
  ${refuseCaller}
  update ${sessions} s set until = greatest(s.started_at, pg_catalog.clock_timestamp())
   where s.id = session and s.actor_id = actor and s.until > pg_catalog.clock_timestamp();
  return found;
end`)};`,
    },
    {
      kind: "function",
      fn: { name: VIEW_AS.targets, argTypes: [], securityDefiner: true, volatility: "stable", searchPath: true },
      sql: sql`${lineComment(`view as: the active users ${rights.map((r) => r.actor).join(", ")} may view as, with their usernames and roles`)}
create or replace function ${targets}()
  returns table (user_id ${userType}, username text, role text)
  language plpgsql stable security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  ${declarations}
begin
  ${refuseCaller}
  return query
    select u.${c(users.id)}, ${username}, r.${c(userRoles.role)}::text
      from ${t(users.table)} u
      join ${t(userRoles.table)} r on r.${c(userRoles.user)} = u.${c(users.id)}
     where u.${c(users.status)} = ${literal(users.activeStatus)}
       and r.${c(userRoles.role)} = any (allowed)
       and u.${c(users.id)} <> actor
     order by 2, 3;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [VIEW_AS.begin, VIEW_AS.end, VIEW_AS.targets].map((f) => `${app.toolkitSchema}.${f}`),
      sql: sql`revoke all on function ${begin}(${userType}, text, text), ${end}(bigint), ${targets}() from ${managedRoles(plan)};
grant execute on function ${begin}(${userType}, text, text), ${end}(bigint), ${targets}() to ${grantTo};`,
    },
  ];
}
