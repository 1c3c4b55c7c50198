/**
 * Attack suite, HTTP half: forged, stretched and poisoned tokens against a real API server configured as in
 * production — verifying with the identity provider's JWKS only (RS256/ES256, served here), no shared secret — so
 * every HS256 token, whatever secret or key it was signed with (the published development secret, a secret the
 * server once had, the provider's public key: algorithm confusion), is refused. Every test fails if the attack
 * works: each refusal is a 401 with the exact reason, the same reason in WWW-Authenticate, and no data; each "sees
 * nothing" is paired with a root check that the rows exist. (HS256 algorithm confusion on a server that accepts
 * both is in test/server/auth.test.ts.)
 */
import { createHmac, createPublicKey, KeyObject, sign as cryptoSign, type webcrypto } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { loginName, roleName } from "../../db";
import { DEV_JWT_SECRET } from "../../server";
import { column } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmApi, TEST_AUTH, type CrmApi } from "../server/api";

let api: CrmApi;
let jwks: Server;
/** The identity provider's signing key, published in the JWKS as rsa-1. */
let provider: CryptoKey;
let publicPem: string;
let publicJwk: JWK;
let attacker: { privateKey: CryptoKey; publicKey: CryptoKey };
/** A JWKS the attacker hosts: counts the requests it gets (the server must never fetch it). */
let evil: Server;
let evilRequests = 0;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  attacker = await generateKeyPair("RS256", { extractable: true });
  provider = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
  const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
  jwks = await serveJson({ keys: [publicJwk] });
  evil = await serveJson({ keys: [attackerJwk] }, () => (evilRequests += 1));
  api = await openCrmApi({ auth: { jwksUrl: `${urlOf(jwks)}/.well-known/jwks.json`, secret: undefined } });
});
afterAll(async () => {
  await api?.close();
  for (const server of [jwks, evil]) await new Promise((resolve) => server?.close(resolve));
});

const CUSTOMERS = "{ allCustomers { nodes { rowId } } }";
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const role = (name: string) => roleName(api.crm.app, name);
/** rita's claims, valid for five minutes, with the test audience and issuer. */
const ritaClaims = () => ({
  sub: "4",
  role: role("sales_rep"),
  aud: TEST_AUTH.audience,
  iss: TEST_AUTH.issuer,
  iat: now(),
  exp: now() + 300,
});

/**
 * A compact JWS built by hand, so any header and any claim value can be sent: RS256 (or `hash` RS512) with `key`,
 * the provider's own unless said otherwise, under the provider's kid unless the header says otherwise.
 */
function signed(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key: CryptoKey = provider,
  hash: "sha256" | "sha512" = "sha256",
) {
  const input = `${b64({ alg: "RS256", kid: "rsa-1", ...header })}.${b64(claims)}`;
  const signature = cryptoSign(hash, Buffer.from(input), KeyObject.from(key as unknown as webcrypto.CryptoKey));
  return `${input}.${signature.toString("base64url")}`;
}
/** An HS256 token whose HMAC key is `secret`. */
function hmacToken(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | Buffer) {
  const input = `${b64({ alg: "HS256", ...header })}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

interface Answer {
  status: number;
  authenticate: string | null;
  body: unknown;
}

async function send(headers: Record<string, string>, url = `${api.server.url}/graphql`): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify({ query: CUSTOMERS }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, authenticate: res.headers.get("www-authenticate"), body: await res.json() };
}
const withToken = (token: string) => send({ Authorization: `Bearer ${token}` });

/** What a refused token gets: 401, the reason in the body and in WWW-Authenticate, and no `data`. */
const refusal = (message: string): Answer => ({
  status: 401,
  authenticate: `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
  body: { errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] },
});
const NOT_ACCEPTED = "invalid token: signing algorithm not accepted";
const BAD_SIGNATURE = "invalid token: signature verification failed";

const customerCount = () => api.crm.root((c) => column<number>(c, "select count(*)::int from crm.customers"));
const ritasIds = (answer: Answer) =>
  (answer.body as { data: { allCustomers: { nodes: { rowId: string }[] } } }).data.allCustomers.nodes
    .map((n) => Number(n.rowId))
    .sort((a, b) => a - b);

describe("signatures and algorithms", () => {
  test("H-JWT-00 control: rita's RS256 token from the identity provider reads exactly her customers", async () => {
    const answer = await withToken(signed(ritaClaims()));
    expect({ status: answer.status, ids: ritasIds(answer) }).toEqual({ status: 200, ids: customerExpectation("rita").ids });
  });

  test("H-JWT-01 rita's token with its signature stripped (header.payload.) is refused", async () => {
    const [header, payload] = signed(ritaClaims()).split(".");
    expect(await withToken(`${header}.${payload}.`)).toEqual(refusal(BAD_SIGNATURE));
  });

  test("H-JWT-02 a token with alg none is refused as unsigned", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(ritaClaims())}.`;
    expect(await withToken(token)).toEqual(refusal("invalid token: unsigned tokens (alg none) are refused"));
  });

  test("H-JWT-03 alg nOnE (another spelling) with a signature part is refused as unsigned", async () => {
    const token = `${b64({ alg: "nOnE" })}.${b64(ritaClaims())}.${Buffer.from("sig").toString("base64url")}`;
    expect(await withToken(token)).toEqual(refusal("invalid token: unsigned tokens (alg none) are refused"));
  });

  test("H-JWT-04 HS/RS confusion: an HS256 token whose HMAC key is the provider's public key (PEM) is refused", async () => {
    expect(await withToken(hmacToken({ kid: "rsa-1" }, ritaClaims(), publicPem))).toEqual(refusal(NOT_ACCEPTED));
  });

  test("H-JWT-05 HS/RS confusion: an HS256 token whose HMAC key is the public key's DER bytes is refused", async () => {
    const der = (createPublicKey(publicPem) as KeyObject).export({ type: "spki", format: "der" });
    expect(await withToken(hmacToken({ kid: "rsa-1" }, ritaClaims(), der))).toEqual(refusal(NOT_ACCEPTED));
  });

  test("H-JWT-06 HS/RS confusion: an HS256 token whose HMAC key is the JWK exactly as the JWKS serves it is refused", async () => {
    expect(await withToken(hmacToken({ kid: "rsa-1" }, ritaClaims(), JSON.stringify(publicJwk)))).toEqual(refusal(NOT_ACCEPTED));
  });

  test("H-JWT-07 an HS256 token signed with the development secret published in this repository is refused (JWKS only)", async () => {
    expect(await withToken(hmacToken({}, ritaClaims(), DEV_JWT_SECRET))).toEqual(refusal(NOT_ACCEPTED));
  });

  test("H-JWT-08 an HS256 token signed with the test secret (a secret this server could have had) is refused (JWKS only)", async () => {
    expect(await withToken(hmacToken({}, ritaClaims(), TEST_AUTH.secret))).toEqual(refusal(NOT_ACCEPTED));
  });

  test("H-JWT-09 wrong key: an RS256 token signed by the attacker's key under the provider's kid is refused", async () => {
    expect(await withToken(signed(ritaClaims(), {}, attacker.privateKey))).toEqual(refusal(BAD_SIGNATURE));
  });

  test("H-JWT-10 an RS256 token carrying the attacker's own public key in its header (jwk) is not verified with it", async () => {
    const jwk = await exportJWK(attacker.publicKey);
    expect(await withToken(signed(ritaClaims(), { kid: undefined, jwk }, attacker.privateKey))).toEqual(refusal(BAD_SIGNATURE));
  });

  test("H-JWT-11 an RS256 token pointing at the attacker's JWKS (jku) is refused and that JWKS is never fetched", async () => {
    const token = signed(ritaClaims(), { jku: `${urlOf(evil)}/jwks.json` }, attacker.privateKey);
    expect(await withToken(token)).toEqual(refusal(BAD_SIGNATURE));
    expect(evilRequests).toBe(0);
  });

  test("H-JWT-12 an RS256 token under a kid the provider never published is refused", async () => {
    expect(await withToken(signed(ritaClaims(), { kid: "rsa-2" }, attacker.privateKey))).toEqual(
      refusal("invalid token: signed by an unknown key"),
    );
  });

  test("H-JWT-13 an RS512 token signed with the provider's own key is refused: only RS256 and ES256 are accepted", async () => {
    expect(await withToken(signed(ritaClaims(), { alg: "RS512" }, provider, "sha512"))).toEqual(refusal(NOT_ACCEPTED));
  });

  test("H-JWT-14 a token with an unknown critical header (crit) is refused", async () => {
    expect(await withToken(signed(ritaClaims(), { crit: ["x-bypass"], "x-bypass": true }))).toEqual(refusal(NOT_ACCEPTED));
  });
});

describe("time and audience", () => {
  test("H-JWT-15 rita's token that expired a minute ago is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), iat: now() - 600, exp: now() - 60 }))).toEqual(
      refusal("invalid token: expired"),
    );
  });

  test("H-JWT-16 a token without exp (one that would never expire) is refused", async () => {
    const { exp: _exp, ...claims } = ritaClaims();
    expect(await withToken(signed(claims))).toEqual(refusal('invalid token: no "exp" claim'));
  });

  test('H-JWT-17 an exp written as a string ("far future") is refused', async () => {
    expect(await withToken(signed({ ...ritaClaims(), exp: String(now() + 300) }))).toEqual(
      refusal('invalid token: "exp" claim rejected'),
    );
  });

  test("H-JWT-18 a token not valid before ten minutes from now (nbf) is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), nbf: now() + 600, exp: now() + 1200 }))).toEqual(
      refusal('invalid token: "nbf" claim rejected'),
    );
  });

  test("H-JWT-19 a token for another audience is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), aud: "another-api" }))).toEqual(refusal("invalid token: wrong audience"));
  });

  test("H-JWT-20 a token from another issuer is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), iss: "https://evil.example" }))).toEqual(
      refusal("invalid token: wrong issuer"),
    );
  });

  const LONG = "invalid token: lifetime longer than the server allows (max 24h)";
  test("H-JWT-21 over-long lifetime: a token valid for a year is refused (JWT_MAX_LIFETIME, default 24h)", async () => {
    expect(await withToken(signed({ ...ritaClaims(), exp: now() + 365 * 86_400 }))).toEqual(refusal(LONG));
  });

  test("H-JWT-22 over-long lifetime: a 48-hour token issued 47 hours ago is refused although one hour is left", async () => {
    expect(await withToken(signed({ ...ritaClaims(), iat: now() - 47 * 3_600, exp: now() + 3_600 }))).toEqual(refusal(LONG));
  });

  test("H-JWT-23 over-long lifetime: an iat in the future does not shorten a two-day token", async () => {
    expect(await withToken(signed({ ...ritaClaims(), iat: now() + 36 * 3_600, exp: now() + 48 * 3_600 }))).toEqual(refusal(LONG));
  });
});

describe("the role claim", () => {
  test("H-JWT-24 rita's valid token claiming director, a role she does not hold, sees no customer", async () => {
    const { status, body } = await withToken(signed({ ...ritaClaims(), role: role("director") }));
    expect({ status, body }).toEqual({ status: 200, body: { data: { allCustomers: { nodes: [] } } } });
    expect(await customerCount()).toEqual([22]);
  });

  test.each([
    ["H-JWT-25 the superuser postgres as the role is refused", () => "postgres"],
    ["H-JWT-26 the built-in pg_read_all_data as the role is refused", () => "pg_read_all_data"],
    ["H-JWT-27 the authenticator as the role is refused", () => role("authenticator")],
    ["H-JWT-28 ana's role-bound login role as the role is refused", () => loginName(api.crm.app, "ana")],
    ["H-JWT-29 the marketing view's owner role as the role is refused", () => role("view_marketing_export")],
    ["H-JWT-30 a role outside the prefix (admin unprefixed) is refused", () => "admin"],
    ["H-JWT-31 another app's prefix (other_admin) is refused", () => "other_admin"],
    ["H-JWT-32 the admin role in capitals is refused", () => role("admin").toUpperCase()],
    ["H-JWT-33 the admin role with a trailing space is refused", () => `${role("admin")} `],
  ])("%s", async (_name, claimed) => {
    const value = claimed();
    expect(await withToken(signed({ ...ritaClaims(), role: value }))).toEqual(
      refusal(`invalid token: role "${value}" is not an API role`),
    );
  });

  test("H-JWT-34 a role with a line break and a header (response splitting) is refused with 401, promptly and in one header", async () => {
    const value = `${role("admin")}\r\nSet-Cookie: session=evil`;
    const answer = await withToken(signed({ ...ritaClaims(), role: value }));
    expect(answer).toEqual(
      refusal(`invalid token: role "${role("admin")}\\u000d\\u000aSet-Cookie: session=evil" is not an API role`),
    );
  });

  test("H-JWT-35 a role in Cyrillic letters (адмін) is refused with 401 and escaped, not left unanswered", async () => {
    const value = `${role("")}адмін`;
    expect(await withToken(signed({ ...ritaClaims(), role: value }))).toEqual(
      refusal(`invalid token: role "${role("")}\\u0430\\u0434\\u043c\\u0456\\u043d" is not an API role`),
    );
  });

  test("H-JWT-36 a role written as an array holding admin is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), role: [role("admin")] }))).toEqual(
      refusal('invalid token: "role" must be one role name (a string)'),
    );
  });

  test("H-JWT-37 a role written as an object naming admin is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), role: { name: role("admin") } }))).toEqual(
      refusal('invalid token: "role" must be one role name (a string)'),
    );
  });
});

describe("the sub claim", () => {
  const SUB = 'invalid token: "sub" must be the user id';
  test.each([
    ["H-JWT-38 a sub with quotes (4' or '1'='1) is refused", "4' or '1'='1"],
    ['H-JWT-39 a sub with a statement (4"; drop table crm.customers; --) is refused', '4"; drop table crm.customers; --'],
    ["H-JWT-40 a sub in fullwidth digits (４) is refused", "４"],
    ["H-JWT-41 a sub with a NUL byte (4\\u0000) is refused", "4\u0000"],
    ["H-JWT-42 a sub with a trailing newline (4\\n) is refused", "4\n"],
    ["H-JWT-43 a sub of 65 characters is refused", "4".repeat(65)],
    ["H-JWT-44 an empty sub is refused", ""],
    ["H-JWT-45 a sub written as a number (4) is refused", 4],
    ["H-JWT-46 a sub written as an array ([4, 15]) is refused", ["4", "15"]],
    ["H-JWT-47 a sub written as an object is refused", { id: "15" }],
  ])("%s", async (_name, sub) => {
    expect(await withToken(signed({ ...ritaClaims(), sub }))).toEqual(refusal(SUB));
    expect(await customerCount()).toEqual([22]);
  });

  test("H-JWT-48 a valid token for a user id that does not exist sees no customer", async () => {
    const { status, body } = await withToken(signed({ ...ritaClaims(), sub: "999999" }));
    expect({ status, body }).toEqual({ status: 200, body: { data: { allCustomers: { nodes: [] } } } });
    expect(await customerCount()).toEqual([22]);
  });

  test("H-JWT-49 a channel written as an object is refused", async () => {
    expect(await withToken(signed({ ...ritaClaims(), channel: { not: "mobile" } }))).toEqual(
      refusal('invalid token: "channel" must be a short lowercase word'),
    );
  });
});

describe("where the token travels", () => {
  const ANONYMOUS = {
    status: 200,
    body: {
      errors: [
        {
          message: "forbidden: your role may not use Query.allCustomers (table crm.customers)",
          locations: [{ line: 1, column: 3 }],
          extensions: { code: "FORBIDDEN", type: "Query", field: "allCustomers", table: "crm.customers" },
        },
      ],
    },
  };

  test("H-JWT-50 rita's valid token in the query string (access_token=) is ignored: the request is anonymous", async () => {
    const answer = await send({}, `${api.server.url}/graphql?access_token=${signed(ritaClaims())}`);
    expect({ status: answer.status, body: answer.body }).toEqual(ANONYMOUS);
    expect(await customerCount()).toEqual([22]);
  });

  test("H-JWT-51 rita's valid token in a cookie is ignored: the request is anonymous", async () => {
    const answer = await send({ Cookie: `token=${signed(ritaClaims())}; jwt=${signed(ritaClaims())}` });
    expect({ status: answer.status, body: answer.body }).toEqual(ANONYMOUS);
  });

  test("H-JWT-52 two tokens in one Authorization header are refused", async () => {
    const answer = await send({ Authorization: `Bearer ${signed(ritaClaims())} ${signed({ ...ritaClaims(), sub: "15" })}` });
    expect(answer).toEqual(refusal("expected an Authorization header of the form: Bearer <token>"));
  });

  test("H-JWT-53 an Authorization header of 20 kB is refused by the HTTP layer (431), and the server keeps answering", async () => {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${"a".repeat(20_000)}` },
      body: JSON.stringify({ query: CUSTOMERS }),
    });
    expect(res.status).toBe(431);
    const { status, body } = await withToken(signed(ritaClaims()));
    const ids = (body as { data: { allCustomers: { nodes: { rowId: string }[] } } }).data.allCustomers.nodes.map((n) =>
      Number(n.rowId),
    );
    expect({ status, ids: ids.sort((a, b) => a - b) }).toEqual({ status: 200, ids: customerExpectation("rita").ids });
  });
});

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serveJson(body: unknown, onRequest: () => void = () => {}): Promise<Server> {
  const server = createServer((_req, res) => {
    onRequest();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
