import { roleName, type AppDefinition } from "../db";
import { signDevToken } from "../server";

/** Who a token is for: a user id and an unprefixed app role. */
export interface TokenHolder {
  readonly userId: number | string;
  readonly role: string;
}

/**
 * Signs one development token per holder, in process (what `gatehouse token --user <username>` prints, without a
 * process per token), for a server started with the same `settings`; each lives `expiresIn` (default 1h).
 *
 * @example
 * const [rep, boss] = await mintTokens(app, settings, [{ userId: 120, role: "sales_rep" }, { userId: 7, role: "supervisor" }]);
 */
export function mintTokens(
  app: AppDefinition,
  settings: { secret: string; audience: string; issuer: string },
  holders: readonly TokenHolder[],
  expiresIn = "1h",
): Promise<string[]> {
  return Promise.all(holders.map((h) => signDevToken(settings, { userId: h.userId, role: roleName(app, h.role), expiresIn })));
}
