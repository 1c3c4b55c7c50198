/** Explain through the API server's own authenticator connection, for the signed-in user, about a row they can see. */
import type { ClientBase } from "pg";
import { HELPERS, helperIdent } from "../compile/names";
import type { IdentityUser } from "../cli/identity-user";
import type { AppDefinition } from "../policy/define";
import type { Command } from "../policy/roles";
import { literal, sql, toDdl, trusted } from "../sql/ddl";
import { asSignedIn, type SignedIn } from "./as-user";
import { checkColumn, checkCommand, explainRow, type Explanation } from "./explain";
import { liveTable, type LiveTable } from "./live";

/** What the signed-in user asks about one row: `select` unless `command` says otherwise. */
export interface OwnRowRequest {
  readonly table: string;
  readonly row: string;
  readonly command?: Command;
  readonly column?: string;
}

/**
 * Whether the signed-in user is, in the live tables, an active user holding the role: the identity helper, called
 * under that role with the claims set, returns their id (it returns null for a frozen user or a role not held).
 *
 * @example
 * await holdsRole(authenticator, clinic, { role: "doctor", userId: "4", channel: undefined }); // true
 */
export async function holdsRole(client: ClientBase, app: AppDefinition, who: SignedIn): Promise<boolean> {
  if (!app.roles.some((r) => r.name === who.role)) return false;
  return asSignedIn(client, app, who, () => isSignedInUser(client, app, who));
}

/**
 * `explain` of one row for the signed-in user in the token's role, needing nothing but a connection as the app's
 * authenticator (the API server's own): the user is checked with the identity helper (active, holding the role), the
 * row is read as that user — under the role's row security and column grants, only the columns the role may read —
 * and its policies are evaluated as that user, as {@link explainAccess} does. Undefined when the user is not active
 * or does not hold the role, and the same undefined for a row the user cannot select as for a row, table or key
 * that does not exist: nothing about hidden rows leaks. A condition reading a column the role may not read is
 * evaluated without it (as null); the explanation's notes name those columns.
 *
 * @example
 * const why = await explainOwnRow(authenticator, clinic, { role: "doctor", userId: "4", channel: undefined }, { table: "patients", row: "42" });
 * why?.answer; // dr_ada can see patients 42 as doctor because it passes doctor__select through own(doctor_id) …
 */
export async function explainOwnRow(
  client: ClientBase,
  app: AppDefinition,
  who: SignedIn,
  request: OwnRowRequest,
): Promise<Explanation | undefined> {
  checkCommand(request);
  if (!app.roles.some((r) => r.name === who.role)) return undefined;
  const found = await asSignedIn(client, app, { ...who, impersonate: false }, async () => {
    if (!(await isSignedInUser(client, app, who))) return undefined;
    const table = await liveTable(client, app, request.table).catch(() => undefined);
    if (!table) return undefined;
    checkColumn(app, { ...request, table: table.name }, table);
    const readable = await readableColumns(client, table);
    if (!readable.includes(table.key)) return undefined;
    const row = await visibleRow(client, app, table, readable, request.row);
    if (row === undefined) return undefined;
    return { table, row, unread: table.columns.filter((c) => !readable.includes(c)), user: await signedInUser(client, app, who) };
  });
  if (!found) return undefined;
  const notes = found.unread.length
    ? [
        `${who.role} may not read ${found.unread.join(", ")} of this row, so explain evaluated the conditions without them (as null); the row is visible to you all the same`,
      ]
    : [];
  return explainRow(
    client,
    app,
    {
      request: { ...request, user: found.user.username, role: who.role },
      user: found.user,
      roles: [who.role],
      table: found.table,
      row: found.row,
      notes,
    },
    { asUser: client },
  );
}

/** Inside {@link asSignedIn}: whether the identity helper returns the claimed user for the role. */
async function isSignedInUser(client: ClientBase, app: AppDefinition, who: SignedIn): Promise<boolean> {
  const { rows } = await client.query<{ id: string | null }>(
    toDdl(sql`select ${helperIdent(app, HELPERS.userId)}(current_user)::text as id`),
  );
  return rows[0]?.id === who.userId;
}

/** The columns of the table the acting role may select. */
async function readableColumns(client: ClientBase, table: LiveTable): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select attname as name from pg_catalog.pg_attribute
      where attrelid = $1 and attnum > 0 and not attisdropped and pg_catalog.has_column_privilege($1::oid, attnum, 'SELECT')
      order by attnum`,
    [table.oid],
  );
  return rows.map((r) => r.name);
}

/** The most arguments `jsonb_build_object` takes is 100: a name and a value per column. */
const COLUMNS_PER_OBJECT = 50;

/** The row's readable values as json, read as the user (undefined when they cannot select it, or no row has the key). */
async function visibleRow(
  client: ClientBase,
  app: AppDefinition,
  table: LiveTable,
  columns: readonly string[],
  key: string,
): Promise<string | undefined> {
  const parts = [];
  for (let i = 0; i < columns.length; i += COLUMNS_PER_OBJECT)
    parts.push(
      sql`pg_catalog.jsonb_build_object(${sql.join(
        columns.slice(i, i + COLUMNS_PER_OBJECT).map((c) => sql`${literal(c)}::text, t.${sql.identifier(c)}`),
        ", ",
      )})`,
    );
  await client.query("savepoint gatehouse_own_row");
  try {
    const { rows } = await client.query<{ row: string }>(
      toDdl(sql`select (${sql.join(parts, " || ")})::text as row from ${sql.identifier(app.schema, table.name)} t
 where t.${sql.identifier(table.key)} = $1::${trusted(table.keyType)}`),
      [key],
    );
    await client.query("release savepoint gatehouse_own_row");
    return rows[0]?.row;
  } catch (error) {
    await client.query("rollback to savepoint gatehouse_own_row");
    // a key that does not parse names no row, like a key no row has
    if ((error as { code?: string }).code?.startsWith("22")) return undefined;
    throw error;
  }
}

/** The signed-in user as explain names them: their username where the role may read it, else `user <id>`. */
async function signedInUser(client: ClientBase, app: AppDefinition, who: SignedIn): Promise<IdentityUser> {
  const { users } = app.identity;
  const fallback = { id: who.userId, username: `user ${who.userId}`, status: users.activeStatus, roles: [who.role] };
  if (!users.username) return fallback;
  await client.query("savepoint gatehouse_own_user");
  try {
    const { rows } = await client.query<{ username: string }>(
      toDdl(sql`select u.${sql.identifier(users.username)}::text as username from ${sql.identifier(app.schema, users.table)} u
 where u.${sql.identifier(users.id)}::text = $1`),
      [who.userId],
    );
    await client.query("release savepoint gatehouse_own_user");
    return rows[0] ? { ...fallback, username: rows[0].username } : fallback;
  } catch {
    await client.query("rollback to savepoint gatehouse_own_user");
    return fallback;
  }
}
