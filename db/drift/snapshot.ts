import type { ClientBase } from "pg";
import type { DriftKind } from "./check";
import { NOT_GENERATED } from "./twins";
import { GENERATED_ROLE, generatedRole, scopeValues, type DriftScope } from "./scope";

/**
 * One object the check compares field by field: a role, a grant, a view, a function, a trigger, a table's row
 * security, a masked twin. `object` names it (unique within its kind); `what` is its noun in messages.
 */
export interface Entity {
  readonly kind: DriftKind;
  readonly object: string;
  readonly what: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** One policy as PostgreSQL deparses it; compared as a multiset, not by name. */
export interface PolicyRow {
  readonly table: string;
  readonly name: string;
  readonly permissive: string;
  readonly roles: readonly string[];
  readonly command: string;
  readonly using: string | null;
  readonly check: string | null;
}

/** What the check reads from the catalog, once as the database is and once as the definitions make it. */
export interface Snapshot {
  readonly policies: readonly PolicyRow[];
  readonly entities: readonly Entity[];
}

/** The attributes no generated role may have; the generation does not reset them, so they are checked by rule. */
const FORBIDDEN_ATTRIBUTES = ["superuser", "createrole", "createdb", "replication"] as const;

/**
 * Reads the snapshot: policies on the app and toolkit tables; generated roles' attributes; privileges of PUBLIC
 * and generated roles on every relation, column, schema and function of the managed schemas; views; row security;
 * functions; triggers; masked twins. Sorted, so two snapshots compare line by line.
 *
 * @example
 * const actual = await readSnapshot(client, scope, logins, "actual");
 */
export async function readSnapshot(
  client: ClientBase,
  scope: DriftScope,
  logins: readonly string[],
  side: "actual" | "expected",
): Promise<Snapshot> {
  const entities: Entity[] = [];
  for (const part of [relationGrants, schemaGrants, functions, views, rowSecurity, triggers, twins])
    entities.push(...(await part(client, scope)));
  entities.push(...(await roles(client, scope, logins, side)));
  return { policies: await policies(client, scope), entities };
}

async function policies(client: ClientBase, scope: DriftScope): Promise<PolicyRow[]> {
  const { rows } = await client.query<PolicyRow>(
    `select p.schemaname || '.' || p.tablename as table, p.policyname as name, pg_catalog.lower(p.permissive) as permissive,
            array(select x from pg_catalog.unnest(p.roles) x order by 1)::text[] as roles, pg_catalog.lower(p.cmd) as command,
            p.qual as using, p.with_check as check
       from pg_catalog.pg_policies p
      where p.schemaname = any ($1::text[])
      order by 1, 2`,
    [scope.tableSchemas],
  );
  return rows;
}

/** Grants on relations: one entity per relation, grantee and privilege, the whole-table grant and the column grants as fields. */
async function relationGrants(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  const { rows } = await client.query<{
    rel: string;
    grantee: string;
    privilege: string;
    column: string | null;
    grantable: boolean;
  }>(
    `with g as (select r.oid, r.rolname from pg_catalog.pg_roles r where ${GENERATED_ROLE}),
     rel as (
       select c.oid, c.relowner, c.relkind, c.relacl, n.nspname || '.' || c.relname as name
         from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f'))
     select rel.name as rel, coalesce(g.rolname, 'PUBLIC') as grantee, a.privilege_type as privilege, null::text as column,
            0 as attnum, a.is_grantable as grantable
       from rel
       cross join lateral pg_catalog.aclexplode(coalesce(rel.relacl,
         pg_catalog.acldefault(case when rel.relkind = 'S' then 's' else 'r' end::"char", rel.relowner))) a
       left join g on g.oid = a.grantee
      where (a.grantee = 0 or g.oid is not null) and a.grantee <> rel.relowner
     union all
     select rel.name, coalesce(g.rolname, 'PUBLIC'), a.privilege_type, att.attname::text, att.attnum, a.is_grantable
       from rel
       join pg_catalog.pg_attribute att on att.attrelid = rel.oid and att.attnum > 0 and not att.attisdropped and att.attacl is not null
       cross join lateral pg_catalog.aclexplode(att.attacl) a
       left join g on g.oid = a.grantee
      where (a.grantee = 0 or g.oid is not null) and a.grantee <> rel.relowner
      order by 1, 2, 3, 5`,
    scopeValues(scope),
  );
  const byKey = new Map<string, { table?: string; columns: string[] }>();
  for (const r of rows) {
    const key = `${r.privilege.toLowerCase()} on ${r.rel} to ${r.grantee}`;
    const entry = byKey.get(key) ?? { columns: [] };
    const shown = r.grantable ? " with grant option" : "";
    if (r.column === null) entry.table = `granted${shown}`;
    else entry.columns.push(`${r.column}${shown}`);
    byKey.set(key, entry);
  }
  return [...byKey].map(([object, e]) => ({
    kind: "privilege",
    object,
    what: "grant",
    fields: {
      ...(e.table ? { "grant on the whole table": e.table } : {}),
      ...(e.columns.length ? { "grant on columns": e.columns.join(", ") } : {}),
    },
  }));
}

async function schemaGrants(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  const { rows } = await client.query<{ schema: string; grantee: string; privilege: string; grantable: boolean }>(
    `with g as (select r.oid, r.rolname from pg_catalog.pg_roles r where ${GENERATED_ROLE})
     select n.nspname as schema, coalesce(g.rolname, 'PUBLIC') as grantee, a.privilege_type as privilege, a.is_grantable as grantable
       from pg_catalog.pg_namespace n
       cross join lateral pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
       left join g on g.oid = a.grantee
      where n.nspname = any ($1::text[]) and (a.grantee = 0 or g.oid is not null) and a.grantee <> n.nspowner
      order by 1, 2, 3`,
    scopeValues(scope),
  );
  return rows.map((r) => ({
    kind: "privilege",
    object: `${r.privilege.toLowerCase()} on schema ${r.schema} to ${r.grantee}`,
    what: "grant",
    fields: { grant: r.grantable ? "granted with grant option" : "granted" },
  }));
}

const VOLATILITY: Record<string, string> = { i: "immutable", s: "stable", v: "volatile" };

/** Functions of the managed schemas: security, settings, volatility, a hash of the body; and who may execute them. */
async function functions(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  const { rows } = await client.query<{
    fn: string;
    definer: boolean;
    config: string | null;
    volatility: string;
    body: string;
    grantees: { grantee: string; grantable: boolean }[];
  }>(
    `with g as (select r.oid, r.rolname from pg_catalog.pg_roles r where ${GENERATED_ROLE})
     select n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' as fn,
            p.prosecdef as definer, pg_catalog.array_to_string(p.proconfig, ', ') as config, p.provolatile::text as volatility,
            pg_catalog.md5(p.prosrc || coalesce(pg_catalog.pg_get_function_sqlbody(p.oid), '')) as body,
            coalesce((select pg_catalog.json_agg(pg_catalog.json_build_object('grantee', coalesce(g.rolname, 'PUBLIC'), 'grantable', a.is_grantable)
                                        order by coalesce(g.rolname, 'PUBLIC'))
                        from pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                        left join g on g.oid = a.grantee
                       where (a.grantee = 0 or g.oid is not null) and a.grantee <> p.proowner), '[]') as grantees
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any ($1::text[]) and p.prokind in ('f', 'p')
      order by 1`,
    scopeValues(scope),
  );
  return rows.flatMap((r): Entity[] => [
    {
      kind: "function",
      object: r.fn,
      what: "function",
      fields: {
        security: r.definer ? "security definer" : "security invoker",
        settings: r.config ?? "(none)",
        volatility: VOLATILITY[r.volatility] ?? r.volatility,
        body: `md5 ${r.body}`,
      },
    },
    ...r.grantees.map((g) => ({
      kind: "privilege" as const,
      object: `execute on function ${r.fn} to ${g.grantee}`,
      what: "grant",
      fields: { grant: g.grantable ? "granted with grant option" : "granted" },
    })),
  ]);
}

async function views(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  const { rows } = await client.query<{ name: string; options: string; owner: string; definition: string }>(
    `select n.nspname || '.' || c.relname as name,
            coalesce(pg_catalog.array_to_string(array(select o from pg_catalog.unnest(c.reloptions) o order by 1), ', '), '') as options,
            pg_catalog.pg_get_userbyid(c.relowner) as owner, pg_catalog.pg_get_viewdef(c.oid) as definition
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any ($1::text[]) and c.relkind in ('v', 'm')
      order by 1`,
    [scope.schemas],
  );
  return rows.map((r) => ({
    kind: "view",
    object: r.name,
    what: "view",
    fields: { options: r.options || "(none)", owner: r.owner, definition: r.definition.trim() },
  }));
}

async function rowSecurity(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  const { rows } = await client.query<{ name: string; enabled: boolean; forced: boolean }>(
    `select n.nspname || '.' || c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p')
      order by 1`,
    [scope.tableSchemas],
  );
  return rows.map((r) => ({
    kind: "row-security",
    object: r.name,
    what: "table",
    fields: {
      "row level security": r.enabled ? "enabled" : "disabled",
      "force row level security": r.forced ? "forced" : "not forced",
    },
  }));
}

const FIRES: Record<string, string> = { O: "enabled", D: "disabled", R: "enabled replica", A: "enabled always" };

async function triggers(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  const { rows } = await client.query<{ name: string; enabled: string; definition: string }>(
    `select t.tgname || ' on ' || n.nspname || '.' || c.relname as name, t.tgenabled::text as enabled,
            pg_catalog.pg_get_triggerdef(t.oid) as definition
       from pg_catalog.pg_trigger t
       join pg_catalog.pg_class c on c.oid = t.tgrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any ($1::text[]) and not t.tgisinternal
      order by 1`,
    [scope.tableSchemas],
  );
  return rows.map((r) => ({
    kind: "trigger",
    object: r.name,
    what: "trigger",
    fields: { state: FIRES[r.enabled] ?? r.enabled, definition: r.definition },
  }));
}

/**
 * Generated roles other than role-bound logins (checked against the logins table instead). The generation resets
 * login, inherit and bypassrls but not the {@link FORBIDDEN_ATTRIBUTES}, so the expected side has those off.
 */
async function roles(
  client: ClientBase,
  scope: DriftScope,
  logins: readonly string[],
  side: "actual" | "expected",
): Promise<Entity[]> {
  const { rows } = await client.query<Record<string, boolean> & { name: string }>(
    `select r.rolname as name, r.rolsuper as superuser, r.rolinherit as inherit, r.rolcreaterole as createrole,
            r.rolcreatedb as createdb, r.rolcanlogin as login, r.rolreplication as replication, r.rolbypassrls as bypassrls
       from pg_catalog.pg_roles r
      where ${generatedRole("r", "$1", "$2")} and r.rolname <> all ($3::text[])
        and not ($2 <> '' and pg_catalog.starts_with(r.rolname, $2 || 'login_'))
      order by 1`,
    [scope.roles, scope.prefix, logins],
  );
  return rows.map((r) => ({
    kind: "role",
    object: r.name,
    what: "role",
    fields: {
      attributes: roleAttributes(
        side === "expected" ? { ...r, ...Object.fromEntries(FORBIDDEN_ATTRIBUTES.map((a) => [a, false])) } : r,
      ),
    },
  }));
}

/** A role's attributes as `alter role` writes them, e.g. `nosuperuser noinherit nologin nobypassrls …`. */
export const roleAttributes = (r: object): string =>
  ["superuser", "inherit", "createrole", "createdb", "login", "replication", "bypassrls"]
    .map((a) => ((r as Record<string, unknown>)[a] ? a : `no${a}`))
    .join(" ");

/** The masked twins the definitions make: type, generation expression and comment of each, as the table has them. */
async function twins(client: ClientBase, scope: DriftScope): Promise<Entity[]> {
  if (scope.twins.length === 0) return [];
  const { rows } = await client.query<{ name: string; type: string; expression: string | null; comment: string | null }>(
    `select $1 || '.' || t.tbl || '.' || t.col as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
            case when a.attgenerated = 's' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end as expression,
            pg_catalog.col_description(a.attrelid, a.attnum) as comment
       from rows from (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[])) as t (tbl, col)
       join pg_catalog.pg_namespace n on n.nspname = $1
       join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = t.tbl
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = t.col and not a.attisdropped
       left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      order by 1`,
    [scope.appSchema, scope.twins.map((t) => t.table), scope.twins.map((t) => t.column)],
  );
  return rows.map((r) => ({
    kind: "masked-column",
    object: r.name,
    what: "masked column",
    fields: { type: r.type, expression: r.expression ?? NOT_GENERATED, comment: r.comment ?? "(none)" },
  }));
}
