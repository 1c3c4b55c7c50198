import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { ACTING_ROLE, HELPERS, OFFBOARDING, helperIdent, roleIdent, roleName, tableIdent } from "../names";
import type { OwnerColumn } from "../holders";
import type { Plan, TablePlan } from "../plan";
import type { Statement } from "../statement";

/** The tables whose rows a user owns (`own(col)`), with a single-column key the preview can list rows by. */
const ownedTables = (plan: Plan): { table: TablePlan; owner: OwnerColumn; column: string; pool: boolean; key: string }[] =>
  plan.tables.flatMap((table) =>
    table.primaryKey.length === 1
      ? table.owners.map((o) => ({ table, owner: o, column: o.column, pool: o.pool, key: table.primaryKey[0]! }))
      : [],
  );

/**
 * Offboarding, as two operations in the app schema (so the API offers them to the roles in
 * `offboarding.by`, and nobody else may execute them):
 *
 * - `offboard_user(target, successor, reason)` (SECURITY DEFINER: it writes identity tables and other users'
 *   rows; it first checks that the caller acts in an offboarding role, is not the target, and that the
 *   successor works in the target's unit subtree or above it) freezes the user, hands every row they own to
 *   the successor — or to the public pool where the table has one — ends their live temporary grants and
 *   their memberships, and disables their role-bound logins, ending their sessions. One transaction;
 *   effective on the next statement, whatever tokens are still valid. The owner check and the audit triggers
 *   see every write.
 * - `offboarding_preview(target, successor)` (SECURITY INVOKER) lists who gains and who loses which of the
 *   moving rows, from the rules themselves: for every active user in each of their roles it asks the tables
 *   what that user sees (switching role and user id, as the API does), runs `offboard_user` in a
 *   subtransaction, asks again, and rolls the subtransaction back. It needs the authenticator's session (the
 *   API, or psql logged in as the authenticator), which may switch to any app role.
 *
 * Plus `offboarding_rows(target)` and `offboarding_users()` in the toolkit schema (SECURITY DEFINER, for the
 * preview: the target's rows and every active user's roles), executable by the offboarding roles only.
 */
export function emitOffboarding(plan: Plan): Statement[] {
  const { app } = plan;
  const offboarding = app.offboarding;
  if (!offboarding) return [];
  const { users, userRoles, units, grants } = app.identity;
  const c = (column: string) => sql.identifier(column);
  const t = (table: string) => tableIdent(app, table);
  const userId = trusted(plan.types.userId);
  const unitId = trusted(plan.types.unitId);
  const owned = ownedTables(plan);
  const byRoles = offboarding.by.map((r) => r.name);
  const actor = ACTING_ROLE;
  const offboard = sql.identifier(app.schema, OFFBOARDING.offboard);
  const preview = sql.identifier(app.schema, OFFBOARDING.preview);
  const rows = helperIdent(app, OFFBOARDING.rows);
  const everyone = helperIdent(app, OFFBOARDING.users);
  const allowedRoles = sql`array[${sql.join(
    byRoles.map((r) => literal(roleName(app, r))),
    ", ",
  )}]::name[]`;
  const refuseUnlessAllowed = (
    who: SQL,
  ) => sql`if not (${who} = any (${allowedRoles})) or ${helperIdent(app, HELPERS.userId)}(${who}) is null then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: only ${byRoles.join(", ")} may offboard or transfer users`)};
  end if;`;
  const tree = (root: SQL) => sql`with recursive tree(id) as (
      select ${root}
      union
      select child.${c(units.id)} from ${t(units.table)} child join tree on child.${c(units.parent)} = tree.id
    ) select pg_catalog.array_agg(tree.id) from tree`;
  const inTree = (unit: string, root: string) => sql`${trusted(unit)} = any ((${tree(trusted(root))})::${unitId}[])`;

  const moves = owned.map(
    ({ table, column, pool }) => sql`  if successor is null and not ${literal(pool)} then
    raise exception using errcode = 'invalid_parameter_value',
      message = ${literal(`gatehouse: ${table.name}.${column} has no public pool: name a successor`)};
  end if;
  update ${t(table.name)} set ${c(column)} = successor where ${c(column)} = target;
  get diagnostics n = row_count;
  summary := summary || pg_catalog.jsonb_build_object(${literal(`${table.name}.${column}`)}, n);`,
  );
  const endGrants = grants
    ? sql`  update ${t(grants.table)} set ${c(grants.expires)} = pg_catalog.clock_timestamp()
   where ${c(grants.grantee)} = target and ${c(grants.expires)} > pg_catalog.clock_timestamp();
  get diagnostics n = row_count;
  summary := summary || pg_catalog.jsonb_build_object('grants ended', n);`
    : sql.blank;
  // memberships kept in a table of their own end with the user; one read from the users table ends with the freeze
  const memberships = [
    ...new Map(
      plan.memberSets
        .filter((s) => s.membership.table !== users.table)
        .map((s) => [`${s.membership.table}.${s.membership.user}`, s.membership]),
    ).values(),
  ];
  const endMemberships = memberships.map(
    (m) => sql`  delete from ${t(m.table)} where ${c(m.user)} = target;
  get diagnostics n = row_count;
  summary := summary || pg_catalog.jsonb_build_object(${literal(`${m.table} ended`)}, n);`,
  );

  const out: Statement[] = [];

  out.push({
    kind: "function",
    fn: { name: OFFBOARDING.rows, argTypes: [plan.types.userId], securityDefiner: true, volatility: "stable", searchPath: true },
    sql: sql`${lineComment("offboarding preview: the rows a user owns, by table, as text keys")}
create or replace function ${rows}(target ${userId}) returns table (table_name text, row_key text)
  language sql stable security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(
      owned.length
        ? sql.join(
            owned.map(
              ({ table, column, key }) =>
                sql`select ${literal(table.name)}, t.${c(key)}::text from ${t(table.name)} t where t.${c(column)} = target`,
            ),
            "\nunion all\n",
          )
        : sql`select null::text, null::text where false`,
    )};`,
  });
  out.push({
    kind: "function",
    fn: { name: OFFBOARDING.users, argTypes: [], securityDefiner: true, volatility: "stable", searchPath: true },
    sql: sql`${lineComment("offboarding preview: every active user with each of their roles")}
create or replace function ${everyone}() returns table (user_id ${userId}, role text)
  language sql stable security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`select u.${c(users.id)}, r.${c(userRoles.role)}::text
  from ${t(users.table)} u join ${t(userRoles.table)} r on r.${c(userRoles.user)} = u.${c(users.id)}
 where u.${c(users.status)} = ${literal(users.activeStatus)}
   and r.${c(userRoles.role)} = any (array[${sql.join(
     plan.roles.map((r) => literal(r.name)),
     ", ",
   )}])
 order by 1, 2`)};`,
  });

  out.push({
    kind: "function",
    fn: {
      schema: app.schema,
      name: OFFBOARDING.offboard,
      argTypes: [plan.types.userId, plan.types.userId, "text"],
      securityDefiner: true,
      volatility: "volatile",
      searchPath: true,
    },
    sql: sql`${lineComment(`offboarding (from defineApp offboarding, by ${byRoles.join(", ")}): freeze a user, hand their rows on, end their grants, memberships and logins`)}
create or replace function ${offboard}(target ${userId}, successor ${userId} default null, reason text default null)
  returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  caller name := ${actor};
  summary jsonb := '{}';
  n bigint;
  target_unit ${unitId};
  successor_unit ${unitId};
  login_role name;
begin
  ${refuseUnlessAllowed(sql`caller`)}
  if target = ${helperIdent(app, HELPERS.userId)}(caller) then
    raise exception using errcode = 'insufficient_privilege', message = 'gatehouse: nobody offboards themselves';
  end if;
  if coalesce(pg_catalog.btrim(reason), '') = '' then
    raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: say why (reason)';
  end if;
  select u.${c(users.unit)} into target_unit from ${t(users.table)} u where u.${c(users.id)} = target;
  if not found then
    raise exception using errcode = 'invalid_parameter_value', message = pg_catalog.format('gatehouse: no user %s', target);
  end if;
  if successor is not null then
    if successor = target then
      raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: the successor must be someone else';
    end if;
    select u.${c(users.unit)} into successor_unit from ${t(users.table)} u where u.${c(users.id)} = successor;
    if not (${inTree("successor_unit", "target_unit")} or ${inTree("target_unit", "successor_unit")}) then
      raise exception using errcode = 'invalid_parameter_value',
        message = pg_catalog.format('gatehouse: successor %s works outside the unit subtree of user %s', successor, target);
    end if;
  end if;
  update ${t(users.table)} set ${c(users.status)} = ${literal(offboarding.frozenStatus)} where ${c(users.id)} = target;
${sql.join(moves, "\n")}
${endGrants}
${sql.join(endMemberships, "\n")}
  for login_role in select l.login from ${helperIdent(app, "logins")} l where l.user_id = target loop
    execute pg_catalog.format('alter role %I nologin', login_role);
    update ${helperIdent(app, "logins")} l set disabled_at = coalesce(l.disabled_at, pg_catalog.now()) where l.login = login_role;
    perform pg_catalog.pg_terminate_backend(a.pid) from pg_catalog.pg_stat_activity a where a.usename = login_role;
    summary := summary || pg_catalog.jsonb_build_object('login disabled', login_role);
  end loop;
  return summary;
end`)};`,
  });

  // a role that may not read a table's key cannot name the rows it sees there: it is left out for that table
  const previewTables = owned.map(
    ({
      table,
      key,
    }) => sql`      if pg_catalog.has_column_privilege(${literal(`${app.schema}.${table.name}`)}, ${literal(key)}, 'select') then
        seen := seen || array(
          select ${literal(table.name)} || ':' || t.${c(key)}::text from ${t(table.name)} t
           where t.${c(key)}::text = any (array(select m ->> 'key' from pg_catalog.jsonb_array_elements(moving) m where m ->> 'table' = ${literal(table.name)})));
      end if;`,
  );
  const look = (
    into: "before" | "after",
  ) => sql`    for pair in select p ->> 'user_id' as user_id, p ->> 'role' as role from pg_catalog.jsonb_array_elements(pairs) p loop
      perform pg_catalog.set_config('role', ${literal(app.rolePrefix)} || pair.role, true);
      perform pg_catalog.set_config('jwt.claims.user_id', pair.user_id, true);
      seen := '{}';
${sql.join(previewTables, "\n")}
      ${trusted(into)} := ${trusted(into)} || pg_catalog.jsonb_build_object(pair.user_id || ':' || pair.role, pg_catalog.to_jsonb(seen));
    end loop;
    perform pg_catalog.set_config('role', caller, true);
    perform pg_catalog.set_config('jwt.claims.user_id', caller_id, true);`;

  /** A preview: who gains and who loses which of the target's rows if `call` ran, asked of the rules as each user. */
  const previewFunction = (name: string, what: string, params: SQL, argTypes: string[], call: SQL): Statement => ({
    kind: "function",
    fn: {
      schema: app.schema,
      name,
      argTypes,
      securityDefiner: false,
      volatility: "volatile",
      searchPath: true,
    },
    sql: sql`${lineComment(`${what} preview: who gains and who loses which of the moving rows, asked of the rules as each user; changes nothing`)}
create or replace function ${sql.identifier(app.schema, name)}(${params})
  returns table (user_id ${userId}, role text, table_name text, row_key text, change text)
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  caller name := current_user;
  caller_id text := pg_catalog.current_setting('jwt.claims.user_id', true);
  moving jsonb;
  pairs jsonb;
  pair record;
  seen text[];
  before jsonb := '{}';
  after jsonb := '{}';
begin
  ${refuseUnlessAllowed(sql`caller`)}
  if session_user <> ${literal(roleName(app, app.authenticator))} then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: the ${what} preview asks the rules as each user, which only the authenticator's session may do: run it through the API, or in psql logged in as ${roleName(app, app.authenticator)}`)};
  end if;
  moving := coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('table', r.table_name, 'key', r.row_key)) from ${rows}(target) r), '[]');
  pairs := coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('user_id', u.user_id, 'role', u.role)) from ${everyone}() u), '[]');
  begin
${look("before")}
    perform ${call};
${look("after")}
    raise exception using errcode = 'GH001', message = 'preview done';
  exception when sqlstate 'GH001' then
    null;
  end;
  return query
    with b as (select k as who, x as row from pg_catalog.jsonb_each(before) e(k, v), pg_catalog.jsonb_array_elements_text(e.v) x),
         a as (select k as who, x as row from pg_catalog.jsonb_each(after) e(k, v), pg_catalog.jsonb_array_elements_text(e.v) x),
         changes as (
           select b.who, b.row, 'loses'::text as change from b where not exists (select 1 from a where a.who = b.who and a.row = b.row)
           union all
           select a.who, a.row, 'gains' from a where not exists (select 1 from b where b.who = a.who and b.row = a.row)
         )
    select pg_catalog.split_part(ch.who, ':', 1)::${userId}, pg_catalog.split_part(ch.who, ':', 2),
           pg_catalog.split_part(ch.row, ':', 1), pg_catalog.split_part(ch.row, ':', 2), ch.change
      from changes ch
     order by 1, 2, 3, 4;
end`)};`,
  });
  out.push(
    previewFunction(
      OFFBOARDING.preview,
      "offboarding",
      sql`target ${userId}, successor ${userId} default null`,
      [plan.types.userId, plan.types.userId],
      sql`${offboard}(target, successor, 'preview')`,
    ),
  );

  // transfer: rows the user may no longer hold — their new roles do not own rows there, or the row's unit is
  // outside their new unit subtree — go to the successor or the pool
  const appRoles = sql`array[${sql.join(
    plan.roles.map((r) => literal(r.name)),
    ", ",
  )}]`;
  const notHeld = ({ table, owner }: (typeof owned)[number]) => {
    const roles = sql`array[${sql.join(
      owner.roles.map((r) => literal(r)),
      ", ",
    )}]`;
    const ownsHere = sql`exists (select 1 from ${t(userRoles.table)} r where r.${c(userRoles.user)} = target and r.${c(userRoles.role)} = any (${roles}))`;
    const inUnit = owner.unit
      ? sql` and ${t(table.name)}.${c(owner.unit)} = any ((${tree(sql`(select u.${c(users.unit)} from ${t(users.table)} u where u.${c(users.id)} = target)`)})::${unitId}[])`
      : sql.blank;
    return sql`${t(table.name)}.${c(owner.column)} = target and not (${ownsHere}${inUnit})`;
  };
  const transferMoves = owned.map(
    (
      o,
    ) => sql`  if successor is null and not ${literal(o.pool)} and exists (select 1 from ${t(o.table.name)} where ${notHeld(o)}) then
    raise exception using errcode = 'invalid_parameter_value',
      message = ${literal(`gatehouse: ${o.table.name}.${o.column} has no public pool: name a successor`)};
  end if;
  update ${t(o.table.name)} set ${c(o.column)} = successor where ${notHeld(o)};
  get diagnostics n = row_count;
  summary := summary || pg_catalog.jsonb_build_object(${literal(`${o.table.name}.${o.column}`)}, n);`,
  );
  const transfer = sql.identifier(app.schema, OFFBOARDING.transfer);
  out.push({
    kind: "function",
    fn: {
      schema: app.schema,
      name: OFFBOARDING.transfer,
      argTypes: [plan.types.userId, plan.types.unitId, "text", plan.types.userId, "text"],
      securityDefiner: true,
      volatility: "volatile",
      searchPath: true,
    },
    sql: sql`${lineComment(`transfer (from defineApp offboarding, by ${byRoles.join(", ")}): move a user to another unit or role; rows they may no longer hold go to a successor or the pool`)}
create or replace function ${transfer}(target ${userId}, new_unit ${unitId} default null, new_role text default null, successor ${userId} default null, reason text default null)
  returns jsonb
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  caller name := ${actor};
  summary jsonb := '{}';
  n bigint;
  target_unit ${unitId};
  successor_unit ${unitId};
begin
  ${refuseUnlessAllowed(sql`caller`)}
  if target = ${helperIdent(app, HELPERS.userId)}(caller) then
    raise exception using errcode = 'insufficient_privilege', message = 'gatehouse: nobody transfers themselves';
  end if;
  if coalesce(pg_catalog.btrim(reason), '') = '' then
    raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: say why (reason)';
  end if;
  if new_unit is null and new_role is null then
    raise exception using errcode = 'invalid_parameter_value', message = 'gatehouse: say what changes: new_unit, new_role or both';
  end if;
  if new_role is not null and not (new_role = any (${appRoles})) then
    raise exception using errcode = 'invalid_parameter_value', message = pg_catalog.format('gatehouse: no app role %s', new_role);
  end if;
  if new_unit is not null and not exists (select 1 from ${t(units.table)} x where x.${c(units.id)} = new_unit) then
    raise exception using errcode = 'invalid_parameter_value', message = pg_catalog.format('gatehouse: no unit %s', new_unit);
  end if;
  select u.${c(users.unit)} into target_unit from ${t(users.table)} u
   where u.${c(users.id)} = target and u.${c(users.status)} = ${literal(users.activeStatus)};
  if not found then
    raise exception using errcode = 'invalid_parameter_value', message = pg_catalog.format('gatehouse: no active user %s', target);
  end if;
  if successor is not null then
    select u.${c(users.unit)} into successor_unit from ${t(users.table)} u where u.${c(users.id)} = successor;
    if successor = target or not (${inTree("successor_unit", "target_unit")} or ${inTree("target_unit", "successor_unit")}) then
      raise exception using errcode = 'invalid_parameter_value',
        message = pg_catalog.format('gatehouse: successor %s works outside the unit subtree of user %s', successor, target);
    end if;
  end if;
  update ${t(users.table)} set ${c(users.unit)} = coalesce(new_unit, ${c(users.unit)}) where ${c(users.id)} = target;
  if new_role is not null then
    delete from ${t(userRoles.table)} where ${c(userRoles.user)} = target;
    insert into ${t(userRoles.table)} (${c(userRoles.user)}, ${c(userRoles.role)}) values (target, new_role);
  end if;
${sql.join(transferMoves, "\n")}
  return summary;
end`)};`,
  });
  out.push(
    previewFunction(
      OFFBOARDING.transferPreview,
      "transfer",
      sql`target ${userId}, new_unit ${unitId} default null, new_role text default null, successor ${userId} default null`,
      [plan.types.userId, plan.types.unitId, "text", plan.types.userId],
      sql`${transfer}(target, new_unit, new_role, successor, 'preview')`,
    ),
  );
  const transferPreview = sql.identifier(app.schema, OFFBOARDING.transferPreview);

  const callers = byRoles.map((r) => roleIdent(app, r));
  out.push({
    kind: "grant",
    revokes: [
      `${app.toolkitSchema}.${OFFBOARDING.rows}`,
      `${app.toolkitSchema}.${OFFBOARDING.users}`,
      ...[OFFBOARDING.offboard, OFFBOARDING.preview, OFFBOARDING.transfer, OFFBOARDING.transferPreview].map(
        (name) => `${app.schema}.${name}`,
      ),
    ],
    sql: sql`revoke all on function ${rows}(${userId}) from public;
revoke all on function ${everyone}() from public;
revoke all on function ${offboard}(${userId}, ${userId}, text) from public;
revoke all on function ${preview}(${userId}, ${userId}) from public;
revoke all on function ${transfer}(${userId}, ${unitId}, text, ${userId}, text) from public;
revoke all on function ${transferPreview}(${userId}, ${unitId}, text, ${userId}) from public;
grant execute on function ${rows}(${userId}), ${everyone}(), ${offboard}(${userId}, ${userId}, text), ${preview}(${userId}, ${userId}),
  ${transfer}(${userId}, ${unitId}, text, ${userId}, text), ${transferPreview}(${userId}, ${unitId}, text, ${userId}) to ${sql.join(callers, ", ")};`,
  });
  return out;
}
