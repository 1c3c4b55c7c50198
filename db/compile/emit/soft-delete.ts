import type { AppDefinition } from "../../policy/define";
import type { SoftDeleteDefinition } from "../../policy/soft-delete";
import { SOFT_DELETED_RESTRICTION } from "../../policy/soft-delete";
import { doBlock, dollarQuoted, lineComment, literal, sql, toDdl, trusted } from "../../sql/ddl";
import { describeScope } from "../describe";
import { ACTING_ROLE, HELPERS, helperIdent, requestRoles, roleIdent, roleName, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { ScopeContext } from "../scope-sql";
import { renderScope } from "../scope-sql";
import { softDeleteMarkers, type SoftDeleteMarker } from "../soft-delete";
import type { Statement } from "../statement";

/** What soft delete (`defineApp({ softDeletes })`) installs, per table `<t>`. */
export const SOFT_DELETE = {
  /** BEFORE DELETE trigger on `<t>`: marks the row instead of removing it. */
  trigger: "gatehouse_soft_delete",
  /** Its function, in the toolkit schema: `soft_delete_<t>()`. */
  triggerFunction: (table: string) => `soft_delete_${table}`,
  /** In the toolkit schema (SECURITY INVOKER): `delete_<t>(row_id, reason)`, a delete with a reason, refused when nothing was marked. */
  deleteFunction: (table: string) => `delete_${table}`,
  /** In the app schema, so the API offers it to the roles that may restore: `restore_<t>(row_id)`. */
  restoreFunction: (table: string) => `restore_${table}`,
  /** In the toolkit schema, executable by the owner only: `purge_<t>(older_than interval)`. */
  purgeFunction: (table: string) => `purge_${table}`,
} as const;

/** Transaction-local settings: the reason of the next delete, how many rows deletes have marked, and the purge's switch. */
export const softDeleteSettings = (app: AppDefinition) => ({
  reason: `${app.toolkitSchema}.delete_reason`,
  marked: `${app.toolkitSchema}.soft_deleted`,
  purging: `${app.toolkitSchema}.purging`,
});

/** `a, b and c`. */
const words = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

/** Column names a soft delete adds when missing: role rules and restrictions may name them before they exist. */
export const softDeleteColumns = (app: AppDefinition): Set<string> =>
  new Set((app.softDeletes ?? []).flatMap((d) => softDeleteMarkers(app, d.table, "").map((m) => `${d.table}.${m.name}`)));

const MARKER_WORDS: Record<SoftDeleteMarker["what"], string> = {
  at: "when the row was deleted (soft delete: the row stays, hidden; only the owner's purge removes it)",
  by: "who deleted the row (a user id)",
  reason: "why the row was deleted",
};

/**
 * The marker columns of every soft-delete table: added when missing, commented when they have no comment. No
 * role may write them (plan.ts makes them read-only): only a delete sets them and only a restore clears them.
 */
export function emitSoftDeleteColumns(plan: Plan): Statement[] {
  const { app } = plan;
  return (app.softDeletes ?? []).map((d) => {
    const t = tableIdent(app, d.table);
    const markers = softDeleteMarkers(app, d.table, plan.types.userId);
    const comments = markers.map(
      (m) => sql`  if pg_catalog.col_description(${literal(toDdl(t))}::regclass, (select a.attnum from pg_catalog.pg_attribute a
       where a.attrelid = ${literal(toDdl(t))}::regclass and a.attname = ${literal(m.name)})) is null then
    comment on column ${t}.${sql.identifier(m.name)} is ${literal(`gatehouse: ${MARKER_WORDS[m.what]}`)};
  end if;`,
    );
    return {
      kind: "column" as const,
      target: d.table,
      sql: sql`${lineComment(`${d.table}: soft delete marks ${markers.map((m) => m.name).join(", ")}; each added when missing, written only by a delete and a restore`)}
alter table ${t}
  ${sql.join(
    markers.map((m) => sql`add column if not exists ${sql.identifier(m.name)} ${trusted(m.type)}`),
    ",\n  ",
  )};
${doBlock(sql`begin
${sql.join(comments, "\n")}
end`)}`,
    };
  });
}

/**
 * Soft delete (DESIGN.md invariant 7: no app role physically deletes, admin included). Per soft-delete table:
 *
 * - A BEFORE DELETE trigger (`gatehouse_soft_delete`, SECURITY DEFINER: it writes markers no role may write)
 *   on every delete that reached a row — so the deleter's own delete rule and privilege decided — sets the
 *   marker columns (now, the caller's user id, the reason in `<toolkit>.delete_reason`) and skips the physical
 *   delete. A row already marked keeps its first marks. It fires for every role, the owner too; only inside the
 *   owner's purge does a delete go through.
 * - `<toolkit>.delete_<t>(row_id, reason)`: SECURITY INVOKER, for the roles with a delete rule: the same delete
 *   with a reason, refused (42501) when it marked nothing. The API's delete mutations call it.
 * - `<schema>.restore_<t>(row_id)`: SECURITY DEFINER, executable by the restoring roles only. It re-checks that
 *   the caller acts in one of them as an active user holding it, then clears the markers of a marked row within
 *   that role's restore scope; every other column is left as it was. Refused (42501) otherwise.
 * - `<toolkit>.purge_<t>(older_than interval default <retention>)`: not executable by PUBLIC nor any app role;
 *   the owner runs it. It removes rows marked longer ago than `older_than`, first removing the rows of other
 *   tables that must reference them (or clearing optional references), and returns how many it removed.
 *   Idempotent. The audit trail records each removed row.
 */
export function emitSoftDeletes(plan: Plan, ctx: (table: string, command: ScopeContext["command"]) => ScopeContext): Statement[] {
  const { app } = plan;
  const settings = softDeleteSettings(app);
  const managed = sql.join([sql`public`, ...requestRoles(plan).map((r) => roleIdent(app, r))], ", ");
  const roles = (list: readonly string[]) =>
    sql.join(
      list.map((r) => roleIdent(app, r)),
      ", ",
    );
  const counter = sql`coalesce(nullif(pg_catalog.current_setting(${literal(settings.marked)}, true), '')::bigint, 0)`;
  const out: Statement[] = [];
  for (const d of app.softDeletes ?? []) {
    const table = plan.tables.find((x) => x.name === d.table);
    if (!table || table.primaryKey.length !== 1) continue;
    const t = tableIdent(app, d.table);
    const key = table.primaryKey[0]!;
    const k = sql.identifier(key);
    const keyType = trusted(table.keyType);
    const markers = softDeleteMarkers(app, d.table, plan.types.userId);
    const at = sql.identifier(d.column);
    const fn = (name: string) => helperIdent(app, name);
    const triggerFn = fn(SOFT_DELETE.triggerFunction(d.table));
    const deleteFn = fn(SOFT_DELETE.deleteFunction(d.table));
    const purgeFn = fn(SOFT_DELETE.purgeFunction(d.table));
    const restoreFn = sql.identifier(app.schema, SOFT_DELETE.restoreFunction(d.table));
    const restoreName = `${app.schema}.${SOFT_DELETE.restoreFunction(d.table)}`;
    const deleters = table.policies.filter((p) => p.command === "delete").map((p) => p.role);
    const restoring = plan.privileges.restorers[d.table]!;
    const marks = markers.map((m) => m.name).join(", ");

    // mark instead of delete
    const setMarks = markers.map((m) =>
      m.what === "at"
        ? sql`${at} = pg_catalog.now()`
        : m.what === "by"
          ? sql`${sql.identifier(m.name)} = ${fn(HELPERS.userId)}(actor)`
          : sql`${sql.identifier(m.name)} = nullif(pg_catalog.current_setting(${literal(settings.reason)}, true), '')`,
    );
    out.push(
      {
        kind: "function",
        fn: {
          name: SOFT_DELETE.triggerFunction(d.table),
          argTypes: [],
          securityDefiner: true,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`${d.table}: a delete by any role marks the row (${marks}) instead of removing it; only the owner's purge removes rows`)}
create or replace function ${triggerFn}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  actor name := ${ACTING_ROLE};
begin
  if pg_catalog.current_setting(${literal(settings.purging)}, true) = pg_catalog.pg_current_xact_id_if_assigned()::text
     and pg_catalog.has_function_privilege(actor, ${literal(`${toDdl(purgeFn)}(interval)`)}, 'execute') then
    return old;
  end if;
  update ${t} as t
     set ${sql.join(setMarks, ",\n         ")}
   where t.${k} = old.${k} and t.${at} is null;
  perform pg_catalog.set_config(${literal(settings.marked)}, (${counter} + 1)::text, true);
  raise notice using message = pg_catalog.format(${literal(`gatehouse: ${d.table} %s is marked deleted, not removed; ${restoreName}(%s) restores it`)}, old.${k}, old.${k});
  return null;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${SOFT_DELETE.triggerFunction(d.table)}`],
        sql: sql`revoke all on function ${triggerFn}() from ${managed};`,
      },
      {
        kind: "table",
        target: d.table,
        sql: sql`${lineComment(`${d.table}: soft delete for every role, the owner included; fires in replica mode too`)}
create or replace trigger ${sql.identifier(SOFT_DELETE.trigger)} before delete on ${t}
  for each row execute function ${triggerFn}();
alter table ${t} enable always trigger ${sql.identifier(SOFT_DELETE.trigger)};`,
      },
    );

    // delete with a reason
    out.push(
      {
        kind: "function",
        fn: {
          name: SOFT_DELETE.deleteFunction(d.table),
          argTypes: [toDdl(keyType), "text"],
          securityDefiner: false,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`${d.table}: deletes one row as the caller (their delete rule decides), recording why; refused when it marked nothing`)}
create or replace function ${deleteFn}(row_id ${keyType}, reason text default null) returns void
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`#variable_conflict use_variable
declare
  marked_before bigint := ${counter};
begin
  perform pg_catalog.set_config(${literal(settings.reason)}, coalesce(reason, ''), true);
  delete from ${t} as t where t.${k} = row_id;
  perform pg_catalog.set_config(${literal(settings.reason)}, '', true);
  if ${counter} = marked_before then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format(${literal(`gatehouse: no row of ${d.table} with ${key} %s that you may delete`)}, row_id);
  end if;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${SOFT_DELETE.deleteFunction(d.table)}`],
        sql: sql`revoke all on function ${deleteFn}(${keyType}, text) from ${managed};${
          deleters.length ? sql`\ngrant execute on function ${deleteFn}(${keyType}, text) to ${roles(deleters)};` : sql.blank
        }`,
      },
    );

    // restore
    const byScope = new Map<string, string[]>();
    for (const r of restoring) {
      const scopeWords = describeScope(r.scope);
      byScope.set(scopeWords, [...(byScope.get(scopeWords) ?? []), r.role]);
    }
    const groups = [...byScope.entries()].sort(([a], [b]) => Number(b === "every row") - Number(a === "every row"));
    const who = `only ${groups.map(([scope, list]) => `${words(list)} (${scope})`).join("; ")}`;
    const scoped = restoring.map(
      (r) =>
        sql`when ${literal(r.role)} then ${renderScope(r.scope, { ...ctx(d.table, "update"), row: "t", actor: sql.identifier("actor") })}`,
    );
    const clear = markers.map((m) => sql`${sql.identifier(m.name)} = null`);
    const prefix = literal(app.rolePrefix);
    out.push(
      {
        kind: "function",
        fn: {
          schema: app.schema,
          name: SOFT_DELETE.restoreFunction(d.table),
          argTypes: [toDdl(keyType)],
          securityDefiner: true,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`${d.table}: restores a soft-deleted row intact (clears ${marks}, nothing else); ${who} may`)}
create or replace function ${restoreFn}(row_id ${keyType}) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`#variable_conflict use_variable
declare
  actor name := ${ACTING_ROLE};
  acting text;
begin
  if session_user = ${literal(roleName(app, app.authenticator))} then
    if pg_catalog.left(actor, pg_catalog.length(${prefix})) = ${prefix} then
      acting := pg_catalog.substr(actor, pg_catalog.length(${prefix}) + 1);
    end if;
  else
    select l.role into acting from ${fn("logins")} l where l.login = session_user;
  end if;
  if acting is null or not (acting = any (array[${sql.join(
    restoring.map((r) => literal(r.role)),
    ", ",
  )}]::text[])) or ${fn(HELPERS.userId)}(actor) is null then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: your role may not restore ${d.table}: ${who} may`)};
  end if;
  update ${t} as t
     set ${sql.join(clear, ", ")}
   where t.${k} = row_id and t.${at} is not null
     and case acting
       ${sql.join(scoped, "\n       ")}
       else false
     end;
  if not found then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format(${literal(`gatehouse: no soft-deleted row of ${d.table} with ${key} %s that you may restore`)}, row_id);
  end if;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.schema}.${SOFT_DELETE.restoreFunction(d.table)}`],
        sql: sql`revoke all on function ${restoreFn}(${keyType}) from ${managed};
grant execute on function ${restoreFn}(${keyType}) to ${roles(restoring.map((r) => r.role))};`,
      },
    );

    // purge
    const children = table.referencedBy;
    const cascade = children.map((c) =>
      c.required
        ? sql`  delete from ${tableIdent(app, c.table)} as c where c.${sql.identifier(c.column)} = any (keys);`
        : sql`  update ${tableIdent(app, c.table)} as c set ${sql.identifier(c.column)} = null where c.${sql.identifier(c.column)} = any (keys);`,
    );
    const removed = children.filter((c) => c.required).map((c) => c.table);
    const cleared = children.filter((c) => !c.required).map((c) => `${c.table}.${c.column}`);
    const alongside = [
      ...(removed.length ? [`removes the ${words([...new Set(removed)])} rows that reference them`] : []),
      ...(cleared.length ? [`clears ${words(cleared)}`] : []),
    ];
    out.push(
      {
        kind: "function",
        fn: {
          name: SOFT_DELETE.purgeFunction(d.table),
          argTypes: ["interval"],
          securityDefiner: false,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`${d.table}: the owner's retention purge: removes rows marked deleted more than older_than ago (default ${d.retention})${alongside.length ? `, ${alongside.join(" and ")}` : ""}; returns how many ${d.table} rows it removed`)}
create or replace function ${purgeFn}(older_than interval default ${literal(d.retention)}) returns bigint
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`#variable_conflict use_variable
declare
  keys ${keyType}[];
  purged bigint;
begin
  if older_than is null or older_than < interval '0' then
    raise exception using errcode = 'invalid_parameter_value',
      message = ${literal(`gatehouse: ${SOFT_DELETE.purgeFunction(d.table)} needs a retention period of zero or more, e.g. '${d.retention}'`)};
  end if;
  select coalesce(pg_catalog.array_agg(t.${k} order by t.${k}), '{}') into keys
    from ${t} as t where t.${at} < pg_catalog.now() - older_than;
  perform pg_catalog.set_config(${literal(settings.purging)}, pg_catalog.pg_current_xact_id()::text, true);
${cascade.length ? sql`${sql.join(cascade, "\n")}\n` : sql.blank}  delete from ${t} as t where t.${k} = any (keys);
  get diagnostics purged = row_count;
  perform pg_catalog.set_config(${literal(settings.purging)}, '', true);
  return purged;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${SOFT_DELETE.purgeFunction(d.table)}`],
        sql: sql`${lineComment(`${d.table}: only the owner purges`)}
revoke all on function ${purgeFn}(interval) from ${managed};`,
      },
    );
  }
  return out;
}

/**
 * The access matrix's soft delete section: per soft-delete table, what a delete does, who still sees marked
 * rows, who may restore them and how, and the purge.
 *
 * @example
 * softDeleteMatrix(plan); // ["## Soft delete", "", "A delete never removes a row …", …]
 */
export function softDeleteMatrix(plan: Plan): string[] {
  const { app } = plan;
  const list = app.softDeletes ?? [];
  if (list.length === 0) return [];
  const lines = [
    "## Soft delete",
    "",
    "On these tables a delete, by any role (admin included), marks the row instead of removing it; the",
    `restriction **${SOFT_DELETED_RESTRICTION}** then hides it from every role not listed as still seeing it. Marker columns are`,
    "read-only for every role: only a delete sets them and only a restore clears them, leaving every other column as it was.",
    "",
  ];
  for (const d of list) lines.push(...tableLines(plan, d));
  return lines;
}

function tableLines(plan: Plan, d: SoftDeleteDefinition): string[] {
  const { app } = plan;
  const markers = softDeleteMarkers(app, d.table, plan.types.userId);
  const named = (what: SoftDeleteMarker["what"]) => markers.find((m) => m.what === what)?.name;
  const deleters =
    plan.tables
      .find((t) => t.name === d.table)
      ?.policies.filter((p) => p.command === "delete")
      .map((p) => p.role) ?? [];
  const restoring = plan.privileges.restorers[d.table]!.map((r) => `${r.role} (${describeScope(r.scope)})`);
  const visible = d.visibleTo.map(([r, s]) => (s.kind === "all" ? r.name : `${r.name} (${describeScope(s)})`));
  const by = named("by");
  const reason = named("reason");
  return [
    `- **${d.table}**: a delete sets ${d.column}${by ? `, ${by} (who)` : ""}${reason ? `, ${reason} (why)` : ""}. May delete: ${deleters.join(", ") || "no role"}; with a reason: \`${app.toolkitSchema}.${SOFT_DELETE.deleteFunction(d.table)}(row_id, reason)\`.`,
    `  Still sees marked rows: ${visible.join(", ") || "no role"}.`,
    `  Restores with \`${app.schema}.${SOFT_DELETE.restoreFunction(d.table)}(row_id)\`: ${restoring.join(", ")}.`,
    `  Purge: \`${app.toolkitSchema}.${SOFT_DELETE.purgeFunction(d.table)}(older_than interval default '${d.retention}')\`, the owner only.`,
    "",
  ];
}
