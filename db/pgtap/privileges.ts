import type { ClientBase } from "pg";
import { literal, sql } from "../sql/ddl";
import { literalArray } from "./arrays";
import { tapTest, type TapStep } from "./tap-file";

/** The privileges pgTAP's `table_privs_are` checks (those of PostgreSQL 15, which every supported server has). */
const TABLE_PRIVILEGES = ["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"];
/** The privileges pgTAP's `column_privs_are` checks. */
const COLUMN_PRIVILEGES = ["INSERT", "REFERENCES", "SELECT", "UPDATE"];

/** What one role (or `public`) holds on one table or view, or on one of its columns. */
export interface PrivilegeRow {
  readonly schema: string;
  readonly table: string;
  /** Absent for a table's own privileges. */
  readonly column?: string;
  readonly role: string;
  /** Sorted; what `has_table_privilege` / `has_column_privilege` grant, as pgTAP asks them. */
  readonly privileges: readonly string[];
}

/**
 * What each of `roles` (`public` for PUBLIC) holds on every table and view of `schemas`, and on each of their columns,
 * as pgTAP asks it: `has_table_privilege` and `has_column_privilege` (grants held through membership included, a
 * column privilege implied by the table's). By schema, table, then column in table order, then role in the order given.
 *
 * @example
 * await readPrivileges(client, ["clinic"], ["clinic_doctor", "public"]);
 * // { tables: [{ table: "patients", role: "clinic_doctor", privileges: ["SELECT"] }, …], columns: [...] }
 */
export async function readPrivileges(
  client: ClientBase,
  schemas: readonly string[],
  roles: readonly string[],
): Promise<{ tables: PrivilegeRow[]; columns: PrivilegeRow[] }> {
  const relations = `pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join unnest($1::text[]) with ordinality s(name, position) on s.name = n.nspname
       cross join unnest($2::text[]) with ordinality r(role, position)`;
  const tables = await client.query<PrivilegeRow>(
    `select n.nspname::text as schema, c.relname::text as "table", r.role,
            array(select p from unnest($3::text[]) p where pg_catalog.has_table_privilege(r.role, c.oid, p) order by p) as privileges
       from ${relations}
      where c.relkind in ('r', 'p', 'v', 'm')
      order by s.position, c.relname collate "C", r.position`,
    [schemas, roles, TABLE_PRIVILEGES],
  );
  const columns = await client.query<PrivilegeRow>(
    `select n.nspname::text as schema, c.relname::text as "table", a.attname::text as "column", r.role,
            array(select p from unnest($3::text[]) p where pg_catalog.has_column_privilege(r.role, c.oid, a.attnum, p) order by p) as privileges
       from ${relations}
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.relkind in ('r', 'p', 'v', 'm')
      order by s.position, c.relname collate "C", a.attnum, r.position`,
    [schemas, roles, COLUMN_PRIVILEGES],
  );
  return { tables: tables.rows, columns: columns.rows };
}

/**
 * The tests of `privileges.sql`: `table_privs_are` for every role on every table and view, then `column_privs_are`
 * for every role on every column.
 *
 * @example
 * privilegeTests(await readPrivileges(client, ["clinic"], ["clinic_doctor", "public"]));
 */
export function privilegeTests(privileges: { tables: readonly PrivilegeRow[]; columns: readonly PrivilegeRow[] }): TapStep[] {
  return [
    ...privileges.tables.map((p) =>
      tapTest(
        sql`table_privs_are(${literal(p.schema)}, ${literal(p.table)}, ${literal(p.role)}, ${literalArray(p.privileges, "name")})`,
      ),
    ),
    ...privileges.columns.map((p) =>
      tapTest(
        sql`column_privs_are(${literal(p.schema)}, ${literal(p.table)}, ${literal(p.column!)}, ${literal(p.role)}, ${literalArray(
          p.privileges,
          "name",
        )})`,
      ),
    ),
  ];
}
