import { randomBytes } from "node:crypto";
import { decodeJwt, errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Pool } from "pg";
import { HELPERS, roleName, sql, toDdl, VIEW_AS, type AppDefinition } from "../db";
import { AuthError, type Authenticate, type Identity, type ViewAsActor } from "./auth";

/** The `iss` of every view-as token: only this server signs them, with its own key, never the identity provider. */
export const VIEW_AS_ISSUER = "gatehouse-view-as";

const MIN_SECRET_BYTES = 32;
const CLOCK_TOLERANCE_SECONDS = 5;

/** How this server signs and checks view-as tokens: an HS256 key of its own and the audience its tokens carry. */
export interface ViewAsKey {
  readonly key: Uint8Array;
  readonly audience: string;
}

/**
 * The view-as signing key: `secret` (at least 32 bytes; give every instance behind one load balancer the same), else
 * 32 random bytes for this process only, so a restart ends every view.
 *
 * @example
 * const key = viewAsKey({ audience: "gatehouse" }); // random, this process only
 */
export function viewAsKey(options: { secret?: string; audience: string }): ViewAsKey {
  if (options.secret !== undefined && Buffer.byteLength(options.secret) < MIN_SECRET_BYTES)
    throw new Error(`the view-as secret must be at least ${MIN_SECRET_BYTES} bytes long`);
  const key = options.secret !== undefined ? new TextEncoder().encode(options.secret) : new Uint8Array(randomBytes(32));
  return Object.freeze({ key, audience: options.audience });
}

/** What a view-as token says: whom it acts as (user id, prefixed role), who views, the session, and when it ends. */
export interface ViewAsGrant {
  readonly userId: string;
  readonly role: string;
  readonly actor: ViewAsActor;
  readonly until: Date;
}

/**
 * Signs a view-as token: `sub` and `role` are the viewed user's, `act` names the viewer (`sub`, `role`) and `view_as`
 * the database session; it expires when the session does.
 *
 * @example
 * await signViewAsToken(key, { userId: "5", role: "clinic_nurse", actor: { userId: "1", role: "clinic_admin", session: "7" }, until });
 */
export function signViewAsToken(key: ViewAsKey, grant: ViewAsGrant): Promise<string> {
  return new SignJWT({
    role: grant.role,
    act: { sub: grant.actor.userId, role: grant.actor.role },
    view_as: grant.actor.session,
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(grant.userId)
    .setAudience(key.audience)
    .setIssuer(VIEW_AS_ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(grant.until.getTime() / 1000))
    .sign(key.key);
}

const DIGITS = /^[0-9]{1,18}$/;
const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9_.:@|+-]{0,63}$/;

/**
 * Wraps the server's authenticator so it also accepts this server's view-as tokens (issuer {@link VIEW_AS_ISSUER},
 * checked with the view-as key, at most one session long), giving them an identity with `actor`. Before each such
 * request it asks the database, as the request will run, whether the session still holds (its viewer active and
 * still allowed, its time not up): if not, the token is refused with 401 — the identity helper would show nothing
 * anyway. Every other token goes to `authenticate` unchanged.
 *
 * @example
 * const authenticate = viewAsAuthenticator(makeAuthenticator(app, auth), app, viewAsKey({ audience }), pool);
 */
export function viewAsAuthenticator(authenticate: Authenticate, app: AppDefinition, key: ViewAsKey, pool: Pool): Authenticate {
  const roles = new Set(app.roles.map((r) => roleName(app, r.name)));
  const live = toDdl(sql`select ${sql.identifier(app.toolkitSchema, HELPERS.userId)}(current_user) is not null as live`);
  return async (authorization) => {
    const token = /^Bearer +([^ ]+) *$/i.exec(authorization ?? "")?.[1];
    if (!token || issuerOf(token) !== VIEW_AS_ISSUER) return authenticate(authorization);
    const identity = identityOf(await verify(token, key), roles);
    if (!(await stillLive(pool, live, identity)))
      throw new AuthError(
        "your view as someone else has ended (its time is up, or you may no longer view as them): end the view",
      );
    return identity;
  };
}

function issuerOf(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

async function verify(token: string, key: ViewAsKey): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: ["HS256"],
      issuer: VIEW_AS_ISSUER,
      audience: key.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "iat", "sub"],
    });
    if (payload.exp! - payload.iat! > VIEW_AS.minutes * 60 + CLOCK_TOLERANCE_SECONDS)
      throw new AuthError("invalid view-as token: longer than a view lasts");
    return payload;
  } catch (error) {
    if (error instanceof AuthError) throw error;
    if (error instanceof errors.JWTExpired)
      throw new AuthError("your view as someone else has ended (its time is up): end the view");
    throw new AuthError("invalid view-as token: not signed by this server, or malformed");
  }
}

function identityOf(payload: JWTPayload, roles: ReadonlySet<string>): Identity {
  const { role, sub, act, view_as: session } = payload as JWTPayload & { role?: unknown; act?: unknown; view_as?: unknown };
  const actor = act as { sub?: unknown; role?: unknown } | undefined;
  if (
    typeof role !== "string" ||
    !roles.has(role) ||
    typeof sub !== "string" ||
    !SUBJECT.test(sub) ||
    typeof actor?.sub !== "string" ||
    !SUBJECT.test(actor.sub) ||
    typeof actor.role !== "string" ||
    !roles.has(actor.role) ||
    typeof session !== "string" ||
    !DIGITS.test(session)
  )
    throw new AuthError("invalid view-as token: malformed");
  return Object.freeze({
    role,
    userId: sub,
    channel: null,
    actor: Object.freeze({ userId: actor.sub, role: actor.role, session }),
  });
}

/** Whether the identity helper, run as the view-as request will run, still knows its user. */
async function stillLive(pool: Pool, live: string, identity: Identity): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query("begin read only");
    await client.query(
      "select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true), set_config($3, $4, true)",
      [identity.role, identity.userId, VIEW_AS.claim, identity.actor!.session],
    );
    return (await client.query<{ live: boolean }>(live)).rows[0]!.live;
  } finally {
    await client.query("rollback").catch(() => undefined);
    client.release();
  }
}
