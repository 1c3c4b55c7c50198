import type { Client } from "pg";

/** What reading one relation gave a login: its rows (each as JSON, sorted), or the SQLSTATE it was refused with. */
export type RelationRead = { readonly rows: readonly string[] } | { readonly refused: string };

/**
 * Every table and view of `schemas`, by `schema.name`, sorted: the relations a BI tool can point at (whether or not
 * the login may read them).
 */
export async function relationsIn(admin: Client, schemas: readonly string[]): Promise<Relation[]> {
  const { rows } = await admin.query<Relation>(
    `select format('%I.%I', n.nspname, c.relname) as name, c.oid::int as oid
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm')
      order by 1`,
    [schemas],
  );
  return rows;
}

/** A relation by name and oid (the oid lets a login ask about a relation in a schema it may not use). */
export interface Relation {
  readonly name: string;
  readonly oid: number;
}

/**
 * Reads each relation as the connected login: the columns it holds SELECT on (`has_column_privilege`, so a role
 * with column grants reads its columns of a table rather than being refused for `select *`), every row as JSON
 * text (a bigint or a timestamp compares exactly), rows sorted: order-free and comparable byte for byte between
 * two servers. A relation with no readable column reads as refused 42501, like a refused select.
 */
export async function readRelations(client: Client, relations: readonly Relation[]): Promise<Record<string, RelationRead>> {
  const reads: Record<string, RelationRead> = {};
  for (const { name: relation, oid } of relations) {
    const { rows: columns } = await client.query<{ name: string }>(
      `select format('%I', attname) as name from pg_attribute
        where attrelid = $1::oid and attnum > 0 and not attisdropped
          and has_column_privilege($1::oid, attnum, 'select')
        order by attnum`,
      [oid],
    );
    if (columns.length === 0) {
      reads[relation] = { refused: "42501" };
      continue;
    }
    try {
      const { rows } = await client.query<{ row: string }>(
        `select to_jsonb(r)::text as row from (select ${columns.map((c) => c.name).join(", ")} from ${relation}) r`,
      );
      reads[relation] = { rows: rows.map((r) => r.row).sort() };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (!code) throw error;
      reads[relation] = { refused: code };
    }
  }
  return reads;
}
