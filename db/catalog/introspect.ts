import type { ClientBase } from "pg";

export interface CatalogColumn {
  readonly name: string;
  readonly type: string;
  readonly generated: boolean;
  /** Declared `not null` (absent in catalogs built by hand: unknown). */
  readonly notNull?: boolean;
}

export interface CatalogForeignKey {
  readonly columns: readonly string[];
  readonly references: { readonly table: string; readonly columns: readonly string[] };
}

export interface CatalogTable {
  readonly name: string;
  readonly kind: "table" | "view";
  readonly columns: readonly CatalogColumn[];
  readonly foreignKeys: readonly CatalogForeignKey[];
  /** Primary key columns, in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  readonly rowSecurity: boolean;
  readonly forceRowSecurity: boolean;
  /** For views: whether `security_invoker` is set. */
  readonly securityInvoker: boolean;
  /** For views: whether `security_barrier` is set. */
  readonly securityBarrier: boolean;
  /** The role that owns it. */
  readonly owner: string;
  /** Roles holding any privilege on it (from its ACL). */
  readonly grantees: readonly string[];
}

export interface CatalogFunction {
  readonly schema: string;
  readonly name: string;
  readonly securityDefiner: boolean;
  readonly volatility: "immutable" | "stable" | "volatile";
  readonly fixedSearchPath: boolean;
  readonly publicExecute: boolean;
}

/** What the live database holds in one schema, as far as the compiler needs to know. */
export interface Catalog {
  readonly schema: string;
  readonly tables: ReadonlyMap<string, CatalogTable>;
  readonly functions: readonly CatalogFunction[];
}

/**
 * Reads tables, views, columns, foreign keys and functions of `schema` (functions also from
 * `extraFunctionSchemas`) from the live database.
 *
 * @example
 * const catalog = await introspect(client, "clinic", ["gatehouse"]);
 * catalog.tables.get("patients")?.columns.map((c) => c.name);
 */
export async function introspect(
  client: ClientBase,
  schema: string,
  extraFunctionSchemas: readonly string[] = [],
): Promise<Catalog> {
  const { rows: relations } = await client.query<{
    name: string;
    relkind: string;
    relrowsecurity: boolean;
    relforcerowsecurity: boolean;
    security_invoker: boolean;
    security_barrier: boolean;
    owner: string;
    grantees: string[] | null;
    primary_key: string[] | null;
  }>(
    `select c.relname as name,
            (select array(select a.attname from unnest(k.conkey) with ordinality u(n, i)
                            join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i)::text[]
               from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') as primary_key, c.relkind::text as relkind, c.relrowsecurity, c.relforcerowsecurity,
            coalesce('security_invoker=true' = any (c.reloptions) or 'security_invoker=on' = any (c.reloptions), false) as security_invoker,
            coalesce('security_barrier=true' = any (c.reloptions) or 'security_barrier=on' = any (c.reloptions), false) as security_barrier,
            pg_get_userbyid(c.relowner)::text as owner,
            (select array_agg(g.name order by g.name)
               from (select distinct case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end as name
                       from aclexplode(c.relacl) a) g) as grantees
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm')
      order by c.relname`,
    [schema],
  );
  const { rows: columns } = await client.query<{
    table: string;
    name: string;
    type: string;
    generated: boolean;
    not_null: boolean;
  }>(
    `select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attgenerated <> '' as generated,
            a.attnotnull as not_null
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`,
    [schema],
  );
  const { rows: keys } = await client.query<{ table: string; columns: string[]; ref_table: string; ref_columns: string[] }>(
    `select c.relname as table,
            array(select attname from unnest(k.conkey) with ordinality u(n, i) join pg_attribute on attrelid = k.conrelid and attnum = u.n order by u.i)::text[] as columns,
            r.relname as ref_table,
            array(select attname from unnest(k.confkey) with ordinality u(n, i) join pg_attribute on attrelid = k.confrelid and attnum = u.n order by u.i)::text[] as ref_columns
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
       join pg_class r on r.oid = k.confrelid
      where k.contype = 'f' and n.nspname = $1
      order by c.relname, k.conname`,
    [schema],
  );
  const { rows: functions } = await client.query<{
    schema: string;
    name: string;
    prosecdef: boolean;
    provolatile: string;
    fixed_search_path: boolean;
    public_execute: boolean;
  }>(
    `select n.nspname as schema, p.proname as name, p.prosecdef, p.provolatile::text as provolatile,
            coalesce(exists (select 1 from unnest(p.proconfig) s where s like 'search_path=%'), false) as fixed_search_path,
            p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE') as public_execute
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any ($1::text[]) and p.prokind = 'f'
      order by n.nspname, p.proname`,
    [[schema, ...extraFunctionSchemas]],
  );
  const tables = new Map<string, CatalogTable>();
  for (const rel of relations) {
    tables.set(
      rel.name,
      Object.freeze({
        name: rel.name,
        kind: rel.relkind === "v" || rel.relkind === "m" ? "view" : "table",
        columns: Object.freeze(
          columns
            .filter((c) => c.table === rel.name)
            .map((c) => Object.freeze({ name: c.name, type: c.type, generated: c.generated, notNull: c.not_null })),
        ),
        foreignKeys: Object.freeze(
          keys
            .filter((k) => k.table === rel.name)
            .map((k) =>
              Object.freeze({ columns: k.columns, references: Object.freeze({ table: k.ref_table, columns: k.ref_columns }) }),
            ),
        ),
        primaryKey: Object.freeze(rel.primary_key ?? []),
        rowSecurity: rel.relrowsecurity,
        forceRowSecurity: rel.relforcerowsecurity,
        securityInvoker: rel.security_invoker,
        securityBarrier: rel.security_barrier,
        owner: rel.owner,
        grantees: Object.freeze(rel.grantees ?? []),
      } satisfies CatalogTable),
    );
  }
  const volatility = { i: "immutable", s: "stable", v: "volatile" } as const;
  return Object.freeze({
    schema,
    tables,
    functions: Object.freeze(
      functions.map((f) =>
        Object.freeze({
          schema: f.schema,
          name: f.name,
          securityDefiner: f.prosecdef,
          volatility: volatility[f.provolatile as "i" | "s" | "v"],
          fixedSearchPath: f.fixed_search_path,
          publicExecute: f.public_execute,
        }),
      ),
    ),
  });
}
