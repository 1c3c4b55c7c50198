import type { ClientBase } from "pg";
import type { AppDefinition } from "../policy/define";
import { sql, toDdl, type SQL } from "../sql/ddl";

/** One user of the identity table as the review shows them. */
export interface DirectoryUser {
  readonly id: string;
  /** The username column's value, else the id. */
  readonly username: string;
  readonly status: string;
  readonly active: boolean;
  /** The unit's `name` column when the units table has one, else its id; null without a unit. */
  readonly unit: string | null;
  /** Unprefixed app roles, by name. */
  readonly roles: readonly string[];
}

/** The users, their roles and units, and which role each role-bound login acts in. */
export interface Directory {
  readonly users: readonly DirectoryUser[];
  readonly byId: ReadonlyMap<string, DirectoryUser>;
  /** Login (database role name) → unprefixed app role. */
  readonly loginRoles: ReadonlyMap<string, string>;
}

/**
 * `schema.name` of a table in the toolkit schema, when it exists and the current role may select it (the owner may
 * read every one; a reviewer role reads those `review__read` opens, and the audit trail when it is one of its readers).
 */
export async function toolkitTable(client: ClientBase, app: AppDefinition, name: string): Promise<SQL | null> {
  const ident = sql.identifier(app.toolkitSchema, name);
  const { rows } = await client.query<{ found: boolean }>(
    `select coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass($1), 'SELECT'), false) as found`,
    [toDdl(ident)],
  );
  return rows[0]!.found ? ident : null;
}

/**
 * Reads every user with their roles and unit (run as the owner or a superuser: it reads past row security).
 *
 * @example
 * const { users } = await readDirectory(client, app); // [{ id: "1", username: "dr_ada", status: "active", active: true, unit: "Ward A", roles: ["doctor"] }, …]
 */
export async function readDirectory(client: ClientBase, app: AppDefinition): Promise<Directory> {
  const { users, userRoles, units } = app.identity;
  const unitsTable = sql.identifier(app.schema, units.table);
  const named = await client.query<{ found: boolean }>(
    `select exists (select 1 from pg_catalog.pg_attribute
                     where attrelid = pg_catalog.to_regclass($1) and attname = 'name' and not attisdropped) as found`,
    [toDdl(unitsTable)],
  );
  const unitLabel = named.rows[0]!.found
    ? sql`(select un.name::text from ${unitsTable} un where un.${sql.identifier(units.id)} = u.${sql.identifier(users.unit)})`
    : sql`u.${sql.identifier(users.unit)}::text`;
  const username = users.username ? sql`u.${sql.identifier(users.username)}::text` : sql`u.${sql.identifier(users.id)}::text`;
  const { rows } = await client.query<{ id: string; username: string; status: string; unit: string | null; roles: string[] }>(
    toDdl(sql`select u.${sql.identifier(users.id)}::text as id, ${username} as username, u.${sql.identifier(users.status)}::text as status,
       ${unitLabel} as unit,
       coalesce((select pg_catalog.array_agg(r.${sql.identifier(userRoles.role)}::text order by r.${sql.identifier(userRoles.role)})
                   from ${sql.identifier(app.schema, userRoles.table)} r
                  where r.${sql.identifier(userRoles.user)} = u.${sql.identifier(users.id)}), '{}') as roles
  from ${sql.identifier(app.schema, users.table)} u
 order by 2`),
  );
  const list = rows.map((r) => Object.freeze({ ...r, active: r.status === users.activeStatus, roles: Object.freeze(r.roles) }));
  const logins = await toolkitTable(client, app, "logins");
  const loginRows = logins
    ? (await client.query<{ login: string; role: string }>(toDdl(sql`select login, role from ${logins}`))).rows
    : [];
  return {
    users: list,
    byId: new Map(list.map((u) => [u.id, u])),
    loginRoles: new Map(loginRows.map((l) => [l.login, l.role])),
  };
}

/** The unprefixed app role a recorded acting role stands for: a login's role, or the role without the prefix. */
export function appRoleOf(app: AppDefinition, directory: Directory, actingRole: string): string {
  const login = directory.loginRoles.get(actingRole);
  if (login) return login;
  return actingRole.startsWith(app.rolePrefix) ? actingRole.slice(app.rolePrefix.length) : actingRole;
}
