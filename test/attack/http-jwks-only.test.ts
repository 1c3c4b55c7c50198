/**
 * Attack suite, HTTP half: a server configured as in production, verifying with a JWKS only (no JWT_SECRET).
 * Any HS256 token — signed with the published development secret, with a secret the server once had, or with
 * the identity provider's public key as the HMAC key (algorithm confusion) — must be refused, whatever its claims.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { roleName } from "../../db";
import { DEV_JWT_SECRET } from "../../server";
import { column } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmApi, TEST_AUTH, type CrmApi } from "../server/api";

let api: CrmApi;
let jwks: Server;
let rsa: CryptoKey;
let publicPem: string;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  rsa = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  api = await openCrmApi({ auth: { jwksUrl, secret: undefined } });
});
afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

const CUSTOMERS = "{ allCustomers { nodes { rowId } } }";
const rita = () => ({ sub: "4", role: roleName(api.crm.app, "sales_rep") });

/** A token with the test audience and issuer, valid for five minutes. */
const sign = (alg: string, key: CryptoKey | Uint8Array, header: Record<string, unknown> = {}) =>
  new SignJWT(rita())
    .setProtectedHeader({ alg, ...header })
    .setAudience(TEST_AUTH.audience)
    .setIssuer(TEST_AUTH.issuer)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
const bytes = (text: string) => new TextEncoder().encode(text);

async function post(token: string) {
  const res = await fetch(`${api.server.url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: CUSTOMERS }),
  });
  return { status: res.status, authenticate: res.headers.get("www-authenticate"), body: await res.json() };
}
const refusal = (message: string) => ({
  status: 401,
  authenticate: `Bearer error="invalid_token", error_description="${message}"`,
  body: { errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] },
});
const NOT_ACCEPTED = "invalid token: signing algorithm not accepted";

test("H-JWKS-00 control: rita's RS256 token from the identity provider reads exactly her customers", async () => {
  const { status, body } = await post(await sign("RS256", rsa, { kid: "rsa-1" }));
  const ids = (body as { data: { allCustomers: { nodes: { rowId: string }[] } } }).data.allCustomers.nodes.map((n) =>
    Number(n.rowId),
  );
  expect({ status, ids: ids.sort((a, b) => a - b) }).toEqual({ status: 200, ids: customerExpectation("rita").ids });
});

test("H-JWKS-01 an HS256 token signed with the published development secret is refused by a JWKS-only server", async () => {
  expect(await post(await sign("HS256", bytes(DEV_JWT_SECRET)))).toEqual(refusal(NOT_ACCEPTED));
});

test("H-JWKS-02 an HS256 token signed with the test secret (a secret the server once had) is refused by a JWKS-only server", async () => {
  expect(await post(await sign("HS256", bytes(TEST_AUTH.secret)))).toEqual(refusal(NOT_ACCEPTED));
});

test("H-JWKS-03 HS/RS confusion: an HS256 token whose HMAC key is the provider's public key (PEM) is refused", async () => {
  expect(await post(await sign("HS256", bytes(publicPem), { kid: "rsa-1" }))).toEqual(refusal(NOT_ACCEPTED));
});

test("H-JWKS-04 HS/RS confusion: an HS256 token whose HMAC key is the JWK as served is refused", async () => {
  expect(await post(await sign("HS256", bytes(JSON.stringify(publicJwk)), { kid: "rsa-1" }))).toEqual(refusal(NOT_ACCEPTED));
});

test("H-JWKS-05 an RS256 token signed by a key the provider never published (unknown kid) is refused", async () => {
  const stranger = (await generateKeyPair("RS256")).privateKey;
  expect(await post(await sign("RS256", stranger, { kid: "rsa-2" }))).toEqual(refusal("invalid token: signed by an unknown key"));
  expect(await api.crm.root((c) => column(c, "select count(*)::int from crm.customers where owner_id = 4"))).toEqual([4]);
});
