import type { ClientBase } from "pg";

/** A client or a pool: anything that runs one query. */
type Queryable = Pick<ClientBase, "query">;

/** A table whose row security is not both enabled and forced. */
export interface RowSecurityOffender {
  readonly table: string;
  readonly enabled: boolean;
  readonly forced: boolean;
}

/**
 * Every table (ordinary or partitioned) of `schema` whose row security is not enabled *and* forced, by name.
 *
 * @example
 * await rowSecurityOffenders(client, "app"); // [] when every table is covered
 */
export async function rowSecurityOffenders(client: Queryable, schema: string): Promise<RowSecurityOffender[]> {
  const { rows } = await client.query<RowSecurityOffender>(
    `select c.relname::text as "table", c.relrowsecurity as enabled, c.relforcerowsecurity as forced
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and not (c.relrowsecurity and c.relforcerowsecurity)
      order by c.relname`,
    [schema],
  );
  return rows;
}

/**
 * Fails unless every table of `schema` has row security enabled and forced (default deny, the owner bound too),
 * with an error naming each offender and what it lacks. Also fails for a schema without tables (a misspelled
 * name would otherwise pass). Plain `Error`, so it needs no test framework; in jest, `await expect(...)` is not
 * needed: just await it.
 *
 * @example
 * test("every app table has row security, enabled and forced", () => expectRowSecurityEverywhere(client, "app"));
 */
export async function expectRowSecurityEverywhere(client: Queryable, schema: string): Promise<void> {
  const { rows } = await client.query<{ tables: number }>(
    `select count(*)::int as tables from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p')`,
    [schema],
  );
  if (rows[0]!.tables === 0) throw new Error(`schema "${schema}" has no tables: is the name right?`);
  const offenders = await rowSecurityOffenders(client, schema);
  if (offenders.length === 0) return;
  const lines = offenders.map((o) => {
    const missing = [!o.enabled && "enable", !o.forced && "force"].filter((m): m is string => Boolean(m));
    const fix = missing.map((m) => `alter table ${schema}.${o.table} ${m} row level security`).join("; ");
    return `  - ${schema}.${o.table}: ${missing.map((m) => `not ${m}d`).join(", ")} (compile again, or: ${fix})`;
  });
  throw new Error(`row security is missing on ${offenders.length} table(s) of schema "${schema}":\n${lines.join("\n")}`);
}
