import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { roleName, type AppDefinition } from "../db";

/** How tokens are verified: an HS256 secret (development), a JWKS URL (RS256/ES256, production), or both. */
export interface AuthSettings {
  /** Shared HS256 secret, at least 32 bytes. */
  readonly secret?: string;
  /** JWKS endpoint of the identity provider; RS256 and ES256 tokens are checked against its keys. */
  readonly jwksUrl?: string;
  /** Required `aud` claim. */
  readonly audience: string;
  /** Required `iss` claim. */
  readonly issuer: string;
  /** Leeway for `exp`/`nbf`/`iat`, in seconds. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Longest lifetime accepted, in seconds: `exp` no further than this from now (and from `iat`). Default one day. */
  readonly maxLifetimeSeconds?: number;
}

/** The longest token lifetime a server accepts when `JWT_MAX_LIFETIME` is not set: one day. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/**
 * A lifetime in seconds as a short span, in the largest of hours, minutes or seconds that divides it.
 *
 * @example
 * formatLifetime(86_400); // "24h"
 * formatLifetime(900); // "15m"
 */
export function formatLifetime(seconds: number): string {
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Who a request acts as, after its token was checked: what the server sets in the transaction. */
export interface Identity {
  /** Database role: a prefixed app role, or the anonymous role when no token was sent. */
  readonly role: string;
  /** `users.id` from the token's `sub`; null for anonymous requests. */
  readonly userId: string | null;
  /** The token's `channel` claim (e.g. `mobile`); null when absent. */
  readonly channel: string | null;
  /** Present on a view-as token (`server/view-as-tokens.ts`): who is viewing as this user, read only. */
  readonly actor?: ViewAsActor;
}

/** Who views the app as a request's user: their own user id and prefixed role, and the database's view-as session id. */
export interface ViewAsActor {
  readonly userId: string;
  readonly role: string;
  readonly session: string;
}

/**
 * A refused request: the HTTP status (401, or 503 when the keys cannot be fetched) and a short reason. The reason
 * goes into a `WWW-Authenticate` header, so it is kept to printable ASCII: anything else (a token's role claim
 * with a line break or non-Latin letters, which made Node refuse the header and left the request unanswered) is
 * written as a `\uXXXX` escape.
 */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly statusCode: 401 | 503 = 401,
  ) {
    super(printableAscii(message));
    this.name = "AuthError";
  }
}

const printableAscii = (text: string) =>
  text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** Reads the `Authorization` header of a request and returns its identity, or throws an {@link AuthError}. */
export type Authenticate = (authorization: string | undefined) => Promise<Identity>;

const HMAC_ALGORITHMS = ["HS256"];
const JWKS_ALGORITHMS = ["RS256", "ES256"];
const CHANNEL = /^[a-z][a-z0-9_-]{0,31}$/;
/**
 * What a `sub` may look like: a user id as identity providers write them (digits, a uuid, `auth0|abc`, an email),
 * at most 64 characters; never quotation marks, spaces, control characters or non-ASCII letters, which no key column of
 * ids needs and which would only reach the database's claim check (or fail its cast).
 */
const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9_.:@|+-]{0,63}$/;
const MIN_SECRET_BYTES = 32;

/**
 * Makes the request authenticator for an app: no `Authorization` header means the app's anonymous role;
 * otherwise a `Bearer` JWT whose signature, `exp`, `aud` and `iss` are checked with jose, whose lifetime is at
 * most `maxLifetimeSeconds` (its `exp` no further out from now, nor from its `iat` when it has one), whose
 * `role` is one of the app's roles (prefixed, e.g. `clinic_doctor`), whose `sub` is the user id (at most 64
 * characters: letters, digits and `_ . : @ | + -`), and whose
 * optional `channel` is a short lowercase word. Everything else is refused with a short message that reveals
 * no internals.
 *
 * @example
 * const authenticate = makeAuthenticator(app, { secret: process.env.JWT_SECRET, audience: "gatehouse", issuer: "gatehouse-dev" });
 * await authenticate(`Bearer ${token}`); // { role: "clinic_doctor", userId: "4", channel: null }
 */
export function makeAuthenticator(app: AppDefinition, settings: AuthSettings): Authenticate {
  const key = keyResolver(settings);
  const algorithms = [...(settings.secret ? HMAC_ALGORITHMS : []), ...(settings.jwksUrl ? JWKS_ALGORITHMS : [])];
  const roles = new Set(app.roles.map((r) => roleName(app, r.name)));
  const anonymous: Identity = Object.freeze({ role: roleName(app, app.anonymous), userId: null, channel: null });
  const clockTolerance = settings.clockToleranceSeconds ?? 5;
  const maxLifetime = settings.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  return async (authorization) => {
    if (authorization === undefined) return anonymous;
    const match = /^Bearer +([^ ]+) *$/i.exec(authorization);
    if (!match) throw new AuthError("expected an Authorization header of the form: Bearer <token>");
    const token = match[1]!;
    refuseUnsigned(token);
    const payload = await verify(token, key, {
      algorithms,
      audience: settings.audience,
      issuer: settings.issuer,
      clockTolerance,
    });
    refuseLongLived(payload, maxLifetime, clockTolerance);
    return identityOf(payload, roles);
  };
}

function keyResolver(settings: AuthSettings): JWTVerifyGetKey {
  if (!settings.secret && !settings.jwksUrl)
    throw new Error("token verification needs a secret (JWT_SECRET) or a JWKS URL (JWT_JWKS_URL)");
  if (settings.secret && Buffer.byteLength(settings.secret) < MIN_SECRET_BYTES) {
    throw new Error(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes long for HS256`);
  }
  const secret = settings.secret ? new TextEncoder().encode(settings.secret) : undefined;
  const jwks = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 3_000 }) : undefined;
  return (header, token) => {
    if (header.alg === "HS256" && secret) return secret;
    if (jwks) return jwks(header, token);
    throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
  };
}

function refuseUnsigned(token: string): void {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new AuthError("invalid token: malformed");
  }
  if (typeof alg !== "string" || alg.toLowerCase() === "none")
    throw new AuthError("invalid token: unsigned tokens (alg none) are refused");
}

/** A token whose `exp` is further out than the maximum lifetime, from now or from its `iat`, is refused. */
function refuseLongLived(payload: JWTPayload, maxLifetime: number, clockTolerance: number): void {
  const exp = payload.exp!; // required and checked to be a number by jose
  const now = Math.floor(Date.now() / 1000);
  const from = typeof payload.iat === "number" ? Math.min(now, payload.iat) : now;
  if (exp - from > maxLifetime + clockTolerance)
    throw new AuthError(`invalid token: lifetime longer than the server allows (max ${formatLifetime(maxLifetime)})`);
}

async function verify(token: string, key: JWTVerifyGetKey, options: Parameters<typeof jwtVerify>[2]): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, key, { ...options, requiredClaims: ["exp", "sub"] })).payload;
  } catch (error) {
    throw authErrorOf(error);
  }
}

/** A jose failure as a short, client-safe reason. */
function authErrorOf(error: unknown): AuthError {
  if (error instanceof errors.JWTExpired) return new AuthError("invalid token: expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason =
      error.claim === "aud"
        ? "wrong audience"
        : error.claim === "iss"
          ? "wrong issuer"
          : error.reason === "missing"
            ? `no "${error.claim}" claim`
            : `"${error.claim}" claim rejected`;
    return new AuthError(`invalid token: ${reason}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new AuthError("invalid token: signature verification failed");
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return new AuthError("invalid token: signing algorithm not accepted");
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthError("invalid token: signed by an unknown key");
  // anything but a jose verdict (a failed fetch of the JWKS) is the key source's fault, not the token's
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
    return new AuthError("token keys are unavailable; try again later", 503);
  }
  return new AuthError("invalid token: malformed");
}

function identityOf(payload: JWTPayload, roles: ReadonlySet<string>): Identity {
  const { role, sub, channel } = payload as JWTPayload & { role?: unknown; channel?: unknown };
  if (role === undefined) throw new AuthError('invalid token: no "role" claim');
  if (typeof role !== "string") throw new AuthError('invalid token: "role" must be one role name (a string)');
  if (!roles.has(role)) throw new AuthError(`invalid token: role "${role.slice(0, 64)}" is not an API role`);
  if (typeof sub !== "string" || !SUBJECT.test(sub)) throw new AuthError('invalid token: "sub" must be the user id');
  if (channel !== undefined && (typeof channel !== "string" || !CHANNEL.test(channel)))
    throw new AuthError('invalid token: "channel" must be a short lowercase word');
  return Object.freeze({ role, userId: sub, channel: channel ?? null });
}
