import type { GatehouseConfig } from "../config";
import { roleName } from "../compile/names";
import { withClient } from "../runtime/client";
import { parseConnectionUrl } from "../runtime/connection-errors";
import { connectionUrl } from "../runtime/connection-url";
import { literal, sql, toDdl } from "../sql/ddl";
import type { ProjectDatabase } from "./database";

/** Password the demo gives the authenticator role in its own embedded cluster; development only. */
export const DEV_AUTHENTICATOR_PASSWORD = "authenticator";

/**
 * Gives the app's authenticator role a password (run as the owner), so the API server can log in as it.
 *
 * @example
 * await setAuthenticatorPassword(config, ownerUrl, process.env.AUTHENTICATOR_PASSWORD!);
 */
export async function setAuthenticatorPassword(config: GatehouseConfig, url: string, password: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      toDdl(sql`alter role ${sql.identifier(roleName(config.app, config.app.authenticator))} password ${literal(password)}`),
    ),
  );
}

/** Who asks for the authenticator's password, and what else the user can do, for the message when it is missing. */
export interface AuthenticatorRequester {
  /** e.g. `the demo`, `gatehouse export`. */
  readonly who: string;
  /** e.g. `start with --no-api`. */
  readonly otherwise: string;
}

/**
 * The password the authenticator logs in with. `AUTHENTICATOR_PASSWORD` when set. Otherwise, only in the demo's
 * own embedded cluster, the demo password — set here if the role has none (the migration just created it), never
 * over a password someone gave it. Through `DATABASE_URL` no credential is changed: the password must be given.
 *
 * @example
 * const password = await authenticatorPassword(config, db, { who: "the demo", otherwise: "start with --no-api" });
 */
export async function authenticatorPassword(
  config: GatehouseConfig,
  db: ProjectDatabase,
  requester: AuthenticatorRequester,
): Promise<string> {
  const fromEnv = process.env.AUTHENTICATOR_PASSWORD;
  if (fromEnv) return fromEnv;
  const role = roleName(config.app, config.app.authenticator);
  if (!db.embedded)
    throw new Error(
      `DATABASE_URL is set, so ${requester.who} does not touch ${role}'s password there: set AUTHENTICATOR_PASSWORD to its password ` +
        `(to give it one: AUTHENTICATOR_PASSWORD=… npx gatehouse authenticator-password), or ${requester.otherwise}`,
    );
  const { rows } = await withClient(db.url, (client) =>
    client.query<{ has: boolean }>("select rolpassword is not null as has from pg_catalog.pg_authid where rolname = $1", [role]),
  );
  if (!rows[0]?.has) await setAuthenticatorPassword(config, db.url, DEV_AUTHENTICATOR_PASSWORD);
  return DEV_AUTHENTICATOR_PASSWORD;
}

/**
 * The URL to log in as the app's authenticator, as the API server does: `AUTHENTICATOR_DATABASE_URL` when set,
 * else the project database's URL with the authenticator's user and {@link authenticatorPassword}.
 *
 * @example
 * const url = await authenticatorUrl(config, db, { who: "gatehouse export", otherwise: "set AUTHENTICATOR_DATABASE_URL" });
 */
export async function authenticatorUrl(
  config: GatehouseConfig,
  db: ProjectDatabase,
  requester: AuthenticatorRequester,
): Promise<string> {
  const given = process.env.AUTHENTICATOR_DATABASE_URL;
  if (given) {
    parseConnectionUrl("AUTHENTICATOR_DATABASE_URL", given);
    return given;
  }
  const password = await authenticatorPassword(config, db, requester);
  return connectionUrl(db.url, { user: roleName(config.app, config.app.authenticator), password });
}
