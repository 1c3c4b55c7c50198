import type { Client } from "pg";
import { roleName, sql, toDdl, type AppDefinition } from "../db";

/**
 * Sets or clears BYPASSRLS on every app role of `app` (roles are cluster-wide: this changes them in every
 * database of the cluster that uses the prefix) and checks that the catalog says so.
 *
 * @example
 * await setBypass(root, app, true);
 * try { ... } finally { await setBypass(root, app, false); }
 */
export async function setBypass(root: Client, app: AppDefinition, bypass: boolean): Promise<void> {
  const roles = app.roles.map((r) => roleName(app, r.name));
  for (const role of roles)
    await root.query(toDdl(sql`alter role ${sql.identifier(role)} ${bypass ? sql`bypassrls` : sql`nobypassrls`}`));
  const { rows } = await root.query<{ rolname: string }>(
    "select rolname from pg_roles where rolname = any($1) and rolbypassrls <> $2",
    [roles, bypass],
  );
  if (rows.length > 0) throw new Error(`BYPASSRLS is not ${bypass} on ${rows.map((r) => r.rolname).join(", ")}`);
}
