import type { ClientBase } from "pg";
import type { Schema, TableShape } from "./reference/data";

/** The app schema's tables as the catalog has them: columns (generated ones marked), primary keys, single-column foreign keys. */
export async function readSchema(client: ClientBase, schema: string): Promise<Schema> {
  const { rows: columns } = await client.query<{ table: string; name: string; generated: boolean }>(
    `select c.relname as table, a.attname as name, a.attgenerated <> '' as generated
       from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relnamespace = $1::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`,
    [schema],
  );
  const { rows: keys } = await client.query<{
    table: string;
    type: string;
    columns: string[];
    parent: string | null;
    refs: string[] | null;
  }>(
    `select c.relname as table, k.contype as type,
            array(select a.attname::text from unnest(k.conkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i) as columns,
            p.relname as parent,
            array(select a.attname::text from unnest(k.confkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i) as refs
       from pg_constraint k join pg_class c on c.oid = k.conrelid left join pg_class p on p.oid = k.confrelid
      where c.relnamespace = $1::regnamespace and k.contype in ('p', 'f')`,
    [schema],
  );
  const out = new Map<string, TableShape>();
  for (const table of new Set(columns.map((c) => c.table))) {
    out.set(table, {
      name: table,
      columns: columns.filter((c) => c.table === table).map((c) => ({ name: c.name, generated: c.generated })),
      primaryKey: keys.find((k) => k.table === table && k.type === "p")?.columns ?? [],
      foreignKeys: keys
        .filter((k) => k.table === table && k.type === "f" && k.columns.length === 1)
        .map((k) => ({ column: k.columns[0]!, parent: k.parent!, key: k.refs![0]! })),
    });
  }
  return out;
}
