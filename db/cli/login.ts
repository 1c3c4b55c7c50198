import { randomBytes } from "node:crypto";
import type { ClientBase } from "pg";
import type { GatehouseConfig } from "../config";
import type { AppDefinition } from "../policy/define";
import { didYouMean } from "../policy/suggest";
import { withClient } from "../runtime/client";
import { listLogins, type LoginStatus } from "../runtime/login-list";
import { describeLoginSettings, resolveLoginSettings, type LoginSettingsInput } from "../runtime/login-settings";
import { createRoleBoundLogin, disableLogin, loginName, rotateLoginPassword } from "../runtime/logins";
import { assertScramPassword } from "../runtime/scram";
import { findUser, type IdentityUser } from "./identity-user";
import { literal, sql, toDdl } from "../sql/ddl";

/** Shortest password `--password-stdin` accepts. */
export const MIN_PASSWORD_LENGTH = 12;

/** A new password: 32 crypto-random bytes, base64url (43 characters, safe in a connection URL). */
export const generatePassword = (): string => randomBytes(32).toString("base64url");

/** What `gatehouse login create` and `rotate` did; `password` is set only when gatehouse generated it. */
export interface LoginCredentials {
  readonly login: string;
  readonly username: string;
  readonly userId: string;
  readonly role: string;
  readonly password?: string;
  /** `postgres://<login>:<password>@host:port/database`, with the text `<password>` in place of the password. */
  readonly url: string;
  /** The session settings, in words (create only). */
  readonly settings?: string;
  /** Rotate only: the login had been disabled and may log in again. */
  readonly reenabled?: boolean;
}

/**
 * `gatehouse login create <username> --role <role>`: a role-bound login for an active user who holds
 * `role`, refused when the login exists (`rotate` it). `password` from `--password-stdin`, else generated.
 * Settings: the defaults, then the config's `logins`, then `flags`. A refusal changes nothing.
 *
 * @example
 * const created = await createLogin(config, url, { username: "eve", role: "researcher" }); // created.password: shown once
 */
export async function createLogin(
  config: GatehouseConfig,
  url: string,
  request: { username: string; role: string; password?: string; flags?: LoginSettingsInput },
): Promise<LoginCredentials> {
  const { app } = config;
  const settings = resolveLoginSettings([
    { name: (key) => `logins.${key} in gatehouse.config.ts`, input: config.logins },
    { name: (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, input: request.flags },
  ]);
  if (!app.roles.some((r) => r.name === request.role))
    throw new Error(
      `no app role "${request.role}"${didYouMean(
        request.role,
        app.roles.map((r) => r.name),
      )}; roles: ${app.roles.map((r) => r.name).join(", ")}`,
    );
  const password = request.password === undefined ? generatePassword() : validPassword(request.password);
  return withClient(url, async (client) => {
    const user = await findUser(client, app, { username: request.username });
    requireActiveHolder(app, user, request.role);
    const login = loginName(app, user.username);
    if (await roleExists(client, login))
      throw new Error(
        `login ${login} exists: give it a new password with gatehouse login rotate ${user.username}, or disable it with gatehouse login disable ${user.username}`,
      );
    const created = await createRoleBoundLogin(client, app, {
      username: user.username,
      userId: user.id,
      role: request.role,
      password,
      settings,
    });
    return Object.freeze({
      login,
      username: user.username,
      userId: user.id,
      role: request.role,
      ...(request.password === undefined ? { password } : {}),
      url: loginUrl(url, login),
      settings: describeLoginSettings(settings, created.transactionTimeout),
    });
  });
}

/**
 * `gatehouse login rotate <username>`: a new password for an existing login, under the same rules as create
 * (the user active and holding the login's role); a disabled login may log in again afterwards.
 *
 * @example
 * const rotated = await rotateLogin(config, url, { username: "eve" }); // rotated.password: the new one, shown once
 */
export async function rotateLogin(
  config: GatehouseConfig,
  url: string,
  request: { username: string; password?: string },
): Promise<LoginCredentials> {
  const { app } = config;
  const password = request.password === undefined ? generatePassword() : validPassword(request.password);
  return withClient(url, async (client) => {
    const mapping = await findMapping(client, app, request.username);
    const user = await findUser(client, app, { id: mapping.userId });
    requireActiveHolder(app, user, mapping.role);
    await rotateLoginPassword(client, app, mapping.login, password);
    return Object.freeze({
      login: mapping.login,
      username: user.username,
      userId: user.id,
      role: mapping.role,
      ...(request.password === undefined ? { password } : {}),
      url: loginUrl(url, mapping.login),
      reenabled: !mapping.enabled,
    });
  });
}

/**
 * `gatehouse login disable <username>`: NOLOGIN, `disabled_at` recorded, its open sessions ended.
 *
 * @example
 * await disableUserLogin(config, url, "eve"); // { login: "clinic_login_eve", sessionsEnded: 1 }
 */
export async function disableUserLogin(
  config: GatehouseConfig,
  url: string,
  username: string,
): Promise<{ login: string; sessionsEnded: number }> {
  return withClient(url, async (client) => {
    const mapping = await findMapping(client, config.app, username);
    return { login: mapping.login, sessionsEnded: await disableLogin(client, config.app, mapping.login) };
  });
}

/** `gatehouse login list`: every mapped login with its state (see {@link listLogins}). */
export const listProjectLogins = (config: GatehouseConfig, url: string): Promise<LoginStatus[]> =>
  withClient(url, (client) => listLogins(client, config.app));

/**
 * The logins as a plain table, one line each, columns padded; times in UTC, `-` when not known.
 *
 * @example
 * console.log(loginTable(await listProjectLogins(config, url)));
 */
export function loginTable(logins: readonly LoginStatus[]): string {
  if (logins.length === 0) return "no role-bound logins: create one with gatehouse login create <username> --role <role>";
  const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19).replace("T", " ")}Z` : "-");
  const rows = [
    ["login", "user", "role", "state", "sessions", "last activity", "created", "rotated", "disabled"],
    ...logins.map((l) => [
      l.login,
      l.username ?? `#${l.userId}`,
      l.role,
      l.enabled ? "enabled" : "disabled",
      String(l.sessions),
      when(l.lastActivity),
      when(l.createdAt),
      when(l.rotatedAt),
      when(l.disabledAt),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function validPassword(password: string): string {
  assertScramPassword(password);
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new Error(
      `the password is ${password.length} characters long: use at least ${MIN_PASSWORD_LENGTH}, or leave out --password-stdin to get a generated one`,
    );
  return password;
}

/** Refuses a user who is not active or does not hold `role`, naming the fix. */
function requireActiveHolder(app: AppDefinition, user: IdentityUser, role: string): void {
  const { users, userRoles } = app.identity;
  if (user.status !== users.activeStatus)
    throw new Error(
      `user ${user.username} is ${user.status}, not ${users.activeStatus}: a login acts only for an active user; set ${app.schema}.${users.table}.${users.status} to '${users.activeStatus}' first`,
    );
  if (!user.roles.includes(role))
    throw new Error(
      `user ${user.username} does not hold the role ${role} (holds ${user.roles.join(", ") || "none"}): add (${user.id}, '${role}') to ${app.schema}.${userRoles.table} first${user.roles.length === 1 ? `, or pass --role ${user.roles[0]}` : ""}`,
    );
}

/** The mapping of `username`'s login; a clear error naming the existing logins when there is none. */
async function findMapping(
  client: ClientBase,
  app: AppDefinition,
  username: string,
): Promise<{ login: string; userId: string; role: string; enabled: boolean }> {
  const login = loginName(app, username);
  const logins = sql.identifier(app.toolkitSchema, "logins");
  const { rows } = await client.query<{ login: string; user_id: string; role: string; enabled: boolean | null }>(
    toDdl(sql`select l.login, l.user_id::text, l.role, r.rolcanlogin as enabled from ${logins} l
  left join pg_catalog.pg_roles r on r.rolname = l.login where l.login = ${literal(login)}`),
  );
  const mapping = rows[0];
  if (mapping && mapping.enabled !== null)
    return { login: mapping.login, userId: mapping.user_id, role: mapping.role, enabled: mapping.enabled };
  const prefix = loginName(app, "");
  const names = (await client.query<{ login: string }>(toDdl(sql`select login from ${logins} order by login`))).rows.map((r) =>
    r.login.slice(prefix.length),
  );
  throw new Error(
    `no login for "${username}"${didYouMean(username, names)}${names.length ? `; logins exist for ${names.join(", ")}` : ""}: create one with gatehouse login create ${username} --role <role>`,
  );
}

async function roleExists(client: ClientBase, name: string): Promise<boolean> {
  return ((await client.query("select 1 from pg_catalog.pg_roles where rolname = $1", [name])).rowCount ?? 0) > 0;
}

/** The connection URL of a login on the database `url` points to, with `<password>` for the password. */
function loginUrl(url: string, login: string): string {
  const target = new URL(url);
  return `postgres://${login}:<password>@${target.host}${target.pathname}`;
}
