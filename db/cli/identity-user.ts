import type { ClientBase } from "pg";
import type { AppDefinition } from "../policy/define";
import { didYouMean } from "../policy/suggest";
import { literal, sql, toDdl } from "../sql/ddl";

/** A user of the identity users table, as the CLI names them: by `identity.users.username`. */
export interface IdentityUser {
  readonly id: string;
  readonly username: string;
  readonly status: string;
  readonly roles: readonly string[];
}

/** No user of that username in the identity users table; `known` holds every username there, for suggestions. */
export class UnknownUserError extends Error {
  constructor(
    message: string,
    readonly known: readonly string[],
  ) {
    super(message);
    this.name = "UnknownUserError";
  }
}

/** The user named `username` (or with id `id`) in the identity users table, with their roles; a clear error (with did-you-mean) when there is none. */
export async function findUser(
  client: ClientBase,
  app: AppDefinition,
  by: { username: string } | { id: string },
): Promise<IdentityUser> {
  const { users, userRoles } = app.identity;
  if (!users.username)
    throw new Error(
      `identity.users names no username column: add username: "<column>" (the column holding each user's login name) to identity.users in defineApp`,
    );
  const usersTable = sql.identifier(app.schema, users.table);
  const nameColumn = sql.identifier(users.username);
  const idColumn = sql.identifier(users.id);
  const match =
    "username" in by ? sql`u.${nameColumn}::text = ${literal(by.username)}` : sql`u.${idColumn}::text = ${literal(by.id)}`;
  const { rows } = await client.query<IdentityUser>(
    toDdl(sql`select u.${idColumn}::text as id, u.${nameColumn}::text as username, u.${sql.identifier(users.status)}::text as status,
       array(select r.${sql.identifier(userRoles.role)}::text from ${sql.identifier(app.schema, userRoles.table)} r
              where r.${sql.identifier(userRoles.user)} = u.${idColumn} order by 1) as roles
  from ${usersTable} u where ${match}`),
  );
  if (rows[0]) return rows[0];
  if (!("username" in by))
    throw new Error(`the login's user ${by.id} is no longer in ${app.schema}.${users.table}: disable the login`);
  const known = (
    await client.query<{ name: string }>(toDdl(sql`select ${nameColumn}::text as name from ${usersTable}`))
  ).rows.map((r) => r.name);
  throw new UnknownUserError(`no user "${by.username}" in ${app.schema}.${users.table}${didYouMean(by.username, known)}`, known);
}
