/**
 * The server's configuration from the environment, and development tokens (`gatehouse token`): clear errors
 * for what is missing, production refusing development shortcuts.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { crm } from "../../db/crm/roles";
import config from "../../gatehouse.config";
import { devToken } from "../../db/cli/token";
import { makeAuthenticator } from "../../server/auth";
import { ConfigError, DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET, loadServerConfig } from "../../server/config";
import { DEFAULT_LIMITS } from "../../server/limits";

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
    auth: { secret: DEV_JWT_SECRET, audience: DEV_JWT_AUDIENCE, issuer: DEV_JWT_ISSUER },
    limits: DEFAULT_LIMITS,
    ruru: true,
    poolMax: 10,
  });
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
    }).limits,
  ).toEqual({
    maxDepth: 7,
    maxOperations: 1,
    maxBodyBytes: 2048,
    statementTimeoutMs: 900,
  });
});

test("a short JWT secret is refused", () => {
  expect(problems({ AUTHENTICATOR_DATABASE_URL: PRODUCTION.AUTHENTICATOR_DATABASE_URL, JWT_SECRET: "short" })).toEqual([
    "JWT_SECRET must be at least 32 bytes long",
  ]);
});

describe("development tokens", () => {
  const verify = (token: string) =>
    makeAuthenticator(crm, { secret: DEV_JWT_SECRET, audience: DEV_JWT_AUDIENCE, issuer: DEV_JWT_ISSUER })(`Bearer ${token}`);

  test("gatehouse token --user rita --channel mobile prints a token the development server accepts as rita on mobile", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "db/cli/main.ts", "token", "--user", "rita", "--channel", "mobile"],
      {
        env: { ...process.env, GATEHOUSE_ENV: "development", JWT_SECRET: "", JWT_AUDIENCE: "", JWT_ISSUER: "" },
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
});
