import type { ClientBase } from "pg";
import type { AppDefinition } from "../../db";
import { columnPrivileges } from "./reference/columns";
import type { Schema } from "./reference/data";
import { roleNamed, ruleFor } from "./reference/rules";

/** One role's privilege on one column (or, for `delete`, the table) that the database and the evaluator see differently. */
export interface PrivilegeDisagreement {
  readonly role: string;
  readonly table: string;
  readonly column: string;
  readonly privilege: "select" | "insert" | "update" | "delete";
  readonly database: boolean;
  readonly reference: boolean;
}

/**
 * Compares, for every role of the app and every table but `skip`, the column privileges PostgreSQL reports
 * (`has_column_privilege`, `has_table_privilege` for delete) with those the evaluator derives from the definitions.
 */
export async function comparePrivileges(
  client: ClientBase,
  app: AppDefinition,
  prefixed: AppDefinition,
  schema: Schema,
  skip: readonly string[],
): Promise<PrivilegeDisagreement[]> {
  const out: PrivilegeDisagreement[] = [];
  for (const role of app.roles) {
    for (const shape of schema.values()) {
      if (skip.includes(shape.name)) continue;
      const expected = columnPrivileges(app, role, shape);
      const { rows } = await client.query<{ column: string; select: boolean; insert: boolean; update: boolean; delete: boolean }>(
        `select a.attname as column,
                has_column_privilege($1, c.oid, a.attname, 'select') as select,
                has_column_privilege($1, c.oid, a.attname, 'insert') as insert,
                has_column_privilege($1, c.oid, a.attname, 'update') as update,
                has_table_privilege($1, c.oid, 'delete') as delete
           from pg_class c join pg_attribute a on a.attrelid = c.oid
          where c.relnamespace = $2::regnamespace and c.relname = $3 and a.attnum > 0 and not a.attisdropped`,
        [`${prefixed.rolePrefix}${role.name}`, app.schema, shape.name],
      );
      const deletes = ruleFor(roleNamed(app, role.name)!, shape.name, "delete") !== undefined;
      for (const r of rows) {
        for (const privilege of ["select", "insert", "update"] as const) {
          const reference = expected[privilege].has(r.column);
          if (r[privilege] !== reference)
            out.push({ role: role.name, table: shape.name, column: r.column, privilege, database: r[privilege], reference });
        }
      }
      if (rows.length > 0 && rows[0]!.delete !== deletes)
        out.push({
          role: role.name,
          table: shape.name,
          column: "*",
          privilege: "delete",
          database: rows[0]!.delete,
          reference: deletes,
        });
    }
  }
  return out;
}
