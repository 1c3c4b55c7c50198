/**
 * The server's configuration from the environment, and development tokens (`gatehouse token`): clear errors
 * for what is missing, production refusing development shortcuts.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { crm } from "../../db/crm/roles";
import config from "../../gatehouse.config";
import {
  devToken,
  makeAuthenticator,
  ConfigError,
  describeMode,
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  DEV_JWT_SECRET,
  isLoopback,
  loadServerConfig,
  DEFAULT_LIMITS,
} from "../../server";

const problems = (env: Record<string, string>) => {
  try {
    loadServerConfig(crm, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
};

const PRODUCTION = {
  GATEHOUSE_ENV: "production",
  AUTHENTICATOR_DATABASE_URL: "postgres://crm_authenticator:pw@db:5432/gatehouse",
  JWT_JWKS_URL: "https://idp.example.com/jwks.json",
  JWT_AUDIENCE: "gatehouse",
  JWT_ISSUER: "https://idp.example.com/",
};

test("a developer with only DATABASE_URL and the authenticator's password gets the development defaults", () => {
  expect(
    loadServerConfig(crm, {
      DATABASE_URL: "postgres://postgres:owner@127.0.0.1:54329/gatehouse",
      AUTHENTICATOR_PASSWORD: "authenticator",
    }),
  ).toEqual({
    production: false,
    authenticatorUrl: "postgres://crm_authenticator:authenticator@127.0.0.1:54329/gatehouse",
    host: "127.0.0.1",
    port: 5678,
    auth: { secret: DEV_JWT_SECRET, audience: DEV_JWT_AUDIENCE, issuer: DEV_JWT_ISSUER, maxLifetimeSeconds: 86_400 },
    limits: DEFAULT_LIMITS,
    ruru: true,
    console: true,
    consoleTools: "authenticator",
    poolMax: 10,
    connectTimeoutMs: 5_000,
    preparedStatements: true,
  });
});

test("DB_CONNECT_TIMEOUT_MS sets how long a request waits for a connection; a wrong value is named", () => {
  expect(loadServerConfig(crm, { ...PRODUCTION, DB_CONNECT_TIMEOUT_MS: "1500" }).connectTimeoutMs).toBe(1_500);
  expect(problems({ ...PRODUCTION, DB_CONNECT_TIMEOUT_MS: "soon" })).toEqual([
    'DB_CONNECT_TIMEOUT_MS must be a whole number from 1 to 9007199254740991, not "soon"',
  ]);
});

test("PREPARED_STATEMENTS=off sends every query unnamed (for a transaction pooler); anything but on or off is named", () => {
  expect(loadServerConfig(crm, { ...PRODUCTION, PREPARED_STATEMENTS: "off" }).preparedStatements).toBe(false);
  expect(loadServerConfig(crm, { ...PRODUCTION, PREPARED_STATEMENTS: "on" }).preparedStatements).toBe(true);
  expect(problems({ ...PRODUCTION, PREPARED_STATEMENTS: "no" })).toEqual(['PREPARED_STATEMENTS must be on or off, not "no"']);
});

test("CONSOLE=off turns the access console off; it is on by default, in production too; anything but on or off is named", () => {
  expect(loadServerConfig(crm, PRODUCTION).console).toBe(true);
  expect(loadServerConfig(crm, { ...PRODUCTION, CONSOLE: "off" }).console).toBe(false);
  expect(problems({ ...PRODUCTION, CONSOLE: "maybe" })).toEqual(['CONSOLE must be on or off, not "maybe"']);
});

test("CONSOLE_TOOLS: explain, the matrix and the review run on the authenticator in production by default; off or CONSOLE=off leaves them out", () => {
  expect(loadServerConfig(crm, PRODUCTION).consoleTools).toBe("authenticator");
  expect(loadServerConfig(crm, { ...PRODUCTION, CONSOLE_TOOLS: "off" }).consoleTools).toBeUndefined();
  expect(loadServerConfig(crm, { ...PRODUCTION, CONSOLE: "off" }).consoleTools).toBeUndefined();
  expect(problems({ ...PRODUCTION, CONSOLE_TOOLS: "yes" })).toEqual(['CONSOLE_TOOLS must be on or off, not "yes"']);
});

test("with no database settings the error says what to set", () => {
  expect(problems({})).toEqual([
    "set AUTHENTICATOR_DATABASE_URL (postgres://crm_authenticator:<password>@host/db), or DATABASE_URL with AUTHENTICATOR_PASSWORD",
  ]);
  expect(problems({ DATABASE_URL: "postgres://postgres@db/gatehouse" })).toEqual([
    "AUTHENTICATOR_PASSWORD is required with DATABASE_URL: the server connects as crm_authenticator, never as the owner",
  ]);
});

test("production requires the identity provider's JWKS, audience and issuer, and refuses a shared secret and Ruru", () => {
  expect(problems(PRODUCTION)).toEqual([]);
  expect(
    problems({
      GATEHOUSE_ENV: "production",
      AUTHENTICATOR_DATABASE_URL: PRODUCTION.AUTHENTICATOR_DATABASE_URL,
      JWT_SECRET: "x".repeat(40),
      RURU: "on",
    }),
  ).toEqual([
    "JWT_SECRET is refused in production: verify tokens with the identity provider's keys (JWT_JWKS_URL)",
    "JWT_JWKS_URL is required in production (the identity provider's JWKS endpoint)",
    'JWT_AUDIENCE is required in production (the "aud" your identity provider puts in tokens for this API)',
    'JWT_ISSUER is required in production (the "iss" of your identity provider)',
    "RURU=on is refused in production: Ruru (GraphiQL) is a development tool",
  ]);
});

test("limits and ports are read as positive whole numbers, each wrong one named", () => {
  const env = {
    ...PRODUCTION,
    MAX_QUERY_DEPTH: "0",
    MAX_OPERATIONS: "two",
    MAX_BODY_BYTES: "1e3",
    STATEMENT_TIMEOUT_MS: "-5",
    PORT: "70000",
  };
  expect(problems(env)).toEqual([
    'PORT must be a whole number from 1 to 65535, not "70000"',
    'MAX_QUERY_DEPTH must be a whole number from 1 to 100, not "0"',
    'MAX_OPERATIONS must be a whole number from 1 to 100, not "two"',
    'STATEMENT_TIMEOUT_MS must be a whole number from 1 to 9007199254740991, not "-5"',
  ]);
  expect(
    loadServerConfig(crm, {
      ...PRODUCTION,
      MAX_QUERY_DEPTH: "7",
      MAX_OPERATIONS: "1",
      MAX_BODY_BYTES: "2048",
      STATEMENT_TIMEOUT_MS: "900",
      REQUEST_TIMEOUT_MS: "2500",
    }).limits,
  ).toEqual({
    maxDepth: 7,
    maxOperations: 1,
    maxFields: 250,
    maxBodyBytes: 2048,
    statementTimeoutMs: 900,
    requestTimeoutMs: 2500,
  });
});

test("a short JWT secret is refused", () => {
  expect(problems({ AUTHENTICATOR_DATABASE_URL: PRODUCTION.AUTHENTICATOR_DATABASE_URL, JWT_SECRET: "short" })).toEqual([
    "JWT_SECRET must be at least 32 bytes long",
  ]);
});

describe("development mode runs on loopback only", () => {
  const DEVELOPER = { AUTHENTICATOR_DATABASE_URL: PRODUCTION.AUTHENTICATOR_DATABASE_URL };
  const OWN_SECRET = "a-secret-of-our-own-at-least-32-bytes-long";

  test("loopback is 127.0.0.0/8, ::1 and localhost; every other address or name counts as reachable", () => {
    const hosts = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "0.0.0.0", "::", "192.168.1.20"];
    expect(Object.fromEntries(hosts.map((h) => [h, isLoopback(h)]))).toEqual({
      "127.0.0.1": true,
      "127.8.9.10": true,
      "::1": true,
      "[::1]": true,
      "::ffff:127.0.0.1": true,
      localhost: true,
      "0.0.0.0": false,
      "::": false,
      "192.168.1.20": false,
    });
    expect([isLoopback("127.1"), isLoopback("db.internal"), isLoopback("localhost.example.com")]).toEqual([false, false, false]);
  });

  test("the server refuses to start on 0.0.0.0 with the published development secret", () => {
    expect(problems({ ...DEVELOPER, HOST: "0.0.0.0" })).toEqual([
      "HOST=0.0.0.0 is not a loopback address: without JWT_SECRET or JWT_JWKS_URL the server would accept tokens signed with the development secret published in this repository; set JWT_SECRET (32 bytes or more, your own) or JWT_JWKS_URL, or listen on 127.0.0.1",
    ]);
    expect(problems({ ...DEVELOPER, HOST: "192.168.1.20", JWT_SECRET: DEV_JWT_SECRET })).toEqual([
      "JWT_SECRET is the development secret published in this repository: refused on HOST=192.168.1.20, which is not a loopback address; set a secret of your own (32 bytes or more) or listen on 127.0.0.1",
    ]);
    expect(() => loadServerConfig(crm, { ...DEVELOPER, HOST: "0.0.0.0" })).toThrow(
      /^the API server is not configured:\n {2}- HOST=0\.0\.0\.0 is not a loopback address: /,
    );
  });

  test("a configured secret on 0.0.0.0 is accepted, with Ruru off", () => {
    const config = loadServerConfig(crm, { ...DEVELOPER, HOST: "0.0.0.0", JWT_SECRET: OWN_SECRET });
    expect([config.production, config.host, config.auth.secret, config.ruru]).toEqual([false, "0.0.0.0", OWN_SECRET, false]);
    expect(loadServerConfig(crm, { ...DEVELOPER, HOST: "0.0.0.0", JWT_JWKS_URL: PRODUCTION.JWT_JWKS_URL }).auth).toEqual({
      jwksUrl: PRODUCTION.JWT_JWKS_URL,
      audience: DEV_JWT_AUDIENCE,
      issuer: DEV_JWT_ISSUER,
      maxLifetimeSeconds: 86_400,
    });
  });

  test("RURU=on is refused on a reachable address; on loopback it is on unless RURU=off", () => {
    expect(problems({ ...DEVELOPER, HOST: "0.0.0.0", JWT_SECRET: OWN_SECRET, RURU: "on" })).toEqual([
      "RURU=on is refused on HOST=0.0.0.0, which is not a loopback address: Ruru (GraphiQL) is a development tool; listen on 127.0.0.1 or leave RURU unset",
    ]);
    expect(loadServerConfig(crm, { ...DEVELOPER, HOST: "::1" }).ruru).toBe(true);
    expect(loadServerConfig(crm, { ...DEVELOPER, RURU: "off" }).ruru).toBe(false);
  });

  test("development mode is announced in one line", () => {
    expect(describeMode(loadServerConfig(crm, DEVELOPER))).toBe(
      "development mode on 127.0.0.1: tokens signed with the published development secret are accepted; Ruru at /graphiql. Not for a reachable server.",
    );
    expect(describeMode(loadServerConfig(crm, { ...DEVELOPER, RURU: "off" }))).toBe(
      "development mode on 127.0.0.1: tokens signed with the published development secret are accepted; Ruru off. Not for a reachable server.",
    );
    expect(describeMode(loadServerConfig(crm, { ...DEVELOPER, HOST: "0.0.0.0", JWT_SECRET: OWN_SECRET }))).toBe(
      "development settings on 0.0.0.0: HS256 tokens signed with JWT_SECRET are accepted; Ruru off.",
    );
    expect(describeMode(loadServerConfig(crm, PRODUCTION))).toBe(
      "production mode on 0.0.0.0: RS256/ES256 tokens signed by the keys at https://idp.example.com/jwks.json are accepted; Ruru off.",
    );
  });
});

test("JWT_MAX_LIFETIME is a whole number with s, m, h or d; one day when unset", () => {
  const lifetime = (value: string) => loadServerConfig(crm, { ...PRODUCTION, JWT_MAX_LIFETIME: value }).auth.maxLifetimeSeconds;
  expect([lifetime(""), lifetime("90s"), lifetime("15m"), lifetime("12h"), lifetime("7d")]).toEqual([
    86_400, 90, 900, 43_200, 604_800,
  ]);
  expect(["0h", "24", "1 day", "1.5h"].flatMap((value) => problems({ ...PRODUCTION, JWT_MAX_LIFETIME: value }))).toEqual([
    'JWT_MAX_LIFETIME must be a whole number with s, m, h or d, such as 15m, 24h or 7d, not "0h"',
    'JWT_MAX_LIFETIME must be a whole number with s, m, h or d, such as 15m, 24h or 7d, not "24"',
    'JWT_MAX_LIFETIME must be a whole number with s, m, h or d, such as 15m, 24h or 7d, not "1 day"',
    'JWT_MAX_LIFETIME must be a whole number with s, m, h or d, such as 15m, 24h or 7d, not "1.5h"',
  ]);
});

describe("development tokens", () => {
  const verify = (token: string) =>
    makeAuthenticator(crm, { secret: DEV_JWT_SECRET, audience: DEV_JWT_AUDIENCE, issuer: DEV_JWT_ISSUER })(`Bearer ${token}`);

  test("gatehouse token --user rita --channel mobile prints a token the development server accepts as rita on mobile", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "server/cli.ts", "token", "--user", "rita", "--channel", "mobile"],
      {
        env: { ...process.env, GATEHOUSE_ENV: "development", HOST: "", JWT_SECRET: "", JWT_AUDIENCE: "", JWT_ISSUER: "" },
      },
    );
    expect(await verify(stdout.trim())).toEqual({ role: "crm_sales_rep", userId: "4", channel: "mobile" });
  });

  test("a token for a role the user does not hold is signed with a warning", async () => {
    const { token, warning } = await devToken(config, { user: "rita", role: "finance" }, {});
    expect(warning).toBe("rita does not hold finance: the database will show this token nothing");
    expect(await verify(token)).toEqual({ role: "crm_finance", userId: "4", channel: null });
  });

  test("an unknown user or role is refused, and so is any token in production", async () => {
    await expect(devToken(config, { user: "zoe" }, {})).rejects.toThrow(/^no persona "zoe"; known: dana, erin, sam, rita/);
    await expect(devToken(config, { user: "rita", role: "ceo" }, {})).rejects.toThrow(
      /^no app role "ceo"; roles: sales_rep, intern/,
    );
    await expect(devToken(config, { user: "rita" }, { GATEHOUSE_ENV: "production" })).rejects.toThrow(
      "development tokens are refused in production: tokens come from your identity provider",
    );
  });

  test("gatehouse token --expires 7d is refused, naming the limit and the setting; under JWT_MAX_LIFETIME=7d it is signed", async () => {
    await expect(devToken(config, { user: "rita", expires: "7d" }, {})).rejects.toThrow(
      "--expires 7d is longer than the server allows: tokens live at most 24h (JWT_MAX_LIFETIME); pass --expires 24h or less",
    );
    await expect(devToken(config, { user: "rita" }, { JWT_MAX_LIFETIME: "15m" })).rejects.toThrow(
      "--expires 1h is longer than the server allows: tokens live at most 15m (JWT_MAX_LIFETIME); pass --expires 15m or less",
    );
    const { token } = await devToken(config, { user: "rita", expires: "7d" }, { JWT_MAX_LIFETIME: "7d" });
    expect(decodeJwt(token).exp! - decodeJwt(token).iat!).toBe(7 * 86_400);
    const { token: twelveHours } = await devToken(config, { user: "rita", expires: "12h" }, {});
    expect(await verify(twelveHours)).toEqual({ role: "crm_sales_rep", userId: "4", channel: null });
  });

  test("gatehouse token with the published secret is refused when HOST is not a loopback address", async () => {
    await expect(devToken(config, { user: "rita" }, { HOST: "0.0.0.0" })).rejects.toThrow(
      "development tokens signed with the published secret are refused with HOST=0.0.0.0, which is not a loopback address: set JWT_SECRET to the server's own secret, or listen on 127.0.0.1",
    );
    await expect(devToken(config, { user: "rita" }, { HOST: "0.0.0.0", JWT_SECRET: DEV_JWT_SECRET })).rejects.toThrow(
      /^development tokens signed with the published secret are refused with HOST=0\.0\.0\.0/,
    );
    const { token } = await devToken(config, { user: "rita" }, { HOST: "0.0.0.0", JWT_SECRET: "x".repeat(32) });
    expect(decodeJwt(token).sub).toBe("4");
  });
});
