import type { ClientBase } from "pg";

/** A client or a pool: anything that runs one query. */
type Queryable = Pick<ClientBase, "query">;
import { compile, sql, type SQLRawValue } from "pg-sql2";

/** Options of {@link ageRows}. */
export interface AgeRowsOptions {
  /** `schema.table`, e.g. `clinic.access_grants`. */
  readonly table: string;
  /** The timestamp columns to move, e.g. `["expires_at"]`. */
  readonly columns: readonly string[];
  /** How far into the past, as a PostgreSQL interval: `"2 days"`, `"1 second"`. */
  readonly by: string;
  /** Only the rows whose columns equal these values, e.g. `{ id: 7 }`; every row when omitted. */
  readonly where?: Readonly<Record<string, unknown>>;
}

/**
 * Moves the clock forward for some rows, the way an expiry test does it: subtracts `by` from their timestamp
 * columns, so a grant that "expires in 1 day" has expired once aged by 2 days. Returns the number of rows aged.
 *
 * The generated SQL measures expiry with `clock_timestamp()` (a grant or share that ends mid-transaction stops
 * counting at the next statement), and PostgreSQL has no setting that freezes that clock; Gatehouse puts no
 * test-only switch into the security SQL. Ageing the rows is equivalent for every rule that compares a stored
 * time with the clock, and runs in the test's own transaction, so the rollback undoes it. Run it as a role that
 * may update the table past its row security (the superuser in `app.root(...)`, or before {@link actAs}).
 *
 * @example
 * await ageRows(c, { table: "clinic.access_grants", columns: ["expires_at"], by: "2 days", where: { id: 1 } }); // 1
 */
export async function ageRows(client: Queryable, options: AgeRowsOptions): Promise<number> {
  if (options.columns.length === 0) throw new Error("ageRows: name at least one timestamp column in `columns`");
  const [schema, table, ...rest] = options.table.split(".");
  if (!schema || !table || rest.length > 0) {
    throw new Error(`ageRows: table must be written schema.table, e.g. "clinic.access_grants", not "${options.table}"`);
  }
  const by = sql.value(options.by);
  const sets = options.columns.map((c) => sql`${sql.identifier(c)} = ${sql.identifier(c)} - ${by}::interval`);
  const conditions = Object.entries(options.where ?? {}).map(
    ([c, v]) => sql`${sql.identifier(c)} = ${sql.value(v as SQLRawValue)}`,
  );
  const where = conditions.length > 0 ? sql` where ${sql.join(conditions, " and ")}` : sql``;
  const query = compile(sql`update ${sql.identifier(schema, table)} set ${sql.join(sets, ", ")}${where}`);
  const result = await client.query(query.text, query.values as unknown[]);
  return result.rowCount ?? 0;
}
