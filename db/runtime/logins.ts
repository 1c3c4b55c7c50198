import type { ClientBase } from "pg";
import { roleName, roleSchemaName } from "../compile/names";
import type { AppDefinition } from "../policy/define";
import { applyStatements } from "../apply/apply";
import { literal, sql, type SQL } from "../sql/ddl";
import { DEFAULT_LOGIN_SETTINGS, type LoginSettings } from "./login-settings";
import { scramSha256Verifier } from "./scram";

/** A role-bound database login: a LOGIN role that acts as one user in one app role. */
export interface RoleBoundLogin {
  /** The login's database role name, e.g. `clinic_login_eve`. */
  readonly login: string;
  readonly userId: string | number;
  /** The unprefixed app role it acts in, e.g. `researcher`. */
  readonly role: string;
  /** Whether the server has `transaction_timeout` (PostgreSQL 17+), so it was set. */
  readonly transactionTimeout: boolean;
}

const USERNAME = /^[a-z_][a-z0-9_]*$/;

/** The database role name of a user's role-bound login: `<prefix>login_<username>`. */
export const loginName = (app: AppDefinition, username: string): string => `${app.rolePrefix}login_${username}`;

/** The mapping table of role-bound logins, `<toolkit schema>.logins`. */
const loginsTable = (app: AppDefinition): SQL => sql.identifier(app.toolkitSchema, "logins");

/**
 * Creates (or updates) a role-bound login for a BI tool or psql: a LOGIN role that inherits exactly
 * one app role (any other it held is revoked), mapped to one user in `<toolkit schema>.logins`, so the
 * helpers read its identity from `session_user`, with {@link LoginSettings} on its sessions (default
 * {@link DEFAULT_LOGIN_SETTINGS}; `settings` overrides some) and its app role's `select *` schema first on
 * its search_path. The password reaches the server only as a SCRAM-SHA-256 verifier computed here. Run as
 * an administrator; one transaction. It checks neither the user nor their roles: `gatehouse login create` does.
 *
 * @example
 * await createRoleBoundLogin(client, app, { username: "eve", userId: 14, role: "researcher", password: "secret" });
 */
export async function createRoleBoundLogin(
  client: ClientBase,
  app: AppDefinition,
  options: { username: string; userId: string | number; role: string; password: string; settings?: Partial<LoginSettings> },
): Promise<RoleBoundLogin> {
  const settings = { ...DEFAULT_LOGIN_SETTINGS, ...options.settings };
  for (const [name, value] of Object.entries(settings))
    if (name !== "readOnly" && (!Number.isInteger(value) || (value as number) <= 0))
      throw new Error(`login setting ${name} must be a positive whole number, not ${value}`);
  if (!app.roles.some((r) => r.name === options.role)) {
    throw new Error(`no app role "${options.role}": a login must act in one of ${app.roles.map((r) => r.name).join(", ")}`);
  }
  if (!USERNAME.test(options.username))
    throw new Error(`username "${options.username}" must be lowercase letters, digits and underscores to name a login`);
  const verifier = scramSha256Verifier(options.password);
  const transactionTimeout = await hasTransactionTimeout(client);
  const login = loginName(app, options.username);
  const ident = sql.identifier(login);
  const database = (await client.query<{ db: string }>("select current_database() as db")).rows[0]!.db;
  const statements = [
    sql`do $gh$ begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = ${literal(login)}) then
    create role ${ident} nologin inherit;
  end if;
end $gh$;`,
    sql`alter role ${ident} login inherit nobypassrls connection limit ${literal(settings.connectionLimit)} password ${literal(verifier)};`,
    sql`revoke ${sql.join(
      app.roles.map((r) => sql.identifier(roleName(app, r.name))),
      ", ",
    )} from ${ident};`,
    sql`grant ${sql.identifier(roleName(app, options.role))} to ${ident};`,
    sql`alter role ${ident} set search_path = ${sql.join(
      [roleSchemaName(app, options.role), app.schema].map((s) => sql.identifier(s)),
      ", ",
    )};`,
    sql`alter role ${ident} set default_transaction_read_only = ${literal(settings.readOnly ? "on" : "off")};`,
    sql`alter role ${ident} set statement_timeout = ${literal(settings.statementTimeoutMs)};`,
    sql`alter role ${ident} set idle_in_transaction_session_timeout = ${literal(settings.idleInTransactionTimeoutMs)};`,
    ...(transactionTimeout
      ? [sql`alter role ${ident} set transaction_timeout = ${literal(settings.transactionTimeoutMs)};`]
      : []),
    sql`grant connect on database ${sql.identifier(database)} to ${ident};`,
    sql`insert into ${loginsTable(app)} (login, user_id, role) values (${literal(login)}, ${literal(String(options.userId))}, ${literal(options.role)})
  on conflict (login) do update set user_id = excluded.user_id, role = excluded.role, rotated_at = pg_catalog.now(), disabled_at = null;`,
  ];
  await applyStatements(client, statements);
  return Object.freeze({ login, userId: options.userId, role: options.role, transactionTimeout });
}

/**
 * Gives an existing login a new password (sent as a SCRAM-SHA-256 verifier), lets it log in again if it was
 * disabled, and records `rotated_at`. Checks nothing about the user: `gatehouse login rotate` does.
 *
 * @example
 * await rotateLoginPassword(client, app, "clinic_login_eve", newPassword);
 */
export async function rotateLoginPassword(
  client: ClientBase,
  app: AppDefinition,
  login: string,
  password: string,
): Promise<void> {
  const verifier = scramSha256Verifier(password);
  const ident = sql.identifier(login);
  await applyStatements(client, [
    sql`alter role ${ident} login password ${literal(verifier)};`,
    sql`update ${loginsTable(app)} set rotated_at = pg_catalog.now(), disabled_at = null where login = ${literal(login)};`,
  ]);
}

/**
 * Disables a login: NOLOGIN and `disabled_at` recorded (kept from the first time) in one transaction, then
 * every open session of it ended with `pg_terminate_backend`. Returns how many sessions it ended.
 *
 * @example
 * await disableLogin(client, app, "clinic_login_eve"); // 1
 */
export async function disableLogin(client: ClientBase, app: AppDefinition, login: string): Promise<number> {
  await applyStatements(client, [
    sql`alter role ${sql.identifier(login)} nologin;`,
    sql`update ${loginsTable(app)} set disabled_at = coalesce(disabled_at, pg_catalog.now()) where login = ${literal(login)};`,
  ]);
  const { rows } = await client.query<{ ended: string }>(
    `select count(*) filter (where pg_catalog.pg_terminate_backend(pid)) as ended
       from pg_catalog.pg_stat_activity where usename = $1 and pid <> pg_catalog.pg_backend_pid()`,
    [login],
  );
  return Number(rows[0]!.ended);
}

async function hasTransactionTimeout(client: ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
  return Number(rows[0]!.v) >= 170000;
}
