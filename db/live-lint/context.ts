import type { ClientBase } from "pg";
import { roleName, roleSchemaName, viewOwner } from "../compile/names";
import type { AppDefinition } from "../policy/define";
import { sql } from "../sql/ddl";

/** What every live lint reads: the app's definitions, the connection, and the names they imply. */
export interface LiveLintContext {
  readonly client: ClientBase;
  readonly app: AppDefinition;
  /** The roles a request or a login acts in, prefixed: the app's roles and the anonymous role. */
  readonly requestRoles: readonly string[];
  /** Every role the compile generates (request roles, the authenticator, view owners) and the role-bound logins on record. */
  readonly generatedRoles: readonly string[];
  /** The role-bound logins recorded in `<toolkit>.logins`. */
  readonly logins: readonly string[];
  /** The `select *` schemas the app's roles may have (`<schema>_<role>`). */
  readonly roleSchemas: readonly string[];
  /** The owner of the app schema: whoever applies the migrations. */
  readonly schemaOwner: string | undefined;
}

/**
 * Reads what the lints share: the role-bound logins on record and the app schema's owner.
 *
 * @example
 * const ctx = await liveLintContext(client, clinic); // ctx.requestRoles: ["clinic_doctor", …, "clinic_anonymous"]
 */
export async function liveLintContext(client: ClientBase, app: AppDefinition): Promise<LiveLintContext> {
  const requestRoles = [...app.roles.map((r) => roleName(app, r.name)), roleName(app, app.anonymous)];
  const { rows } = await client.query<{ owner: string | null; logins: boolean }>(
    `select (select pg_catalog.pg_get_userbyid(nspowner)::text from pg_catalog.pg_namespace where nspname = $1) as owner,
            exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = $2 and c.relname = 'logins') as logins`,
    [app.schema, app.toolkitSchema],
  );
  const logins = rows[0]!.logins
    ? (
        await client.query<{ login: string }>(
          sql.compile(sql`select login::text from ${sql.identifier(app.toolkitSchema, "logins")} order by login`),
        )
      ).rows.map((r) => r.login)
    : [];
  return {
    client,
    app,
    requestRoles,
    generatedRoles: [
      ...requestRoles,
      roleName(app, app.authenticator),
      ...app.views.map((v) => roleName(app, viewOwner(v.name))),
      ...logins,
    ],
    logins,
    roleSchemas: app.roles.map((r) => roleSchemaName(app, r.name)),
    schemaOwner: rows[0]!.owner ?? undefined,
  };
}
