import { dollarQuoted, lineComment, literal, type SQL, sql, trusted } from "../../sql/ddl";
import { renderScope, type ScopeContext } from "../scope-sql";
import {
  HELPERS,
  borrowedAccessSetting,
  helperIdent,
  memberHelper,
  requestRoles,
  roleIdent,
  roleName,
  tableIdent,
} from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";
import { emitUnitTree, UNIT_TREE } from "./unit-tree";
import { viewAsCheck } from "./view-as";

type Fn = NonNullable<Statement["fn"]>;

/** Every helper takes the acting role: `current_user` where the policy calls it. */
const ACTING_ROLE: readonly (readonly [string, string])[] = [["acting_role", "name"]];

/**
 * How a user id claim is checked before the cast, per key type: a pattern the cast cannot fail on.
 * With one, the helpers need no exception block (a subtransaction, refused during a parallel query
 * on PostgreSQL 15 and 16) and are marked `parallel safe`, so a large read under the rules can run
 * in parallel as the same read by hand does. Other key types keep the exception block and stay
 * parallel unsafe.
 */
const CLAIM_PATTERNS: Readonly<Record<string, string>> = {
  smallint: "^[0-9]{1,4}$",
  integer: "^[0-9]{1,9}$",
  bigint: "^[0-9]{1,18}$",
  uuid: "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
  text: "",
  "character varying": "",
};

/** `parallel safe` when the user id claim can be checked without a subtransaction (see CLAIM_PATTERNS). */
export function parallelMarking(plan: Plan): SQL {
  return plan.types.userId in CLAIM_PATTERNS ? sql` parallel safe` : sql.blank;
}

/** A `security definer` plpgsql helper: fixed search_path, plans cached per session, stable, parallel safe where it can be. */
function definer(
  plan: Plan,
  name: string,
  args: readonly (readonly [string, string])[],
  returns: SQL,
  body: SQL,
  why: string,
): Statement {
  const fn: Fn = { name, argTypes: args.map(([, type]) => type), securityDefiner: true, volatility: "stable", searchPath: true };
  return {
    kind: "function",
    fn,
    sql: sql`${lineComment(why)}
create or replace function ${helperIdent(plan.app, name)}(${sql.join(
      args.map(([arg, type]) => trusted(`${arg} ${type}`)),
      ", ",
    )}) returns ${returns}
  language plpgsql stable security definer${parallelMarking(plan)}
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(body)};`,
  };
}

/** What the helpers are written with: the plan, names and types resolved once. */
interface HelperParts {
  readonly plan: Plan;
  readonly app: Plan["app"];
  readonly users: Plan["app"]["identity"]["users"];
  readonly userRoles: Plan["app"]["identity"]["userRoles"];
  readonly t: (table: string) => SQL;
  readonly c: (column: string) => SQL;
  readonly userId: SQL;
  readonly unitId: SQL;
  readonly logins: SQL;
  readonly authenticator: SQL;
  readonly prefix: SQL;
  /** Borrowed access (grants, member sets) switched off for one query by the holder guard (emit/guard.ts). */
  readonly borrowedOff: SQL;
}

function helperParts(plan: Plan): HelperParts {
  const { app, types } = plan;
  const { users, userRoles } = app.identity;
  return {
    plan,
    app,
    users,
    userRoles,
    t: (table) => tableIdent(app, table),
    c: (column) => sql.identifier(column),
    userId: trusted(types.userId),
    unitId: trusted(types.unitId),
    logins: helperIdent(app, "logins"),
    authenticator: literal(roleName(app, app.authenticator)),
    prefix: literal(app.rolePrefix),
    borrowedOff: sql`if pg_catalog.current_setting(${literal(borrowedAccessSetting(app))}, true) = 'off' then
    return '{}';
  end if;`,
  };
}

/** Execute on every helper for the request roles, nothing for PUBLIC. */
function helperGrants(plan: Plan, helpers: readonly Statement[]): Statement[] {
  const roles = requestRoles(plan).map((r) => roleIdent(plan.app, r));
  return helpers
    .flatMap((s) => (s.fn ? [s.fn] : []))
    .map(({ name, argTypes }) => {
      const signature = sql`(${sql.join(
        argTypes.map((type) => trusted(type)),
        ", ",
      )})`;
      return {
        kind: "grant" as const,
        revokes: [`${plan.app.toolkitSchema}.${name}`],
        sql: sql`revoke all on function ${helperIdent(plan.app, name)}${signature} from public;
grant execute on function ${helperIdent(plan.app, name)}${signature} to ${sql.join(roles, ", ")};`,
      };
    });
}

/** The table mapping role-bound logins to users and roles. */
function loginsTable(h: HelperParts): Statement {
  const { userId, logins } = h;
  return {
    kind: "table",
    target: "logins",
    sql: sql`${lineComment("role-bound database logins (BI tools, psql): which user a login acts as, and in which app role")}
create table if not exists ${logins} (
  login name primary key,
  user_id ${userId} not null,
  role text not null
);
${lineComment("when each login was created, last given a password, and disabled (null: not known, or never); added to existing tables")}
alter table ${logins}
  add column if not exists created_at timestamptz,
  add column if not exists rotated_at timestamptz,
  add column if not exists disabled_at timestamptz,
  alter column created_at set default pg_catalog.now();
alter table ${logins} enable row level security;
alter table ${logins} force row level security;
revoke all on table ${logins} from public;`,
  };
}

/** The claim as the user id: checked against the key type's pattern, or cast inside an exception block. */
function claimToUid(pattern: string | undefined, userId: SQL): SQL {
  if (pattern === undefined)
    return sql`begin
      uid := nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::${userId};
    exception when others then
      return null;
    end;`;
  const check = pattern === "" ? sql.blank : sql` or claim !~ ${literal(pattern)}`;
  return sql`if claim is null${check} then
      return null;
    end if;
    uid := claim::${userId};`;
}

/**
 * Inside a row mask function the acting role is the app role's raw reader (`emit/row-masks.ts`), which only that
 * function runs as: it asks as the app role it reads for.
 */
function rawReaderRoles(plan: Plan): SQL {
  const readers = [...new Map(plan.rowMasks.map((m) => [m.reader, m.role])).entries()];
  if (readers.length === 0) return sql.blank;
  return sql`
    app_role := case app_role ${sql.join(
      readers.map(([reader, role]) => sql`when ${literal(reader)} then ${literal(role)}`),
      " ",
    )} else app_role end;`;
}

/** `current_user_id(acting_role)`: who is asking. */
function userIdHelper(h: HelperParts): Statement {
  const { plan, t, c, userId, logins, authenticator, prefix, users, userRoles } = h;
  const pattern = CLAIM_PATTERNS[plan.types.userId];
  return definer(
    plan,
    HELPERS.userId,
    ACTING_ROLE,
    userId,
    sql`declare
  uid ${userId};
  app_role text;${pattern === undefined ? sql.blank : sql`\n  claim text := nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '');`}
begin
  if session_user = ${authenticator} then
    ${claimToUid(pattern, userId)}
    if pg_catalog.left(acting_role, pg_catalog.length(${prefix})) <> ${prefix} then
      return null;
    end if;
    app_role := pg_catalog.substr(acting_role, pg_catalog.length(${prefix}) + 1);${rawReaderRoles(plan)}${viewAsCheck(plan, sql`uid`, sql`app_role`)}
  else
    select l.user_id, l.role into uid, app_role from ${logins} l where l.login = session_user and l.disabled_at is null;
  end if;
  if uid is null then
    return null;
  end if;
  perform 1
     from ${t(users.table)} u
     join ${t(userRoles.table)} r on r.${c(userRoles.user)} = u.${c(users.id)}
    where u.${c(users.id)} = uid
      and u.${c(users.status)} = ${literal(users.activeStatus)}
      and r.${c(userRoles.role)} = app_role;
  if not found then
    return null;
  end if;
  return uid;
end`,
    `who is asking: claims only through the authenticator, a login's mapping otherwise (none once the login is disabled, so its sessions still open — on a replica too — see nothing); null unless active and holding the acting role${plan.privileges.viewAs.length ? ", and, viewing as someone, unless the view-as session is live and its viewer still active in a role that may" : ""}`,
  );
}

/** `current_unit_id(acting_role)`: the unit of the user asking. */
function unitIdHelper(h: HelperParts): Statement {
  const { plan, app, t, c, unitId, users } = h;
  return definer(
    plan,
    HELPERS.unitId,
    ACTING_ROLE,
    unitId,
    sql`declare
  result ${unitId};
begin
  select u.${c(users.unit)} into result
    from ${t(users.table)} u
   where u.${c(users.id)} = ${helperIdent(app, HELPERS.userId)}(acting_role);
  return result;
end`,
    "the unit of the user asking",
  );
}

/** `current_unit_tree(acting_role)`: their unit and every unit below it, one probe of the closure (`unit-tree.ts`). */
function unitTreeHelper(h: HelperParts): Statement {
  const { plan, app, t, c, unitId, users } = h;
  return definer(
    plan,
    HELPERS.unitTree,
    ACTING_ROLE,
    sql`${unitId}[]`,
    sql`declare
  result ${unitId}[];
begin
  select tree.descendants into result
    from ${t(users.table)} u
    join ${helperIdent(app, UNIT_TREE.table)} tree on tree.ancestor = u.${c(users.unit)}
   where u.${c(users.id)} = ${helperIdent(app, HELPERS.userId)}(acting_role);
  return coalesce(result, '{}');
end`,
    "the unit of the user asking and every unit below it, as an array for = any(...); one probe of the unit tree closure, which a trigger on the units table keeps",
  );
}

/** The users of their unit tree. */
function treeUsersHelper(h: HelperParts): Statement {
  const { plan, app, t, c, userId, users } = h;
  return definer(
    plan,
    HELPERS.treeUsers,
    ACTING_ROLE,
    sql`${userId}[]`,
    sql`declare
  result ${userId}[];
begin
  select coalesce(pg_catalog.array_agg(u.${c(users.id)}), '{}') into result
    from ${t(users.table)} u
   where u.${c(users.unit)} = any (${helperIdent(app, HELPERS.unitTree)}(acting_role));
  return result;
end`,
    "users of the unit of the user asking and of every unit below it",
  );
}

/** `current_channel()`: the request channel. */
function channelHelper(h: HelperParts): Statement {
  const { app, authenticator } = h;
  return {
    kind: "function",
    fn: { name: HELPERS.channel, argTypes: [], securityDefiner: false, volatility: "stable", searchPath: true },
    sql: sql`${lineComment("the request channel, trusted only when set by the authenticator")}
create or replace function ${helperIdent(app, HELPERS.channel)}() returns text
  language sql stable parallel safe
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`  select case when session_user = ${authenticator} then nullif(pg_catalog.current_setting('jwt.claims.channel', true), '') end`)};`,
  };
}

/** `granted_rows(acting_role, table, privileges)`: rows opened by a live temporary grant; none without identity.grants. */
function grantedHelper(h: HelperParts): Statement[] {
  const { plan, app, t, c, borrowedOff } = h;
  const { grants } = app.identity;
  if (!grants) return [];
  const rowType = trusted(plan.types.grantRow);
  return [
    definer(
      plan,
      HELPERS.granted,
      [...ACTING_ROLE, ["target", "text"], ["privileges", "text[]"]],
      sql`${rowType}[]`,
      sql`declare
  result ${rowType}[];
begin
  ${borrowedOff}
  select coalesce(pg_catalog.array_agg(g.${c(grants.row)}), '{}') into result
    from ${t(grants.table)} g
   where g.${c(grants.grantee)} = ${helperIdent(app, HELPERS.userId)}(acting_role)
     and g.${c(grants.tableName)} = target
     and g.${c(grants.privilege)} = any (privileges)
     and g.${c(grants.expires)} > pg_catalog.clock_timestamp();
  return result;
end`,
      "rows of a table opened to the user asking by a temporary grant that has not expired, by the clock",
    ),
  ];
}

/** `member_<set>(acting_role)`: the row keys a member set reaches for the user asking. */
function memberSetHelper(
  h: HelperParts,
  set: Plan["memberSets"][number],
  scopeContext: (table: string) => ScopeContext,
): Statement {
  const { plan, app, t, c, borrowedOff } = h;
  const rowType = trusted(set.rowType);
  const linkWhere = set.link.where
    ? sql`\n     and ${renderScope(set.link.where, { ...scopeContext(set.link.table), row: "l" })}`
    : sql.blank;
  const live = set.live
    ? sql`\n     and exists (select 1 from ${t(set.live.table)} live where live.${c(set.live.key)} = l.${c(set.link.group)} and ${renderScope(set.live.where, { ...scopeContext(set.live.table), row: "live" })})`
    : sql.blank;
  return definer(
    plan,
    memberHelper(set.name),
    ACTING_ROLE,
    sql`${rowType}[]`,
    sql`declare
  result ${rowType}[];
begin
  ${borrowedOff}
  select coalesce(pg_catalog.array_agg(distinct l.${c(set.link.row)}), '{}') into result
    from ${t(set.membership.table)} m
    join ${t(set.link.table)} l on l.${c(set.link.group)} = m.${c(set.membership.group)}
   where m.${c(set.membership.user)} = ${helperIdent(app, HELPERS.userId)}(acting_role)${linkWhere}${live};
  return result;
end`,
    `member set ${set.name}: row keys reachable through ${set.membership.table} and ${set.link.table}`,
  );
}

/**
 * The helpers every policy calls: who is asking (trusted from claims only for the authenticator,
 * from the login mapping for role-bound logins not disabled, and only while the user is active and holds the
 * acting role), their unit, their unit subtree (from the closure `emitUnitTree` keeps), the request
 * channel, live temporary grants and member sets. Each is `stable` and wrapped by policies as `(select helper(current_user))`.
 *
 * @example
 * emitHelpers(plan, (table) => ctx(table)); // the logins table, current_user_id, …, member_<set>, then their grants
 */
export function emitHelpers(plan: Plan, scopeContext: (table: string) => ScopeContext): Statement[] {
  const h = helperParts(plan);
  const helpers = [
    loginsTable(h),
    userIdHelper(h),
    unitIdHelper(h),
    unitTreeHelper(h),
    treeUsersHelper(h),
    channelHelper(h),
    ...grantedHelper(h),
    ...plan.memberSets.map((set) => memberSetHelper(h, set, scopeContext)),
  ];
  return [...emitUnitTree(plan), ...helpers, ...helperGrants(plan, helpers)];
}
