import type { ClientBase } from "pg";
import { isHours, type Row, type Schema, type Tables, type Value } from "./reference/data";

/** Quotes a name for SQL (names here come from the catalog and the world's own tables). */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Tables in the order their foreign keys allow (parents first; the org tree's rows come parent first). */
export const LOAD_ORDER = [
  "org_units",
  "users",
  "user_roles",
  "customers",
  "contacts",
  "follow_ups",
  "quotes",
  "contracts",
  "service_tickets",
  "projects",
  "project_members",
  "project_customers",
  "partner_shares",
  "access_grants",
] as const;

/** A value as the database takes it: a relative time becomes a timestamp from `now` (epoch milliseconds). */
export const sqlValue = (v: Value, now: number): string | number | boolean | null =>
  v !== null && isHours(v) ? new Date(now + v.hours * 3_600_000).toISOString() : v;

/**
 * Replaces every row of the app schema with the world's, as the superuser inside the caller's transaction: truncates
 * the tables, inserts the world's rows with their ids, moves identity sequences past them. Returns the database's now.
 */
export async function loadWorld(client: ClientBase, appSchema: string, schema: Schema, tables: Tables): Promise<number> {
  const { rows } = await client.query<{ now: Date }>("select now() as now");
  const now = rows[0]!.now.getTime();
  const all = [...schema.keys()].map((t) => `${ident(appSchema)}.${ident(t)}`);
  await client.query(`truncate ${all.join(", ")} cascade`);
  for (const table of LOAD_ORDER) {
    const data = tables[table] ?? [];
    if (data.length === 0) continue;
    const columns = Object.keys(data[0]!);
    const name = `${ident(appSchema)}.${ident(table)}`;
    const list = columns.map(ident).join(", ");
    const json = data.map((r: Row) => Object.fromEntries(columns.map((c) => [c, sqlValue(r[c] ?? null, now)])));
    await client.query(`insert into ${name} (${list}) select ${list} from jsonb_populate_recordset(null::${name}, $1)`, [
      JSON.stringify(json),
    ]);
    if (columns.includes("id")) {
      await client.query(`select setval(pg_get_serial_sequence($1, 'id'), 100000)`, [`${appSchema}.${table}`]);
    }
  }
  return now;
}
