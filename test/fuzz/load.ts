import type { ClientBase } from "pg";
import { pauseAudit, type AppDefinition } from "../../db";
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

/** Empties every table of the app schema for good (the demo seed goes): each world then loads into empty tables. */
export async function emptyTables(client: ClientBase, appSchema: string, schema: Schema): Promise<void> {
  const all = [...schema.keys()].map((t) => `${ident(appSchema)}.${ident(t)}`);
  await client.query(`truncate ${all.join(", ")} cascade`);
}

/**
 * Loads the world's rows into the emptied tables ({@link emptyTables}) as the superuser inside the caller's
 * transaction, with their ids, the audit trail paused for these writes; moves identity sequences past them (once).
 * Returns the database's now.
 */
export async function loadWorld(app: AppDefinition, client: ClientBase, appSchema: string, tables: Tables): Promise<number> {
  const { rows } = await client.query<{ now: Date }>("select now() as now");
  const now = rows[0]!.now.getTime();
  await pauseAudit(client, app, "differential fuzzing: loading a world");
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
  }
  return now;
}

/** Moves every `id` identity sequence far past the ids a world uses, so a persona's insert never takes one. */
export async function raiseSequences(client: ClientBase, appSchema: string, schema: Schema): Promise<void> {
  for (const shape of schema.values()) {
    if (!shape.columns.some((c) => c.name === "id")) continue;
    await client.query("select setval(pg_get_serial_sequence($1, 'id'), 100000)", [`${appSchema}.${shape.name}`]);
  }
}

/**
 * Vacuums the app's and the toolkit's tables. Every world inserts the same keys and rolls back, so dead versions pile
 * up under each key; where autovacuum is off (as on some CI clusters) each world then runs slower than the last.
 */
export async function vacuumTables(client: ClientBase, schemas: readonly string[]): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    "select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = any ($1) and c.relkind = 'r'",
    [schemas],
  );
  if (rows.length > 0) await client.query(`vacuum ${rows.map((r) => r.name).join(", ")}`);
}
