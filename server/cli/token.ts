import { decodeJwt } from "jose";
import { roleName, type GatehouseConfig } from "../../db";
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

/**
 * Signs a development token for a persona of the project, verified by a development server with the same
 * environment (`JWT_SECRET`/`JWT_AUDIENCE`/`JWT_ISSUER`, or their development defaults). Refused in production,
 * with the published secret when `HOST` is not a loopback address, and for a lifetime longer than that server
 * accepts (`JWT_MAX_LIFETIME`, default 24h).
 * A role the user does not hold is signed all the same (with `warning` set): the database then shows nothing,
 * which is worth trying.
 *
 * @example
 * const { token } = await devToken(loadConfig(), { user: "dr_ada", channel: "mobile" }, process.env);
 */
export async function devToken(
  config: GatehouseConfig,
  request: TokenRequest,
  env: NodeJS.ProcessEnv,
): Promise<{ token: string; warning?: string }> {
  const settings = devTokenSettings(env);
  const persona = config.personas?.find((p) => p.username === request.user);
  if (!persona)
    throw new Error(
      `no persona "${request.user}"; known: ${(config.personas ?? []).map((p) => p.username).join(", ") || "none (add personas to gatehouse.config.ts)"}`,
    );
  const role = request.role ?? persona.roles[0];
  if (!role) throw new Error(`${persona.username} holds no role: pass --role`);
  if (!config.app.roles.some((r) => r.name === role))
    throw new Error(`no app role "${role}"; roles: ${config.app.roles.map((r) => r.name).join(", ")}`);
  const token = await signDevToken(settings, {
    userId: persona.id,
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
  return persona.roles.includes(role)
    ? { token }
    : { token, warning: `${persona.username} does not hold ${role}: the database will show this token nothing` };
}
