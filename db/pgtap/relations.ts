import type { ClientBase } from "pg";

/** A table or view of a schema the tests cover, with its row-security flags. */
export interface Relation {
  readonly schema: string;
  readonly name: string;
  /** `r` table, `p` partitioned table, `v` view, `m` materialized view. */
  readonly kind: "r" | "p" | "v" | "m";
  readonly rowSecurity: boolean;
  readonly forced: boolean;
}

/** Whether a relation holds rows of its own (a table), so row security and policies apply to it. */
export const isTable = (relation: Relation): boolean => relation.kind === "r" || relation.kind === "p";

/**
 * The tables and views of `schemas`, in the order given, then by name (byte order, so any database sorts alike).
 *
 * @example
 * await readRelations(client, ["clinic", "gatehouse"]); // [{ schema: "clinic", name: "patients", kind: "r", … }, …]
 */
export async function readRelations(client: ClientBase, schemas: readonly string[]): Promise<Relation[]> {
  const { rows } = await client.query<Relation>(
    `select n.nspname::text as schema, c.relname::text as name, c.relkind::text as kind,
            c.relrowsecurity as "rowSecurity", c.relforcerowsecurity as forced
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join unnest($1::text[]) with ordinality s(name, position) on s.name = n.nspname
      where c.relkind in ('r', 'p', 'v', 'm')
      order by s.position, c.relname collate "C"`,
    [schemas],
  );
  return rows;
}
