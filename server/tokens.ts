import { SignJWT } from "jose";

/** What a development token says: who, in which database role, through which channel, for how long. */
export interface TokenClaims {
  /** `users.id` of the user (becomes `sub`). */
  readonly userId: string | number;
  /** Prefixed database role, e.g. `clinic_doctor`. */
  readonly role: string;
  /** Optional request channel, e.g. `mobile`. */
  readonly channel?: string;
  /** Lifetime as jose reads it: `"1h"`, `"15m"`, `"7d"`; a negative span (`"-1m"`) makes an expired token. Default `"1h"`. */
  readonly expiresIn?: string;
}

/**
 * Signs an HS256 token the server accepts when it runs with the same secret, audience and issuer. For
 * development and tests: production tokens come from the identity provider whose JWKS the server reads.
 *
 * @example
 * const token = await signDevToken({ secret, audience: "gatehouse", issuer: "gatehouse-dev" }, { userId: 4, role: "clinic_doctor" });
 */
export async function signDevToken(
  settings: { secret: string; audience: string; issuer: string },
  claims: TokenClaims,
): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.channel ? { channel: claims.channel } : {}) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(claims.userId))
    .setAudience(settings.audience)
    .setIssuer(settings.issuer)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(settings.secret));
}
