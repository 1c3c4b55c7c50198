import type { AppDefinition } from "../../policy/define";
import { parseDuration } from "../../policy/grants";
import { dollarQuoted, lineComment, literal, sql, toDdl, trusted, type SQL } from "../../sql/ddl";
import {
  ACTING_ROLE,
  HELPERS,
  borrowedAccessSetting,
  helperIdent,
  requestRoles,
  roleIdent,
  roleName,
  tableIdent,
} from "../names";
import { columnTypeIn, type Plan } from "../plan";
import { onceWithRole } from "../scope-sql";
import type { Statement } from "../statement";
import { TEMPORARY_GRANTS } from "../temporary-grants";
import { parallelMarking } from "./helpers";

/** `a, b and c`. */
const words = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

const raise = (code: "insufficient_privilege" | "invalid_parameter_value", message: SQL) =>
  sql`raise exception using errcode = ${literal(code)}, message = ${message};`;
const text = (message: string) => literal(`gatehouse: ${message}`);

/** A rule on whom a grant may go to: the condition on the grantee, and the refusal when it does not hold. */
interface GranteeRule {
  readonly holds: SQL;
  readonly refusal: SQL;
}

/**
 * Whom a grant may go to, the one place these rules are written: `grantee` is not `me`, is a user of the unit
 * subtree of the user acting as `actor` unless `anywhere` (the acting role may grant anywhere), and is active. The
 * trigger refuses a grant where one does not hold (in this order); `grantable_users()` lists the users for whom all
 * hold, so the list is exactly whom the trigger accepts.
 *
 * @example
 * granteeRules(plan, { actor: sql`current_user`, me: sql`me`, anywhere: sql`anywhere`, grantee: sql`new.grantee_id` });
 * // [{ holds: new.grantee_id is distinct from me, refusal: raise … }, …]
 */
function granteeRules(plan: Plan, who: { actor: SQL; me: SQL; anywhere: SQL; grantee: SQL }): GranteeRule[] {
  const { app } = plan;
  const { actor, me, anywhere, grantee } = who;
  return [
    {
      holds: sql`${grantee} is distinct from ${me}`,
      refusal: raise("invalid_parameter_value", text("you cannot grant access to yourself")),
    },
    {
      holds: sql`${anywhere} or ${grantee} = any ((select ${helperIdent(app, HELPERS.treeUsers)}(${actor}))::${trusted(plan.types.userId)}[])`,
      refusal: raise(
        "insufficient_privilege",
        sql`pg_catalog.format(${text("user %s is not in your unit or its sub-units: you may grant only to them")}, ${grantee})`,
      ),
    },
    {
      holds: sql`${helperIdent(app, TEMPORARY_GRANTS.activeUser)}(${actor}, ${grantee})`,
      refusal: raise(
        "insufficient_privilege",
        sql`pg_catalog.format(${text("user %s is not an active user: only active users may hold a grant")}, ${grantee})`,
      ),
    },
  ];
}

/**
 * Temporary grants as an operation (DESIGN.md invariants 5, 6 and 9). Everything runs with the caller's own
 * rights, so no SECURITY DEFINER function ever has to decide what the caller may see:
 *
 * - `<schema>.grant_access(table_name, row_id, grantee_id, privilege, expires_at, reason)` and
 *   `<schema>.revoke_access(grant_id)`: SECURITY INVOKER, executable by the granting roles only. They insert
 *   into (or end) a row of the grants table, as the caller.
 * - The granting roles hold insert (grantee, table, row, privilege, expiry, reason), select and update (expiry
 *   only) on the grants table (`withGrantOperations` adds them to the plan's column grants), under permissive
 *   policies `grants__<role>__<command>`: they see and may end the grants they made and those of users in units
 *   strictly below their own (every grant, for `anywhere` roles).
 * - A SECURITY INVOKER trigger on the grants table checks every rule on every insert, however it is made (the
 *   function, the API, psql): a granting role; a listed table and privilege; a reason; an expiry in the future
 *   and within `maxDuration`; an active grantee other than the caller, in the caller's unit subtree unless
 *   `anywhere`; the privilege on the table; and the row itself, read *as the caller* with borrowed access
 *   switched off (a grant you hold cannot be passed on) — `for key share` for an update grant, which applies
 *   the caller's update policies. It records the caller as the grantor. An update may only end a live grant,
 *   and ends it now (never backdated).
 *   Writes by the owner (migrations, seeds, definer operations) pass.
 * - `<schema>.grantable_users()`: SECURITY DEFINER, stable (a query in the API), granting roles only: the id and
 *   username of every user the trigger would accept as the grantee now, by the same rules ({@link granteeRules}).
 * - Two SECURITY DEFINER helpers (fixed search_path, granting roles only): the users below the caller's unit,
 *   and whether a user is active; both null without a known caller.
 *
 * @example
 * emitStatements(plan); // …, ...emitTemporaryGrants(plan) — nothing unless defineApp({ grants })
 */
export function emitTemporaryGrants(plan: Plan): Statement[] {
  const { app } = plan;
  const grants = app.grants;
  const store = app.identity.grants;
  if (!grants || !store || !store.grantedBy || !store.reason) return [];
  const c = (column: string) => sql.identifier(column);
  const t = tableIdent(app, store.table);
  const columnType = (table: string, column: string) => columnTypeIn(plan, table, column);
  const userId = trusted(plan.types.userId);
  const grantTable = plan.tables.find((x) => x.name === store.table)!;
  const grantKey = grantTable.primaryKey[0]!;
  const roles = plan.privileges.granting;
  const by = roles.filter((r) => !r.anywhere).map((r) => r.role);
  const anywhere = roles.filter((r) => r.anywhere).map((r) => r.role);
  const duration = parseDuration(grants.maxDuration);
  if (typeof duration === "string") throw new Error(`grants.maxDuration ${duration}`);
  const privileges = grants.privileges ?? ["select", "update"];
  const setting = literal(borrowedAccessSetting(app));
  const me = onceWithRole(app, HELPERS.userId);
  const grantee = roleList(
    app,
    roles.map((r) => r.role),
  );
  const managed = sql.join([sql`public`, ...requestRoles(plan).map((r) => roleIdent(app, r))], ", ");
  const hasRole = (list: readonly string[], actor: SQL) =>
    list.length === 0
      ? sql`false`
      : sql.join(
          list.map((r) => sql`pg_catalog.pg_has_role(${actor}, ${literal(roleName(app, r))}, 'usage')`),
          " or ",
        );
  const out: Statement[] = [];

  // helpers
  const helper = (name: string, args: SQL, returns: SQL, body: SQL, why: string, argTypes: string[]): Statement[] => [
    {
      kind: "function",
      fn: { name, argTypes, securityDefiner: true, volatility: "stable", searchPath: true },
      sql: sql`${lineComment(why)}
create or replace function ${helperIdent(app, name)}(${args}) returns ${returns}
  language plpgsql stable security definer${parallelMarking(plan)}
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(body)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${name}`],
      sql: sql`revoke all on function ${helperIdent(app, name)}(${trusted(argTypes.join(", "))}) from ${managed};
grant execute on function ${helperIdent(app, name)}(${trusted(argTypes.join(", "))}) to ${grantee};`,
    },
  ];
  const { users } = app.identity;
  out.push(
    ...helper(
      TEMPORARY_GRANTS.subunitUsers,
      sql`acting_role name`,
      sql`${userId}[]`,
      sql`declare
  result ${userId}[];
begin
  select coalesce(pg_catalog.array_agg(u.${c(users.id)}), '{}') into result
    from ${tableIdent(app, users.table)} u
   where u.${c(users.unit)} = any (${helperIdent(app, HELPERS.unitTree)}(acting_role))
     and u.${c(users.unit)} is distinct from ${helperIdent(app, HELPERS.unitId)}(acting_role);
  return result;
end`,
      "temporary grants: users of the units strictly below the unit of the user asking (whose grants they may revoke)",
      ["name"],
    ),
    ...helper(
      TEMPORARY_GRANTS.activeUser,
      sql`acting_role name, target ${userId}`,
      sql`boolean`,
      sql`begin
  if ${helperIdent(app, HELPERS.userId)}(acting_role) is null then
    return null;
  end if;
  return exists (select 1 from ${tableIdent(app, users.table)} u
                  where u.${c(users.id)} = target and u.${c(users.status)} = ${literal(users.activeStatus)});
end`,
      "temporary grants: whether a user is active (null unless the user asking is known)",
      ["name", plan.types.userId],
    ),
  );

  // the trigger: every rule, on every insert and update of the grants table by an app request
  const others = grantTable.columns.filter((x) => x !== store.expires);
  const tableBranches = grants.tables.map((name) => {
    const key = plan.tables.find((x) => x.name === name)?.primaryKey[0] ?? "id";
    const target = tableIdent(app, name);
    return sql`if new.${c(store.tableName)} = ${literal(name)} then
    if not pg_catalog.has_any_column_privilege(current_user, ${literal(toDdl(target))}, new.${c(store.privilege)}) then
      ${raise("insufficient_privilege", sql`pg_catalog.format(${text(`you may not %s ${name} yourself, so you cannot grant it`)}, new.${c(store.privilege)})`)}
    end if;
    perform pg_catalog.set_config(${setting}, 'off', true);
    if new.${c(store.privilege)} = 'update' then
      perform 1 from ${target} t where t.${c(key)} = new.${c(store.row)} for key share of t;
    else
      perform 1 from ${target} t where t.${c(key)} = new.${c(store.row)};
    end if;
    reached := found;
    perform pg_catalog.set_config(${setting}, coalesce(borrowed, ''), true);
  end if;`;
  });
  const check = helperIdent(app, TEMPORARY_GRANTS.check);
  const listed = (values: readonly string[]) =>
    sql`array[${sql.join(
      values.map((v) => literal(v)),
      ", ",
    )}]::text[]`;
  const who = [
    by.length ? `${words(by)} (to users of their unit and its sub-units)` : "",
    anywhere.length ? `${words(anywhere)} (to any user)` : "",
  ]
    .filter(Boolean)
    .join("; ");
  out.push(
    {
      kind: "function",
      fn: { name: TEMPORARY_GRANTS.check, argTypes: [], securityDefiner: false, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment(`temporary grants: a new grant must meet every rule of grants in defineApp, checked with the rights of whoever makes it; an update may only end a grant now`)}
create or replace function ${check}() returns trigger
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  me ${userId} := ${helperIdent(app, HELPERS.userId)}(current_user);
  anywhere boolean;
  borrowed text := pg_catalog.current_setting(${setting}, true);
  reached boolean := false;
begin
  if me is null then
    return new;
  end if;
  if tg_op = 'UPDATE' then
    if row(${sql.join(
      others.map((x) => sql`new.${c(x)}`),
      ", ",
    )}) is distinct from row(${sql.join(
      others.map((x) => sql`old.${c(x)}`),
      ", ",
    )})
       or new.${c(store.expires)} > pg_catalog.clock_timestamp() then
      ${raise("insufficient_privilege", text(`a temporary grant cannot be changed or extended, only ended now: call ${app.schema}.${TEMPORARY_GRANTS.revoke}(id), then grant again`))}
    end if;
    if old.${c(store.expires)} <= pg_catalog.clock_timestamp() then
      ${raise("invalid_parameter_value", sql`pg_catalog.format(${text("grant %s has already ended")}, old.${c(grantKey)})`)}
    end if;
    -- ended now, never backdated: the grant's history stays as it happened
    new.${c(store.expires)} := pg_catalog.clock_timestamp();
    return new;
  end if;
  anywhere := ${hasRole(anywhere, sql`current_user`)};
  if not anywhere and not (${hasRole(by, sql`current_user`)}) then
    ${raise("insufficient_privilege", text(`your role may not grant access to rows: only ${who} may`))}
  end if;
  if new.${c(store.tableName)} is null or not (new.${c(store.tableName)} = any (${listed(grants.tables)})) then
    ${raise("invalid_parameter_value", sql`pg_catalog.format(${text(`temporary grants are for rows of ${words(grants.tables)} only, not of %L`)}, new.${c(store.tableName)})`)}
  end if;
  if new.${c(store.privilege)} is null or not (new.${c(store.privilege)} = any (${listed(privileges)})) then
    ${raise("invalid_parameter_value", sql`pg_catalog.format(${text(`a temporary grant gives ${privileges.join(" or ")}, not %L`)}, new.${c(store.privilege)})`)}
  end if;
  if new.${c(store.row)} is null then
    ${raise("invalid_parameter_value", text("a temporary grant needs the row it opens"))}
  end if;
  if new.${c(store.reason)} is null or pg_catalog.btrim(new.${c(store.reason)}) = '' then
    ${raise("invalid_parameter_value", text("a temporary grant needs a reason"))}
  end if;
  if new.${c(store.expires)} is null or new.${c(store.expires)} <= pg_catalog.clock_timestamp() then
    ${raise("invalid_parameter_value", text("a temporary grant must end in the future (expires_at)"))}
  end if;
  if new.${c(store.expires)} > pg_catalog.clock_timestamp() + interval ${literal(duration.interval)} then
    ${raise("invalid_parameter_value", text(`a temporary grant may last at most ${duration.interval} from now: choose an earlier expires_at`))}
  end if;
  ${sql.join(
    granteeRules(plan, {
      actor: sql`current_user`,
      me: sql`me`,
      anywhere: sql`anywhere`,
      grantee: sql`new.${c(store.grantee)}`,
    }).map(
      (rule) => sql`if (${rule.holds}) is not true then
    ${rule.refusal}
  end if;`,
    ),
    "\n  ",
  )}
  ${sql.join(tableBranches, "\n  ")}
  if not reached then
    ${raise(
      "insufficient_privilege",
      sql`pg_catalog.format(${text("you cannot %s row %s of %s yourself (access through a grant or a membership does not count), so you cannot grant it")}, case new.${c(store.privilege)} when 'update' then 'edit' else 'see' end, new.${c(store.row)}, new.${c(store.tableName)})`,
    )}
  end if;
  new.${c(store.grantedBy)} := me;
  return new;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${TEMPORARY_GRANTS.check}`],
      sql: sql`revoke all on function ${check}() from public;`,
    },
    {
      kind: "table",
      target: store.table,
      sql: sql`create or replace trigger ${sql.identifier(TEMPORARY_GRANTS.trigger)} before insert or update on ${t}
  for each row execute function ${check}();`,
    },
  );

  // row security on the grants table for the granting roles (their column privileges are in the plan)
  const guarded = (scope: SQL) => sql`${me} is not null\n    and ${scope}`;
  const mine = sql`${sql.identifier(store.table, store.grantedBy)} = ${me}`;
  const below = sql`${sql.identifier(store.table, store.grantedBy)} = any (${onceWithRole(app, TEMPORARY_GRANTS.subunitUsers)}::${userId}[])`;
  for (const { role, anywhere: everywhere } of roles) {
    const reach = everywhere ? sql`true` : sql`(${mine}\n      or ${below})`;
    const reachWords = everywhere ? "every grant" : "grants they made, or that users of units below their own made";
    const policyName = (command: string) => `${TEMPORARY_GRANTS.policyPrefix}${role}__${command}`;
    const name = (command: string) => sql.identifier(policyName(command));
    out.push({
      kind: "policy",
      target: store.table,
      policies: ["select", "insert", "update"].map(policyName),
      sql: sql`${lineComment(`${role} may see and end ${reachWords}, and make grants recorded as their own (from grants in defineApp)`)}
create policy ${name("select")} on ${t}
  as permissive for select to ${roleIdent(app, role)}
  using (
    ${guarded(reach)}
  );
create policy ${name("insert")} on ${t}
  as permissive for insert to ${roleIdent(app, role)}
  with check (
    ${guarded(mine)}
  );
create policy ${name("update")} on ${t}
  as permissive for update to ${roleIdent(app, role)}
  using (
    ${guarded(reach)}
  );`,
    });
  }
  // the operations, in the app schema
  const grantFn = sql.identifier(app.schema, TEMPORARY_GRANTS.grant);
  const revokeFn = sql.identifier(app.schema, TEMPORARY_GRANTS.revoke);
  const granteesFn = sql.identifier(app.schema, TEMPORARY_GRANTS.grantees);
  const grantArgs: [string, string][] = [
    ["table_name", columnType(store.table, store.tableName)],
    ["row_id", plan.types.grantRow],
    ["grantee_id", plan.types.userId],
    ["privilege", columnType(store.table, store.privilege)],
    ["expires_at", columnType(store.table, store.expires)],
    ["reason", columnType(store.table, store.reason)],
  ];
  const signature = (args: readonly [string, string][]) => trusted(args.map(([, type]) => type).join(", "));
  const declare = (args: readonly [string, string][]) => trusted(args.map(([n, type]) => `${n} ${type}`).join(", "));
  const revokeArgs: [string, string][] = [["grant_id", columnType(store.table, grantKey)]];
  out.push(
    {
      kind: "function",
      fn: {
        schema: app.schema,
        name: TEMPORARY_GRANTS.grant,
        argTypes: grantArgs.map(([, type]) => type),
        securityDefiner: false,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment(`temporary grants: open one row of ${words(grants.tables)} to one user for ${privileges.join(" or ")} until expires_at (at most ${duration.interval}), with a reason; runs with the caller's rights`)}
create or replace function ${grantFn}(${declare(grantArgs)}) returns ${t}
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  made ${t};
begin
  insert into ${t} (${sql.join([store.tableName, store.row, store.grantee, store.privilege, store.expires, store.reason].map(c), ", ")})
    values ($1, $2, $3, $4, $5, $6)
    returning * into made;
  return made;
end`)};`,
    },
    {
      kind: "function",
      fn: {
        schema: app.schema,
        name: TEMPORARY_GRANTS.revoke,
        argTypes: revokeArgs.map(([, type]) => type),
        securityDefiner: false,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment(`temporary grants: end a live grant now, as its grantor, a granting role above the grantor, or ${words(anywhere) || "no one else"}; runs with the caller's rights`)}
create or replace function ${revokeFn}(${declare(revokeArgs)}) returns ${t}
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  ended ${t};
begin
  update ${t} g set ${c(store.expires)} = pg_catalog.clock_timestamp()
   where g.${c(grantKey)} = $1 and g.${c(store.expires)} > pg_catalog.clock_timestamp()
   returning g.* into ended;
  if found then
    return ended;
  end if;
  perform 1 from ${t} g where g.${c(grantKey)} = $1;
  if found then
    ${raise("invalid_parameter_value", sql`pg_catalog.format(${text("grant %s has already ended")}, $1)`)}
  end if;
  ${raise(
    "insufficient_privilege",
    sql`pg_catalog.format(${text(`you may not revoke grant %s: only its grantor, a granting role above the grantor in the unit tree${anywhere.length ? `, or ${words(anywhere)}` : ""} may`)}, $1)`,
  )}
end`)};`,
    },
    granteesListing(plan, { by, anywhere, hasRole }),
    {
      kind: "grant",
      revokes: [TEMPORARY_GRANTS.grant, TEMPORARY_GRANTS.revoke, TEMPORARY_GRANTS.grantees].map(
        (name) => `${app.schema}.${name}`,
      ),
      sql: sql`${lineComment(`temporary grants: only ${words(roles.map((r) => r.role))} may call the operations`)}
revoke all on function ${grantFn}(${signature(grantArgs)}) from ${managed};
revoke all on function ${revokeFn}(${signature(revokeArgs)}) from ${managed};
revoke all on function ${granteesFn}() from ${managed};
grant execute on function ${grantFn}(${signature(grantArgs)}) to ${grantee};
grant execute on function ${revokeFn}(${signature(revokeArgs)}) to ${grantee};
grant execute on function ${granteesFn}() to ${grantee};`,
    },
  );
  return out;
}

/**
 * `<schema>.grantable_users()`: the id and username of every user the caller may grant to right now, in username
 * order — the users for whom every {@link granteeRules} rule holds, rendered from the same place as the trigger's
 * checks, for the caller's acting role (a request's role, or a role-bound login). SECURITY DEFINER, because the
 * granting roles need not read the users table; it returns nothing else of a user, and nothing at all to an unknown,
 * inactive or role-less caller, or to a role that may not grant. Stable, so the API offers it as a query.
 *
 * @example
 * granteesListing(plan, { by: ["chief"], anywhere: ["medical_director"], hasRole }); // create or replace function clinic.grantable_users() …
 */
function granteesListing(
  plan: Plan,
  roles: { by: readonly string[]; anywhere: readonly string[]; hasRole: (list: readonly string[], actor: SQL) => SQL },
): Statement {
  const { app } = plan;
  const { users } = app.identity;
  if (!users.username)
    throw new Error(
      `grants: identity.users has no username: name the column holding each user's unique name, so ${app.schema}.${TEMPORARY_GRANTS.grantees}() can list whom a caller may grant to`,
    );
  const c = (column: string) => sql.identifier(column);
  const userId = trusted(plan.types.userId);
  const actor = sql`actor`;
  const rules = granteeRules(plan, { actor, me: sql`me`, anywhere: sql`anywhere`, grantee: sql`u.${c(users.id)}` });
  return {
    kind: "function",
    fn: {
      schema: app.schema,
      name: TEMPORARY_GRANTS.grantees,
      argTypes: [],
      securityDefiner: true,
      volatility: "stable",
      searchPath: true,
    },
    sql: sql`${lineComment(`temporary grants: the id and username of each user ${app.schema}.${TEMPORARY_GRANTS.grant} would accept as the grantee now, by the same rules; nothing for a caller who may not grant`)}
create or replace function ${sql.identifier(app.schema, TEMPORARY_GRANTS.grantees)}()
  returns table (id ${userId}, username ${trusted(columnTypeIn(plan, users.table, users.username))})
  language plpgsql stable security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`#variable_conflict use_variable
declare
  actor name := ${ACTING_ROLE};
  me ${userId} := ${helperIdent(app, HELPERS.userId)}(actor);
  anywhere boolean := ${roles.hasRole(roles.anywhere, actor)};
begin
  if me is null or not (anywhere or ${roles.hasRole(roles.by, actor)}) then
    return;
  end if;
  return query
    select u.${c(users.id)}, u.${c(users.username)}
      from ${tableIdent(app, users.table)} u
     where ${sql.join(
       rules.map((rule) => sql`(${rule.holds})`),
       "\n       and ",
     )}
     order by u.${c(users.username)}, u.${c(users.id)};
end`)};`,
  };
}

const roleList = (app: AppDefinition, roles: readonly string[]): SQL =>
  sql.join(
    roles.map((r) => roleIdent(app, r)),
    ", ",
  );
