import type { ClientBase } from "pg";
import { roleName, roleSchemaName } from "../compile/names";
import type { AppDefinition } from "../policy/define";
import { literal, sql, toDdl } from "../sql/ddl";

/** A role-bound database login: a LOGIN role that acts as one user in one app role. */
export interface RoleBoundLogin {
  /** The login's database role name, e.g. `crm_login_ana`. */
  readonly login: string;
  readonly userId: string | number;
  /** The unprefixed app role it acts in, e.g. `analyst`. */
  readonly role: string;
}

/**
 * Bounds on a role-bound login's sessions, set on the role (`alter role … set`): how long one statement,
 * one transaction (PostgreSQL 17+), and a transaction left idle may last, in milliseconds. They bound how
 * long a repeatable-read transaction can keep the snapshot it started with — and with it the access of a
 * user frozen meanwhile.
 */
export interface SessionLimits {
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  /** `transaction_timeout`; ignored before PostgreSQL 17, which does not have it. */
  readonly transactionTimeoutMs: number;
}

/** A BI tool's limits unless told otherwise: 5 minutes a statement, 15 a transaction, 1 idle in one. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  statementTimeoutMs: 300_000,
  transactionTimeoutMs: 900_000,
  idleInTransactionTimeoutMs: 60_000,
});

/** The database role name of a user's role-bound login: `<prefix>login_<username>`. */
export const loginName = (app: AppDefinition, username: string): string => `${app.rolePrefix}login_${username}`;

/**
 * Creates (or updates) a role-bound login for a BI tool or psql: a LOGIN role that inherits exactly
 * one app role (any other it held is revoked), mapped to one user, so the helpers read its identity from `session_user`, with
 * {@link SessionLimits} on its sessions (default {@link DEFAULT_SESSION_LIMITS}). Run as an administrator; one transaction.
 *
 * @example
 * await createRoleBoundLogin(client, crm, { username: "ana", userId: 14, role: "analyst", password: "secret" });
 */
export async function createRoleBoundLogin(
  client: ClientBase,
  app: AppDefinition,
  options: { username: string; userId: string | number; role: string; password: string; limits?: Partial<SessionLimits> },
): Promise<RoleBoundLogin> {
  const limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
  for (const [name, ms] of Object.entries(limits))
    if (!Number.isInteger(ms) || ms <= 0)
      throw new Error(`login limit ${name} must be a positive whole number of milliseconds, not ${ms}`);
  const version = Number((await client.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]!.v);
  if (!app.roles.some((r) => r.name === options.role)) {
    throw new Error(`no app role "${options.role}": a login must act in one of ${app.roles.map((r) => r.name).join(", ")}`);
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(options.username))
    throw new Error(`username "${options.username}" must be lowercase letters, digits and underscores to name a login`);
  const login = loginName(app, options.username);
  const ident = sql.identifier(login);
  const logins = sql.identifier(app.toolkitSchema, "logins");
  const statements = [
    sql`do $gh$ begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = ${literal(login)}) then
    create role ${ident} login inherit;
  end if;
end $gh$;`,
    sql`alter role ${ident} login inherit nobypassrls password ${literal(options.password)};`,
    sql`revoke ${sql.join(
      app.roles.map((r) => sql.identifier(roleName(app, r.name))),
      ", ",
    )} from ${ident};`,
    sql`grant ${sql.identifier(roleName(app, options.role))} to ${ident};`,
    sql`alter role ${ident} set search_path = ${sql.join(
      [roleSchemaName(app, options.role), app.schema].map((s) => sql.identifier(s)),
      ", ",
    )};`,
    sql`alter role ${ident} set statement_timeout = ${literal(limits.statementTimeoutMs)};`,
    sql`alter role ${ident} set idle_in_transaction_session_timeout = ${literal(limits.idleInTransactionTimeoutMs)};`,
    ...(version >= 170000 ? [sql`alter role ${ident} set transaction_timeout = ${literal(limits.transactionTimeoutMs)};`] : []),
    sql`grant connect on database ${sql.identifier((await client.query<{ db: string }>("select current_database() as db")).rows[0]!.db)} to ${ident};`,
    sql`insert into ${logins} (login, user_id, role) values (${literal(login)}, ${literal(String(options.userId))}, ${literal(options.role)})
  on conflict (login) do update set user_id = excluded.user_id, role = excluded.role;`,
  ];
  await client.query("begin");
  try {
    for (const s of statements) await client.query(toDdl(s));
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
  return Object.freeze({ login, userId: options.userId, role: options.role });
}
