import { decodeJwt } from "jose";
import { didYouMean, roleName, UnknownUserError, type GatehouseConfig, type IdentityUser } from "../../db";
import { formatLifetime } from "../auth";
import { devTokenSettings } from "../config";
import { signDevToken } from "../tokens";

/** What `gatehouse token` was asked for. */
export interface TokenRequest {
  readonly user: string;
  /** Unprefixed app role; the user's first role when omitted. */
  readonly role?: string;
  readonly channel?: string;
  /** jose time span, e.g. `1h`, `30m`, `7d`. */
  readonly expires?: string;
}

/** Finds a user of the project database by username (the identity users table), with their roles. */
export type UserLookup = (username: string) => Promise<IdentityUser>;

/** Who the token is for: id, the app roles they hold, and why the database would show them nothing, if it would. */
interface TokenUser {
  readonly id: string | number;
  readonly username: string;
  readonly roles: readonly string[];
  readonly inactive?: string;
}

/**
 * Signs a development token for a persona of the project or, with `lookup`, for any user of its database (a
 * generated one, for load tests: `gatehouse generate`), verified by a development server with the same
 * environment (`JWT_SECRET`/`JWT_AUDIENCE`/`JWT_ISSUER`, or their development defaults). A persona of the config
 * is taken as the config says; any other username is looked up, with its roles from the database. Refused in
 * production, with the published secret when `HOST` is not a loopback address, and for a lifetime longer than
 * that server accepts (`JWT_MAX_LIFETIME`, default 24h).
 * A role the user does not hold, or a user who is not active, is signed all the same (with `warning` set): the
 * database then shows nothing, which is worth trying.
 *
 * @example
 * const { token } = await devToken(loadConfig(), { user: "dr_ada", channel: "mobile" }, process.env);
 * const { token: generated } = await devToken(config, { user: "doctor_120" }, process.env, (name) => lookUp(name));
 */
export async function devToken(
  config: GatehouseConfig,
  request: TokenRequest,
  env: NodeJS.ProcessEnv,
  lookup?: UserLookup,
): Promise<{ token: string; warning?: string }> {
  const settings = devTokenSettings(env);
  const user = await tokenUser(config, request.user, lookup);
  const role = request.role ?? user.roles[0];
  if (!role) throw new Error(`${user.username} holds no app role: pass --role`);
  if (!config.app.roles.some((r) => r.name === role))
    throw new Error(`no app role "${role}"; roles: ${config.app.roles.map((r) => r.name).join(", ")}`);
  const token = await signDevToken(settings, {
    userId: user.id,
    role: roleName(config.app, role),
    ...(request.channel ? { channel: request.channel } : {}),
    ...(request.expires ? { expiresIn: request.expires } : {}),
  });
  const { exp, iat } = decodeJwt(token); // the span as jose read it
  if (exp! - iat! > settings.maxLifetimeSeconds) {
    const max = formatLifetime(settings.maxLifetimeSeconds);
    throw new Error(
      `--expires ${request.expires ?? "1h"} is longer than the server allows: tokens live at most ${max} (JWT_MAX_LIFETIME); pass --expires ${max} or less`,
    );
  }
  const nothing = "the database will show this token nothing";
  if (!user.roles.includes(role)) return { token, warning: `${user.username} does not hold ${role}: ${nothing}` };
  if (user.inactive) return { token, warning: `${user.username} is ${user.inactive}: ${nothing}` };
  return { token };
}

/** The persona named `username`, else the database's user of that name (through `lookup`). */
async function tokenUser(config: GatehouseConfig, username: string, lookup: UserLookup | undefined): Promise<TokenUser> {
  const personas = config.personas ?? [];
  const persona = personas.find((p) => p.username === username);
  if (persona) return persona;
  if (!lookup)
    throw new Error(
      `no persona "${username}"; known: ${personas.map((p) => p.username).join(", ") || "none (add personas to gatehouse.config.ts)"}`,
    );
  const { app } = config;
  let user: IdentityUser;
  try {
    user = await lookup(username);
  } catch (error) {
    if (!(error instanceof UnknownUserError)) throw error;
    const suggestion = didYouMean(username, [...personas.map((p) => p.username), ...error.known]);
    throw new Error(
      `no persona or user "${username}" (neither in the config's personas nor in ${app.schema}.${app.identity.users.table})${
        suggestion || `: pass the username of a persona or of a user in ${app.schema}.${app.identity.users.table}`
      }`,
    );
  }
  const appRoles = new Set(app.roles.map((r) => r.name));
  const active = app.identity.users.activeStatus;
  return {
    id: user.id,
    username: user.username,
    roles: user.roles.filter((r) => appRoles.has(r)),
    ...(user.status === active ? {} : { inactive: `${user.status}, not ${active}` }),
  };
}
