/**
 * Authentication over HTTP against a real server: HS256 development tokens, RS256 and ES256 tokens checked
 * against a JWKS served by a local HTTP server, and every refusal (401, short message, no internals).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { roleName } from "../../db";
import { makeAuthenticator } from "../../server";
import { column } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmApi, postGraphQL, TEST_AUTH, type CrmApi } from "./api";

let api: CrmApi;
let jwks: Server;
let rsa: CryptoKey;
let ec: CryptoKey;
let stranger: CryptoKey;

beforeAll(async () => {
  const rsaPair = await generateKeyPair("RS256", { extractable: true });
  const ecPair = await generateKeyPair("ES256", { extractable: true });
  stranger = (await generateKeyPair("RS256")).privateKey;
  rsa = rsaPair.privateKey;
  ec = ecPair.privateKey;
  const keys: JWK[] = [
    { ...(await exportJWK(rsaPair.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
    { ...(await exportJWK(ecPair.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
  ];
  jwks = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  api = await openCrmApi({ auth: { jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json` } });
});
afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

const CUSTOMERS = "{ allCustomers { nodes { rowId } } }";
const ids = (data: { allCustomers: { nodes: { rowId: string }[] } } | null | undefined) =>
  data!.allCustomers.nodes.map((n) => Number(n.rowId)).sort((a, b) => a - b);

/** A token with the test audience and issuer, signed by `key` with `alg`, carrying `claims`. */
function sign(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  alg: string,
  options: { kid?: string; expiresIn?: string; audience?: string; issuer?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, ...(options.kid ? { kid: options.kid } : {}) })
    .setAudience(options.audience ?? TEST_AUTH.audience)
    .setIssuer(options.issuer ?? TEST_AUTH.issuer)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "5m")
    .sign(key);
}

const hs256 = (claims: Record<string, unknown>, options: Parameters<typeof sign>[3] = {}) =>
  sign(claims, new TextEncoder().encode(TEST_AUTH.secret), "HS256", options);
const rita = () => ({ sub: "4", role: roleName(api.crm.app, "sales_rep") });

describe("accepted tokens", () => {
  test("rita's HS256 development token reads her customers", async () => {
    const { status, data } = await api.query(CUSTOMERS, { token: await api.token("rita") });
    expect(status).toBe(200);
    expect(ids(data as never)).toEqual(customerExpectation("rita").ids);
  });

  test("rita's RS256 token, checked against the JWKS, reads her customers", async () => {
    const { data } = await api.query(CUSTOMERS, { token: await sign(rita(), rsa, "RS256", { kid: "rsa-1" }) });
    expect(ids(data as never)).toEqual(customerExpectation("rita").ids);
  });

  test("fiona's ES256 token, checked against the JWKS, reads the finance customers", async () => {
    const token = await sign({ sub: "9", role: roleName(api.crm.app, "finance") }, ec, "ES256", { kid: "ec-1" });
    const { data } = await api.query(CUSTOMERS, { token });
    expect(ids(data as never)).toEqual(customerExpectation("fiona").ids);
  });
});

describe("refused tokens get 401 with a short reason", () => {
  const refusals: [string, () => Promise<string>, string | (() => string)][] = [
    [
      "a bad signature",
      async () => (await api.token("rita")).replace(/.{6}$/, "AAAAAA"),
      "invalid token: signature verification failed",
    ],
    [
      "alg none",
      async () =>
        `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...rita(), aud: TEST_AUTH.audience, iss: TEST_AUTH.issuer, exp: now() + 300 })}.`,
      "invalid token: unsigned tokens (alg none) are refused",
    ],
    ["an expired token", () => api.token("rita", { expiresIn: "-1m" }), "invalid token: expired"],
    [
      "a role that is not an API role",
      () => hs256({ sub: "4", role: "postgres" }),
      'invalid token: role "postgres" is not an API role',
    ],
    [
      "the authenticator's role",
      () => hs256({ sub: "4", role: roleName(api.crm.app, "authenticator") }),
      () => `invalid token: role "${roleName(api.crm.app, "authenticator")}" is not an API role`,
    ],
    [
      "a masking view's owner role",
      () => hs256({ sub: "12", role: roleName(api.crm.app, "view_marketing_export") }),
      () => `invalid token: role "${roleName(api.crm.app, "view_marketing_export")}" is not an API role`,
    ],
    [
      "an unprefixed role name",
      () => hs256({ sub: "4", role: "sales_rep" }),
      'invalid token: role "sales_rep" is not an API role',
    ],
    ["no role claim", () => hs256({ sub: "4" }), 'invalid token: no "role" claim'],
    ["no sub claim", () => hs256({ role: rita().role }), 'invalid token: no "sub" claim'],
    [
      "a channel that is not a short word",
      () => hs256({ ...rita(), channel: "Mobile; drop table" }),
      'invalid token: "channel" must be a short lowercase word',
    ],
    ["another audience", () => hs256(rita(), { audience: "someone-else" }), "invalid token: wrong audience"],
    ["another issuer", () => hs256(rita(), { issuer: "someone-else" }), "invalid token: wrong issuer"],
    [
      "an RS256 key not in the JWKS",
      () => sign(rita(), stranger, "RS256", { kid: "rsa-2" }),
      "invalid token: signed by an unknown key",
    ],
    [
      "an HS256 token signed with the public key (algorithm confusion)",
      async () => hs256Forged(),
      "invalid token: signature verification failed",
    ],
    ["garbage", async () => "not-a-jwt", "invalid token: malformed"],
  ];

  test.each(refusals)("%s", async (_what, makeToken, expected) => {
    const message = typeof expected === "string" ? expected : expected();
    const res = await fetch(`${api.server.url}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${await makeToken()}` },
      body: JSON.stringify({ query: CUSTOMERS }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
    );
    expect(await res.json()).toEqual({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] });
  });

  test("an Authorization header that is not a bearer token", async () => {
    const res = await postGraphQL(api.server.url, CUSTOMERS, { headers: { Authorization: "Basic cml0YTpyaXRh" } });
    expect(res).toEqual({
      status: 401,
      errors: [
        { message: "expected an Authorization header of the form: Bearer <token>", extensions: { code: "UNAUTHENTICATED" } },
      ],
    });
  });

  test("a server that verifies with a JWKS only refuses an HS256 token, whatever its secret", async () => {
    const jwksOnly = makeAuthenticator(api.crm.app, {
      jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/`,
      audience: TEST_AUTH.audience,
      issuer: TEST_AUTH.issuer,
    });
    await expect(jwksOnly(`Bearer ${await api.token("rita")}`)).rejects.toMatchObject({
      statusCode: 401,
      message: "invalid token: signing algorithm not accepted",
    });
    expect(await jwksOnly(`Bearer ${await sign(rita(), rsa, "RS256", { kid: "rsa-1" })}`)).toEqual({
      role: rita().role,
      userId: "4",
      channel: null,
    });
  });

  test("when the JWKS cannot be fetched, an RS256 token gets 503, not a pass", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const authenticate = makeAuthenticator(api.crm.app, { ...TEST_AUTH, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    await expect(authenticate(`Bearer ${await sign(rita(), rsa, "RS256", { kid: "rsa-1" })}`)).rejects.toMatchObject({
      statusCode: 503,
      message: "token keys are unavailable; try again later",
    });
  });
});

describe("tokens live at most JWT_MAX_LIFETIME (default 24h)", () => {
  const LONG = "invalid token: lifetime longer than the server allows (max 24h)";
  /** An HS256 token for rita expiring `exp` seconds from now, issued `iat` seconds from now (no `iat` when undefined). */
  const lived = (exp: number, iat?: number) => {
    const jwt = new SignJWT(rita())
      .setProtectedHeader({ alg: "HS256" })
      .setAudience(TEST_AUTH.audience)
      .setIssuer(TEST_AUTH.issuer)
      .setExpirationTime(now() + exp);
    return (iat === undefined ? jwt : jwt.setIssuedAt(now() + iat)).sign(new TextEncoder().encode(TEST_AUTH.secret));
  };
  const HOUR = 3_600;
  const authenticate = (settings: { maxLifetimeSeconds?: number } = {}) =>
    makeAuthenticator(api.crm.app, { ...TEST_AUTH, ...settings });

  test("a token valid for two days is refused with 401", async () => {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${await api.token("rita", { expiresIn: "2d" })}`,
      },
      body: JSON.stringify({ query: CUSTOMERS }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer error="invalid_token", error_description="${LONG}"`);
    expect(await res.json()).toEqual({ errors: [{ message: LONG, extensions: { code: "UNAUTHENTICATED" } }] });
  });

  test("a token valid for 24 hours, and npm start's 12-hour token, read rita's customers", async () => {
    for (const expiresIn of ["24h", "12h"]) {
      const { status, data } = await api.query(CUSTOMERS, { token: await api.token("rita", { expiresIn }) });
      expect([status, ids(data as never)]).toEqual([200, customerExpectation("rita").ids]);
    }
  });

  test("a token without iat is measured from now: 23 hours left is accepted, two days is refused", async () => {
    expect(await authenticate()(`Bearer ${await lived(23 * HOUR)}`)).toEqual({ role: rita().role, userId: "4", channel: null });
    await expect(authenticate()(`Bearer ${await lived(48 * HOUR)}`)).rejects.toMatchObject({ statusCode: 401, message: LONG });
  });

  test("a two-day token issued 47 hours ago is refused although one hour is left: its lifetime counts from iat", async () => {
    await expect(authenticate()(`Bearer ${await lived(HOUR, -47 * HOUR)}`)).rejects.toMatchObject({
      statusCode: 401,
      message: LONG,
    });
  });

  test("an iat in the future does not shorten the lifetime: exp is measured from now as well", async () => {
    await expect(authenticate()(`Bearer ${await lived(48 * HOUR, 36 * HOUR)}`)).rejects.toMatchObject({ message: LONG });
  });

  test("a server with a 15-minute maximum refuses a one-hour token and names its limit", async () => {
    await expect(authenticate({ maxLifetimeSeconds: 900 })(`Bearer ${await lived(HOUR, 0)}`)).rejects.toMatchObject({
      statusCode: 401,
      message: "invalid token: lifetime longer than the server allows (max 15m)",
    });
    expect(await authenticate({ maxLifetimeSeconds: 900 })(`Bearer ${await lived(900, 0)}`)).toMatchObject({ userId: "4" });
  });
});

describe("identities the database refuses", () => {
  test("a request without a token is anonymous: its schema has no table and customers are FORBIDDEN", async () => {
    const schema = await api.query<{ __schema: { queryType: { fields: { name: string }[] } } }>(
      "{ __schema { queryType { fields { name } } } }",
    );
    expect(schema.data!.__schema.queryType.fields.map((f) => f.name).sort()).toEqual(["id", "node", "query"]);
    const { errors } = await api.query(CUSTOMERS);
    expect(errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(await api.crm.root((c) => column(c, "select count(*)::int from crm.customers"))).toEqual([22]);
  });

  test("olga, frozen, sees no customer with a valid token although she owns two", async () => {
    const { status, data } = await api.query(CUSTOMERS, { token: await api.token("olga") });
    expect(status).toBe(200);
    expect(ids(data as never)).toEqual([]);
    expect(
      await api.crm.root((c) => column<number>(c, "select id::int from crm.customers where owner_id = 17 order by id")),
    ).toEqual([19, 20]);
  });

  test("rita with a valid token naming the finance role, which she does not hold, sees no contract", async () => {
    const { data } = await api.query("{ allContracts { nodes { rowId } } }", {
      token: await api.token("rita", { role: "finance" }),
    });
    expect(data).toEqual({ allContracts: { nodes: [] } });
    expect(await api.crm.root((c) => column(c, "select count(*)::int from crm.contracts"))).toEqual([8]);
  });

  test("rita's token for the mobile channel reaches the database as the channel claim: her contract is read-only there", async () => {
    const mutation =
      'mutation { updateContractByRowId(input: { rowId: "1", contractPatch: { amount: "1.00" } }) { contract { amount } } }';
    const { data, errors } = await api.query(mutation, { token: await api.token("rita", { channel: "mobile" }) });
    expect(data).toEqual({ updateContractByRowId: null });
    expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ["forbidden: row-level security does not let you write this row of contracts", "FORBIDDEN"],
    ]);
    expect(await api.crm.root((c) => column(c, "select amount::text from crm.contracts where id = 1"))).toEqual(["48000.00"]);
  });
});

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** Signs an HS256 token with the RSA public key's JWK JSON as the "secret": must not verify. */
async function hs256Forged(): Promise<string> {
  const jwk = await (await fetch(`http://127.0.0.1:${(jwks.address() as AddressInfo).port}/`)).json();
  return sign(rita(), new TextEncoder().encode(JSON.stringify(jwk)), "HS256");
}
