import { BlockList, isIP } from "node:net";
import { roleName, type AppDefinition } from "../db";
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, formatLifetime, type AuthSettings } from "./auth";
import { DEFAULT_LIMITS, type Limits } from "./limits";

/** Everything the API server reads from its environment, checked. */
export interface ServerConfig {
  readonly production: boolean;
  /** Connection as the app's authenticator role (LOGIN NOINHERIT, member of every app role). */
  readonly authenticatorUrl: string;
  readonly host: string;
  readonly port: number;
  readonly auth: AuthSettings;
  readonly limits: Limits;
  /** Serve Ruru (GraphiQL) at /graphiql: development on a loopback address only. */
  readonly ruru: boolean;
  /** Serve the access console at /console/ (it calls the API with the signed-in user's own token). */
  readonly console: boolean;
  /**
   * With the console: explain, the access matrix and the review on the server's own authenticator pool, acting as the
   * signed-in user (`CONSOLE_TOOLS`, on unless off); absent when off.
   */
  readonly consoleTools?: "authenticator";
  /** Connections the server may hold. */
  readonly poolMax: number;
  /** How long a request waits for a database connection (a free one, or a new one being made), ms. */
  readonly connectTimeoutMs: number;
  /** Named prepared statements (PostGraphile's default); off for a transaction pooler. */
  readonly preparedStatements: boolean;
  /** `VIEW_AS_SECRET`: the key view-as tokens are signed with (absent: random for this process). */
  readonly viewAsSecret?: string;
}

/** A configuration the server cannot start with; the message lists every problem and how to fix it. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the API server is not configured:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** The API's port when `PORT` is not set. */
export const DEFAULT_PORT = 5678;
/** How long a request waits for a database connection when `DB_CONNECT_TIMEOUT_MS` is not set. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Development-only HS256 secret, shared by `npm start`, `gatehouse token` and `gatehouse serve`. It is published
 * in this repository, so it is accepted only by a development server on a loopback address; refused in production.
 */
export const DEV_JWT_SECRET = "gatehouse-development-secret-do-not-use-in-production";
export const DEV_JWT_AUDIENCE = "gatehouse";
export const DEV_JWT_ISSUER = "gatehouse-dev";

/** The environment variables the server reads, with what each means (the README and the compose test use this list). */
export const SERVER_ENV = {
  GATEHOUSE_ENV: "production or development (default: production when NODE_ENV=production)",
  AUTHENTICATOR_DATABASE_URL: "connection URL as the authenticator role",
  DATABASE_URL:
    "owner's connection URL; with AUTHENTICATOR_PASSWORD, the server connects to the same database as the authenticator",
  AUTHENTICATOR_PASSWORD: "the authenticator's password, when AUTHENTICATOR_DATABASE_URL is not given",
  HOST: "address to listen on (default 127.0.0.1; 0.0.0.0 in production); development mode needs a loopback address",
  PORT: `port to listen on (default ${DEFAULT_PORT})`,
  JWT_SECRET: "HS256 secret, at least 32 bytes (development only); this or JWT_JWKS_URL is required off a loopback address",
  JWT_JWKS_URL: "JWKS URL of the identity provider (RS256/ES256); required in production",
  JWT_AUDIENCE: `required "aud" of tokens (default ${DEV_JWT_AUDIENCE} in development)`,
  JWT_ISSUER: `required "iss" of tokens (default ${DEV_JWT_ISSUER} in development)`,
  JWT_MAX_LIFETIME: `longest token lifetime accepted, as a whole number with s, m, h or d: 15m, 24h, 7d (default ${formatLifetime(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS)})`,
  MAX_QUERY_DEPTH: `deepest field nesting (default ${DEFAULT_LIMITS.maxDepth})`,
  MAX_OPERATIONS: `operations per request document (default ${DEFAULT_LIMITS.maxOperations})`,
  MAX_FIELDS: `fields one operation may select, each alias and fragment spread counted (default ${DEFAULT_LIMITS.maxFields})`,
  MAX_BODY_BYTES: `largest request body (default ${DEFAULT_LIMITS.maxBodyBytes})`,
  STATEMENT_TIMEOUT_MS: `statement timeout of each request, ms (default ${DEFAULT_LIMITS.statementTimeoutMs})`,
  REQUEST_TIMEOUT_MS: `deadline of each request across all its statements, ms (default ${DEFAULT_LIMITS.requestTimeoutMs})`,
  DB_POOL_MAX: "database connections the server may hold (default 10)",
  DB_CONNECT_TIMEOUT_MS: `how long a request waits for a database connection before it gets 503, ms (default ${DEFAULT_CONNECT_TIMEOUT_MS})`,
  PREPARED_STATEMENTS:
    "on or off (default on): off sends every query unnamed, so the server works through a transaction pooler (PgBouncer in transaction mode)",
  CONSOLE:
    "serve the access console at /console/: on or off (default on); it calls the API with the signed-in user's own token, and offers persona sign-in only in development on a loopback address",
  CONSOLE_TOOLS:
    "with CONSOLE=on: on or off (default on). On, the console offers every signed-in user explain of a row they can see, and reviewers (active users holding a role that reads every user) the access matrix with the drift the catalog shows and the access review; all through the server's own authenticator connection, acting as the signed-in user under row security",
  VIEW_AS_SECRET:
    "HS256 secret, at least 32 bytes, this server signs view-as tokens with (role viewAs); the same on every instance behind one load balancer (default: random per process, so a restart ends every view)",
  RURU: "serve Ruru (GraphiQL) at /graphiql: on or off (default on in development on a loopback address; otherwise off, and on is refused)",
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and checks the server's configuration from `env`. In development the JWT settings default to the
 * published development secret, audience and issuer — on a loopback `HOST` only: elsewhere `JWT_SECRET` (not the
 * published one) or `JWT_JWKS_URL` is required, and Ruru is off. In production a JWKS URL, audience and issuer
 * are required and a shared secret or Ruru is refused. Throws a {@link ConfigError} naming every missing or
 * invalid variable.
 *
 * @example
 * const config = loadServerConfig(app, process.env);
 */
export function loadServerConfig(app: AppDefinition, env: Env): ServerConfig {
  const problems: string[] = [];
  const mode = env.GATEHOUSE_ENV ?? (env.NODE_ENV === "production" ? "production" : "development");
  if (mode !== "production" && mode !== "development")
    problems.push(`GATEHOUSE_ENV must be production or development, not "${mode}"`);
  const production = mode === "production";
  const int = (name: keyof typeof SERVER_ENV, fallback: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0 || n > max) problems.push(`${name} must be a whole number from 1 to ${max}, not "${raw}"`);
    return n;
  };
  const onOff = (name: keyof typeof SERVER_ENV, fallback: boolean) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    if (raw !== "on" && raw !== "off") problems.push(`${name} must be on or off, not "${raw}"`);
    return raw === "on";
  };
  const host = env.HOST || (production ? "0.0.0.0" : "127.0.0.1");
  const loopback = isLoopback(host);
  const authenticatorUrl = authenticatorUrlOf(app, env, problems);
  const auth = authOf(env, production, problems);
  if (!production && !loopback) problems.push(...unpublishedSecretProblems(env, host));
  const ruruSetting = env.RURU ?? (production || !loopback ? "off" : "on");
  if (ruruSetting !== "on" && ruruSetting !== "off") problems.push(`RURU must be on or off, not "${ruruSetting}"`);
  if (production && ruruSetting === "on")
    problems.push("RURU=on is refused in production: Ruru (GraphiQL) is a development tool");
  else if (!loopback && ruruSetting === "on")
    problems.push(
      `RURU=on is refused on HOST=${host}, which is not a loopback address: Ruru (GraphiQL) is a development tool; listen on 127.0.0.1 or leave RURU unset`,
    );
  const consoleOn = onOff("CONSOLE", true);
  const config: ServerConfig = {
    production,
    authenticatorUrl,
    host,
    port: int("PORT", DEFAULT_PORT, 65_535),
    auth,
    limits: {
      maxDepth: int("MAX_QUERY_DEPTH", DEFAULT_LIMITS.maxDepth, 100),
      maxOperations: int("MAX_OPERATIONS", DEFAULT_LIMITS.maxOperations, 100),
      maxFields: int("MAX_FIELDS", DEFAULT_LIMITS.maxFields, 100_000),
      maxBodyBytes: int("MAX_BODY_BYTES", DEFAULT_LIMITS.maxBodyBytes),
      statementTimeoutMs: int("STATEMENT_TIMEOUT_MS", DEFAULT_LIMITS.statementTimeoutMs),
      requestTimeoutMs: int("REQUEST_TIMEOUT_MS", DEFAULT_LIMITS.requestTimeoutMs),
    },
    ruru: !production && ruruSetting === "on",
    console: consoleOn,
    ...(consoleOn && onOff("CONSOLE_TOOLS", true) ? { consoleTools: "authenticator" as const } : {}),
    poolMax: int("DB_POOL_MAX", 10, 1_000),
    connectTimeoutMs: int("DB_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT_MS),
    preparedStatements: onOff("PREPARED_STATEMENTS", true),
    ...(env.VIEW_AS_SECRET ? { viewAsSecret: env.VIEW_AS_SECRET } : {}),
  };
  if (env.VIEW_AS_SECRET && Buffer.byteLength(env.VIEW_AS_SECRET) < 32)
    problems.push("VIEW_AS_SECRET must be at least 32 bytes long (or leave it unset for a random key per process)");
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function authenticatorUrlOf(app: AppDefinition, env: Env, problems: string[]): string {
  if (env.AUTHENTICATOR_DATABASE_URL) return checkedUrl("AUTHENTICATOR_DATABASE_URL", env.AUTHENTICATOR_DATABASE_URL, problems);
  const owner = env.DATABASE_URL;
  if (!owner) {
    problems.push(
      `set AUTHENTICATOR_DATABASE_URL (postgres://${roleName(app, app.authenticator)}:<password>@host/db), or DATABASE_URL with AUTHENTICATOR_PASSWORD`,
    );
    return "";
  }
  const url = checkedUrl("DATABASE_URL", owner, problems);
  if (!url) return "";
  if (!env.AUTHENTICATOR_PASSWORD) {
    problems.push(
      `AUTHENTICATOR_PASSWORD is required with DATABASE_URL: the server connects as ${roleName(app, app.authenticator)}, never as the owner`,
    );
    return "";
  }
  const u = new URL(url);
  u.username = roleName(app, app.authenticator);
  u.password = env.AUTHENTICATOR_PASSWORD;
  return u.toString();
}

function checkedUrl(name: string, value: string, problems: string[]): string {
  try {
    const u = new URL(value);
    if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new Error();
    return value;
  } catch {
    problems.push(`${name} must be a postgres:// URL`);
    return "";
  }
}

/**
 * The HS256 settings development tokens are signed with: `JWT_SECRET`, `JWT_AUDIENCE` and `JWT_ISSUER` when
 * set, else the development defaults — the same ones a development server verifies with — and the longest
 * lifetime that server accepts (`JWT_MAX_LIFETIME`). Throws in production, for an invalid `JWT_MAX_LIFETIME`,
 * and for the published secret when `HOST` is not a loopback address (no server there accepts it).
 *
 * @example
 * await signDevToken(devTokenSettings(process.env), { userId: 4, role: "clinic_doctor" });
 */
export function devTokenSettings(env: Env): { secret: string; audience: string; issuer: string; maxLifetimeSeconds: number } {
  if ((env.GATEHOUSE_ENV ?? (env.NODE_ENV === "production" ? "production" : "development")) === "production") {
    throw new Error("development tokens are refused in production: tokens come from your identity provider");
  }
  const secret = env.JWT_SECRET || DEV_JWT_SECRET;
  if (secret === DEV_JWT_SECRET && env.HOST && !isLoopback(env.HOST)) {
    throw new Error(
      `development tokens signed with the published secret are refused with HOST=${env.HOST}, which is not a loopback address: set JWT_SECRET to the server's own secret, or listen on 127.0.0.1`,
    );
  }
  const problems: string[] = [];
  const maxLifetimeSeconds = maxLifetimeOf(env, problems);
  if (problems.length > 0) throw new Error(problems.join("; "));
  return { secret, audience: env.JWT_AUDIENCE || DEV_JWT_AUDIENCE, issuer: env.JWT_ISSUER || DEV_JWT_ISSUER, maxLifetimeSeconds };
}

/**
 * The line a starting server prints about its mode: where it listens, which tokens it accepts and whether Ruru
 * is on; development mode (the published secret) says it is not for a reachable server.
 *
 * @example
 * console.log(describeMode(loadServerConfig(app, process.env)));
 * // development mode on 127.0.0.1: tokens signed with the published development secret are accepted; Ruru at /graphiql. Not for a reachable server.
 */
export function describeMode(config: Pick<ServerConfig, "production" | "host" | "auth" | "ruru">): string {
  const { secret, jwksUrl } = config.auth;
  const published = secret === DEV_JWT_SECRET;
  const mode = config.production ? "production mode" : published ? "development mode" : "development settings";
  const tokens = published
    ? "tokens signed with the published development secret"
    : [
        ...(secret ? ["HS256 tokens signed with JWT_SECRET"] : []),
        ...(jwksUrl ? [`RS256/ES256 tokens signed by the keys at ${jwksUrl}`] : []),
      ].join(" and ");
  return `${mode} on ${config.host}: ${tokens} are accepted; ${config.ruru ? "Ruru at /graphiql" : "Ruru off"}.${published ? " Not for a reachable server." : ""}`;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * Whether `host` is a loopback address (127.0.0.0/8, ::1, including IPv4-mapped forms) or `localhost`: the
 * only places development mode may listen. Any other name or address counts as reachable.
 *
 * @example
 * isLoopback("127.0.0.1"); // true
 * isLoopback("0.0.0.0"); // false
 */
export function isLoopback(host: string): boolean {
  const address = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (address === "localhost") return true;
  const version = isIP(address);
  return version !== 0 && LOOPBACK.check(address, version === 6 ? "ipv6" : "ipv4");
}

/** Off a loopback address a development server must verify with keys of its own, not the published secret. */
function unpublishedSecretProblems(env: Env, host: string): string[] {
  if (env.JWT_SECRET === DEV_JWT_SECRET)
    return [
      `JWT_SECRET is the development secret published in this repository: refused on HOST=${host}, which is not a loopback address; set a secret of your own (32 bytes or more) or listen on 127.0.0.1`,
    ];
  if (!env.JWT_SECRET && !env.JWT_JWKS_URL)
    return [
      `HOST=${host} is not a loopback address: without JWT_SECRET or JWT_JWKS_URL the server would accept tokens signed with the development secret published in this repository; set JWT_SECRET (32 bytes or more, your own) or JWT_JWKS_URL, or listen on 127.0.0.1`,
    ];
  return [];
}

const SPAN = /^(\d+)(s|m|h|d)$/;
const SPAN_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** `JWT_MAX_LIFETIME` in seconds: a whole number with a unit (`15m`, `24h`, `7d`); one day when unset. */
function maxLifetimeOf(env: Env, problems: string[]): number {
  const raw = env.JWT_MAX_LIFETIME;
  if (raw === undefined || raw === "") return DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const match = SPAN.exec(raw);
  const seconds = match ? Number(match[1]) * SPAN_SECONDS[match[2] as keyof typeof SPAN_SECONDS] : 0;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    problems.push(`JWT_MAX_LIFETIME must be a whole number with s, m, h or d, such as 15m, 24h or 7d, not "${raw}"`);
    return DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  }
  return seconds;
}

function authOf(env: Env, production: boolean, problems: string[]): AuthSettings {
  const jwksUrl = env.JWT_JWKS_URL || undefined;
  let secret = env.JWT_SECRET || undefined;
  if (production) {
    if (secret)
      problems.push("JWT_SECRET is refused in production: verify tokens with the identity provider's keys (JWT_JWKS_URL)");
    if (!jwksUrl) problems.push("JWT_JWKS_URL is required in production (the identity provider's JWKS endpoint)");
    if (!env.JWT_AUDIENCE)
      problems.push('JWT_AUDIENCE is required in production (the "aud" your identity provider puts in tokens for this API)');
    if (!env.JWT_ISSUER) problems.push('JWT_ISSUER is required in production (the "iss" of your identity provider)');
  } else if (!secret && !jwksUrl) {
    secret = DEV_JWT_SECRET;
  }
  if (secret && Buffer.byteLength(secret) < 32) problems.push("JWT_SECRET must be at least 32 bytes long");
  if (jwksUrl) {
    try {
      const u = new URL(jwksUrl);
      if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error();
    } catch {
      problems.push("JWT_JWKS_URL must be an http(s) URL");
    }
  }
  return {
    ...(secret ? { secret } : {}),
    ...(jwksUrl ? { jwksUrl } : {}),
    audience: env.JWT_AUDIENCE || DEV_JWT_AUDIENCE,
    issuer: env.JWT_ISSUER || DEV_JWT_ISSUER,
    maxLifetimeSeconds: maxLifetimeOf(env, problems),
  };
}
