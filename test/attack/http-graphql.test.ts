/**
 * Attack suite, HTTP half: what a client with a valid token (or none) can try through GraphQL itself —
 * introspecting hidden fields, fetching other personas' rows by global id, depth, alias, breadth and introspection
 * bombs, batching, GET, CSRF-friendly content types, oversized bodies, errors that would leak internals — and the
 * lifecycle operations turned against their rules: grants that escalate or move rows, approvals decided by their
 * requester or with a forged approver, rows assigned to a frozen user. Every test fails if the attack works; every
 * "cannot see" is paired with a root check that the row exists, every refused write with one that nothing changed.
 * Requests commit: the lifecycle tests (last) use rows the earlier tests only read.
 */
import { getIntrospectionQuery } from "graphql";
import { column } from "../crm/crm-database";
import { openCrmApi, type CrmApi, type GraphQLResponse } from "../server/api";

let api: CrmApi;
/** What the server logged for each masked error, by reference. */
const logged = new Map<string, unknown>();
beforeAll(async () => {
  api = await openCrmApi({ log: (reference, error) => logged.set(reference, error) });
});
afterAll(() => api?.close());

/** A global node id as the API writes it: base64 of `["Type", "rowId"]`. */
const nodeId = (...parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64");
const root = <T>(text: string, values: unknown[] = []) => api.crm.root((c) => column<T>(c, text, values));
const codes = (r: GraphQLResponse) => r.errors?.map((e) => [e.message, e.extensions?.code]);
const fieldNames = async (username: string, type: string, kind: "fields" | "inputFields" = "fields") => {
  const { data } = await api.query<{ __type: Record<string, { name: string }[]> | null }>(
    `query($t: String!) { __type(name: $t) { ${kind} { name } } }`,
    { token: await api.token(username), variables: { t: type } },
  );
  return data?.__type ? data.__type[kind]!.map((f) => f.name).sort() : null;
};

describe("introspection shows no hidden field", () => {
  test("H-GQL-01 paul (partner) introspecting Customer sees exactly name, industry, region and stage: no owner, tier or id", async () => {
    expect(await fieldNames("paul", "Customer")).toEqual(["industry", "name", "region", "stage"]);
    expect(await root("select count(owner_id)::int from crm.customers where id = 12")).toEqual([1]);
  });

  test("H-GQL-02 rita (sales rep) introspecting CustomerPatch finds no ownerId, unitId or tier to write", async () => {
    expect(await fieldNames("rita", "CustomerPatch", "inputFields")).toEqual(
      ["consentMarketing", "industry", "lastContactedAt", "name", "region", "stage"].sort(),
    );
  });

  test("H-GQL-03 suki (support) introspecting Contact sees only the masked twins, never phone, email or idNumber", async () => {
    const fields = await fieldNames("suki", "Contact");
    expect(fields).toEqual(
      ["customerByCustomerId", "customerId", "emailMasked", "fullName", "id", "idNumberMasked", "phoneMasked", "rowId"].sort(),
    );
    expect(await root("select count(phone)::int from crm.contacts")).toEqual([20]);
  });

  test("H-GQL-04 paul (partner) finds no Contract type at all in his schema, while contracts exist", async () => {
    expect(await fieldNames("paul", "Contract")).toBeNull();
    const { data } = await api.query<{ __schema: { types: { name: string }[] } }>("{ __schema { types { name } } }", {
      token: await api.token("paul"),
    });
    expect(data!.__schema.types.map((t) => t.name)).not.toContain("Contract");
    expect(await root("select count(*)::int from crm.contracts")).toEqual([8]);
  });

  test("H-GQL-05 paul selecting a hidden column directly is refused before anything runs, with no data", async () => {
    const r = await api.query("{ allCustomers { nodes { name ownerId } } }", { token: await api.token("paul") });
    expect({ status: r.status, data: r.data, errors: codes(r) }).toEqual({
      status: 200,
      data: undefined,
      errors: [["forbidden: your role may not use Customer.ownerId (column crm.customers.owner_id)", "FORBIDDEN"]],
    });
  });

  test("H-GQL-06 a misspelt hidden field gets no suggestion naming it (no 'Did you mean ownerId')", async () => {
    const r = await api.query("{ allCustomers { nodes { ownerI } } }", { token: await api.token("paul") });
    expect(codes(r)).toEqual([['Cannot query field "ownerI" on type "Customer".', undefined]]);
  });
});

describe("global ids of other personas' rows", () => {
  const NODE = `query($id: ID!) { node(id: $id) { id ... on Customer { name } } }`;

  test("H-GQL-07 rita asking node() for wendy's customer 12 gets null", async () => {
    const r = await api.query(NODE, { token: await api.token("rita"), variables: { id: nodeId("Customer", "12") } });
    expect(r).toEqual({ status: 200, data: { node: null } });
    expect(await root("select name from crm.customers where id = 12")).toEqual(["Maple Media"]);
  });

  test("H-GQL-08 sam (supervisor, not the owner) asking node() for rita's VIP customer 1 gets null", async () => {
    const r = await api.query(NODE, { token: await api.token("sam"), variables: { id: nodeId("Customer", "1") } });
    expect(r).toEqual({ status: 200, data: { node: null } });
    expect(await root("select tier from crm.customers where id = 1")).toEqual(["vip"]);
  });

  test("H-GQL-09 rick asking node() for his own soft-deleted customer 21 gets null", async () => {
    const r = await api.query(NODE, { token: await api.token("rick"), variables: { id: nodeId("Customer", "21") } });
    expect(r).toEqual({ status: 200, data: { node: null } });
    expect(await root("select owner_id::int from crm.customers where id = 21 and deleted_at is not null")).toEqual([5]);
  });

  test("H-GQL-10 rita asking node() for wendy's contract 3 (a type of another table) gets null", async () => {
    const r = await api.query(`query($id: ID!) { node(id: $id) { id } }`, {
      token: await api.token("rita"),
      variables: { id: nodeId("Contract", "3") },
    });
    expect(r).toEqual({ status: 200, data: { node: null } });
    expect(await root("select amount from crm.contracts where id = 3")).toEqual(["36500.00"]);
  });

  test("H-GQL-11 a node id carrying SQL (1 or 1=1) returns no row and an opaque error, no SQL text", async () => {
    const r = await api.query(`query($id: ID!) { node(id: $id) { id } }`, {
      token: await api.token("rita"),
      variables: { id: nodeId("Customer", "1 or 1=1") },
    });
    expect(r.data).toEqual({ node: null });
    expect(r.errors).toHaveLength(1);
    const reference = r.errors![0]!.extensions!.reference as string;
    expect(r.errors![0]).toEqual({
      message: `internal error (reference ${reference}); the details are in the server log`,
      locations: [{ line: 1, column: 19 }],
      path: ["node"],
      extensions: { code: "INTERNAL", reference },
    });
    expect(logged.has(reference)).toBe(true);
  });

  test("H-GQL-12 rita asking customerByRowId for wendy's customer 12 gets null", async () => {
    const r = await api.query('{ customerByRowId(rowId: "12") { name } }', { token: await api.token("rita") });
    expect(r).toEqual({ status: 200, data: { customerByRowId: null } });
  });
});

describe("bombs and limits", () => {
  test("H-GQL-13 a depth bomb eleven levels deep is refused before it runs", async () => {
    let inner = "fullName";
    for (let i = 0; i < 5; i++) inner = `customerByCustomerId { contactsByCustomerId { nodes { ${inner} } } }`;
    const r = await api.query(`query Deep { allContacts { nodes { ${inner} } } }`, { token: await api.token("dana") });
    expect({ data: r.data, errors: codes(r) }).toEqual({
      data: undefined,
      errors: [["operation Deep nests fields more than 10 levels deep, the limit", "QUERY_TOO_DEEP"]],
    });
  });

  test("H-GQL-14 a depth bomb hidden in nested fragments is refused the same way", async () => {
    const fragments = Array.from(
      { length: 6 },
      (_, i) =>
        `fragment F${i} on Customer { contactsByCustomerId { nodes { customerByCustomerId { ${i < 5 ? `...F${i + 1}` : "name"} } } } }`,
    ).join(" ");
    const r = await api.query(`${fragments} query Frag { allCustomers { nodes { ...F0 } } }`, { token: await api.token("dana") });
    expect(codes(r)).toEqual([["operation Frag nests fields more than 10 levels deep, the limit", "QUERY_TOO_DEEP"]]);
  });

  test("H-GQL-15 an alias bomb (300 aliased customer lists) is refused before it runs", async () => {
    const bomb = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: allCustomers { totalCount }`).join(" ")} }`;
    const r = await api.query(bomb, { token: await api.token("dana") });
    expect({ data: r.data, errors: codes(r) }).toEqual({
      data: undefined,
      errors: [
        [
          "the operation selects more than 250 fields (aliases and fragment spreads counted each time), the limit",
          "TOO_MANY_FIELDS",
        ],
      ],
    });
  });

  test("H-GQL-16 a breadth bomb of fragment spreads (one fragment of 20 fields spread 20 times) is refused", async () => {
    const fields = Array.from({ length: 20 }, (_, i) => `f${i}: name`).join(" ");
    const spreads = Array.from({ length: 20 }, () => "...F").join(" ");
    const r = await api.query(`fragment F on Customer { ${fields} } query Wide { allCustomers { nodes { ${spreads} } } }`, {
      token: await api.token("dana"),
    });
    expect(codes(r)).toEqual([
      [
        "operation Wide selects more than 250 fields (aliases and fragment spreads counted each time), the limit",
        "TOO_MANY_FIELDS",
      ],
    ]);
  });

  test("H-GQL-17 an introspection bomb (200 aliases of __schema), anonymous, is refused at once; one introspection still passes", async () => {
    const bomb = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: __schema { types { fields { name args { name } } } }`).join(" ")} }`;
    const started = Date.now();
    const r = await api.query(bomb);
    expect({ data: r.data, errors: codes(r) }).toEqual({
      data: undefined,
      errors: [
        [
          "the operation selects __schema more than once; one introspection of the schema per operation is allowed",
          "TOO_MANY_FIELDS",
        ],
      ],
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    const graphiql = await api.query<{ __schema: { queryType: { name: string } } }>(getIntrospectionQuery(), {
      token: await api.token("rita"),
    });
    expect([graphiql.errors, graphiql.data!.__schema.queryType.name]).toEqual([undefined, "Query"]);
  });

  test("H-GQL-18 the same introspection bomb through a fragment spread 200 times is refused", async () => {
    const spreads = Array.from({ length: 200 }, () => "...S").join(" ");
    const r = await api.query(`fragment S on Query { __schema { types { name } } } { ${spreads} }`);
    expect(codes(r)).toEqual([
      [
        "the operation selects __schema more than once; one introspection of the schema per operation is allowed",
        "TOO_MANY_FIELDS",
      ],
    ]);
  });

  test("H-GQL-19 an introspection cycle (fields → type → fields … four deep) is refused", async () => {
    const r = await api.query(
      "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }",
    );
    expect(codes(r)).toEqual([["Maximum introspection depth exceeded", undefined]]);
  });

  test("H-GQL-20 __type aliases count as fields: 100 aliases of __type are refused", async () => {
    const bomb = `{ ${Array.from({ length: 100 }, (_, i) => `t${i}: __type(name: "Query") { fields { name } }`).join(" ")} }`;
    const r = await api.query(bomb);
    expect(codes(r)).toEqual([
      [
        "the operation selects more than 250 fields (aliases and fragment spreads counted each time), the limit",
        "TOO_MANY_FIELDS",
      ],
    ]);
  });

  test("H-GQL-21 four operations in one document are refused (at most three)", async () => {
    const doc = ["A", "B", "C", "D"].map((n) => `query ${n} { allCustomers { totalCount } }`).join(" ");
    const r = await api.query(doc, { token: await api.token("rita"), operationName: "A" });
    expect(codes(r)).toEqual([["the request holds 4 operations; at most 3 are allowed", "TOO_MANY_OPERATIONS"]]);
  });
});

describe("transport", () => {
  const URL_ = () => `${api.server.url}/graphql`;
  const UPDATE =
    'mutation { updateCustomerByRowId(input: { rowId: "2", customerPatch: { stage: "lost" } }) { customer { stage } } }';
  const ritaStage = () => root("select stage from crm.customers where id = 2");

  test("H-GQL-22 batching: an array of operations (rita's query and a mutation) is refused as a whole with 400", async () => {
    const res = await fetch(URL_(), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${await api.token("rita")}` },
      body: JSON.stringify([{ query: "{ allCustomers { totalCount } }" }, { query: UPDATE }]),
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      { errors: [{ message: "Invalid body; expected object", extensions: { statusCode: 400 } }] },
    ]);
    expect(await ritaStage()).toEqual(["lead"]);
  });

  test("H-GQL-23 GET with a query in the URL is refused with 405", async () => {
    const res = await fetch(`${URL_()}?query=${encodeURIComponent("{ allCustomers { totalCount } }")}`, {
      headers: { Authorization: `Bearer ${await api.token("rita")}`, Accept: "application/json" },
    });
    expect([res.status, await res.json()]).toEqual([
      405,
      { errors: [{ message: "Method not supported, please use POST", extensions: {} }] },
    ]);
  });

  test("H-GQL-24 GET with a mutation in the URL (a link or an <img>) is refused with 405 and changes nothing", async () => {
    const res = await fetch(`${URL_()}?query=${encodeURIComponent(UPDATE)}`, {
      headers: { Authorization: `Bearer ${await api.token("rita")}` },
    });
    expect(res.status).toBe(405);
    expect(await ritaStage()).toEqual(["lead"]);
  });

  test.each([
    [
      "H-GQL-25 a mutation posted as text/plain (a CSRF simple request) is refused with 415 and changes nothing",
      "text/plain",
      () => JSON.stringify({ query: UPDATE }),
    ],
    [
      "H-GQL-26 a mutation posted as an HTML form (application/x-www-form-urlencoded) is refused with 415 and changes nothing",
      "application/x-www-form-urlencoded",
      () => `query=${encodeURIComponent(UPDATE)}`,
    ],
  ])("%s", async (_name, contentType, body) => {
    const res = await fetch(URL_(), {
      method: "POST",
      headers: { "Content-Type": contentType, Authorization: `Bearer ${await api.token("rita")}` },
      body: body(),
    });
    expect([res.status, await res.json()]).toEqual([
      415,
      { errors: [{ message: `Media type '${contentType}' is not allowed`, extensions: { statusCode: 415 } }] },
    ]);
    expect(await ritaStage()).toEqual(["lead"]);
  });

  test("H-GQL-27 a mutation posted as multipart/form-data is refused with 415 and changes nothing", async () => {
    const form = new FormData();
    form.set("query", UPDATE);
    const res = await fetch(URL_(), {
      method: "POST",
      headers: { Authorization: `Bearer ${await api.token("rita")}` },
      body: form,
    });
    expect([res.status, await res.json()]).toEqual([
      415,
      { errors: [{ message: "Media type 'multipart/form-data' is not allowed", extensions: { statusCode: 415 } }] },
    ]);
    expect(await ritaStage()).toEqual(["lead"]);
  });

  test("H-GQL-28 a cross-origin preflight gets 405 and no Access-Control-Allow-Origin: no browser may call the API from another site", async () => {
    const res = await fetch(URL_(), {
      method: "OPTIONS",
      headers: {
        Origin: "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
      },
    });
    expect([
      res.status,
      res.headers.get("access-control-allow-origin"),
      res.headers.get("access-control-allow-credentials"),
    ]).toEqual([405, null, null]);
  });

  test("H-GQL-29 a 200 kB body (a mutation padded past MAX_BODY_BYTES) is refused with 413 and changes nothing", async () => {
    const res = await fetch(URL_(), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${await api.token("rita")}` },
      body: JSON.stringify({ query: `${UPDATE} # ${"x".repeat(200_000)}` }),
    });
    expect(res.status).toBe(413);
    expect(await ritaStage()).toEqual(["lead"]);
  });
});

describe("errors leak no internals", () => {
  /** No SQL, no constraint, schema or role name, no stack in anything the client got. */
  const leakFree = (r: unknown) => {
    const text = JSON.stringify(r);
    for (const needle of [
      api.crm.app.rolePrefix,
      "select ",
      "insert ",
      "constraint",
      "_check",
      "violates",
      "stack",
      "    at ",
      "pg_",
      "gatehouse.",
    ]) {
      expect(text).not.toContain(needle);
    }
  };

  test("H-GQL-30 rita writing an invalid stage gets an opaque INTERNAL reference, not the check constraint; the log has it", async () => {
    const r = await api.query(
      'mutation { updateCustomerByRowId(input: { rowId: "2", customerPatch: { stage: "bogus" } }) { customer { stage } } }',
      { token: await api.token("rita") },
    );
    const reference = r.errors?.[0]?.extensions?.reference as string;
    expect({ data: r.data, errors: codes(r) }).toEqual({
      data: { updateCustomerByRowId: null },
      errors: [[`internal error (reference ${reference}); the details are in the server log`, "INTERNAL"]],
    });
    leakFree(r);
    expect(String((logged.get(reference) as Error).message)).toMatch(/check constraint/);
    expect(await root("select stage from crm.customers where id = 2")).toEqual(["lead"]);
  });

  test("H-GQL-31 a row id that is not a number gets an opaque INTERNAL reference, not the cast error", async () => {
    const r = await api.query('{ customerByRowId(rowId: "2; select pg_sleep(10)") { name } }', {
      token: await api.token("rita"),
    });
    const reference = r.errors?.[0]?.extensions?.reference as string;
    expect({ data: r.data, errors: codes(r) }).toEqual({
      data: { customerByRowId: null },
      errors: [[`internal error (reference ${reference}); the details are in the server log`, "INTERNAL"]],
    });
    leakFree(r);
  });

  test("H-GQL-32 rita writing a contract she cannot see changes nothing and names no role", async () => {
    const r = await api.query(
      'mutation { updateContractByRowId(input: { rowId: "3", contractPatch: { amount: "1.00" } }) { contract { amount } } }',
      { token: await api.token("rita") },
    );
    expect(r).toEqual({ status: 200, data: { updateContractByRowId: { contract: null } } });
    expect(await root("select amount from crm.contracts where id = 3")).toEqual(["36500.00"]);
  });

  test("H-GQL-33 rita creating a customer owned by rick gets FORBIDDEN naming the table only, no policy or role", async () => {
    const r = await api.query(
      'mutation { createCustomer(input: { customer: { name: "Hijack Ltd", ownerId: "5", unitId: "4" } }) { customer { rowId } } }',
      { token: await api.token("rita") },
    );
    expect({ data: r.data, errors: r.errors?.map((e) => [e.message, e.extensions]) }).toEqual({
      data: { createCustomer: null },
      errors: [
        ["forbidden: row-level security does not let you write this row of customers", { code: "FORBIDDEN", table: "customers" }],
      ],
    });
    leakFree(r);
    expect(await root("select count(*)::int from crm.customers where name = 'Hijack Ltd'")).toEqual([0]);
  });

  test("H-GQL-34 a malformed JSON body gets 400 with a fixed message, no parser internals", async () => {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"query": "{ allCustomers { totalCount } }", ',
    });
    const body = await res.json();
    expect([res.status, body]).toEqual([
      400,
      {
        errors: [
          {
            message: "Parsing failed, please check that the data you're sending to the server is correct",
            extensions: { statusCode: 400 },
          },
        ],
      },
    ]);
  });
});

const answer = (r: GraphQLResponse) => ({ data: r.data, errors: r.errors?.map((e) => [e.message, e.extensions?.code]) });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const grantsOn = (row: number) => root<number>("select id::int from crm.access_grants where row_id = $1 order by id", [row]);
const ownerOf = (row: number) => root<number | null>("select owner_id::int from crm.customers where id = $1", [row]);

const GRANT = `mutation Grant($row: BigInt!, $grantee: BigInt!, $privilege: String!, $expiresAt: Datetime!) {
  grantAccess(input: { tableName: "customers", rowId: $row, granteeId: $grantee, privilege: $privilege, expiresAt: $expiresAt, reason: "attack" }) {
    result { rowId }
  }
}`;

describe("temporary grants", () => {
  test("H-LIFE-01 sam (supervisor) granting himself update on wendy's customer 13 is refused; no grant is made", async () => {
    const r = await api.query(GRANT, {
      token: await api.token("sam"),
      variables: { row: "13", grantee: "3", privilege: "update", expiresAt: inDays(7) },
    });
    expect(answer(r)).toEqual({
      data: { grantAccess: null },
      errors: [["invalid input: you cannot grant access to yourself", "INVALID_INPUT"]],
    });
    expect(await grantsOn(13)).toEqual([]);
  });

  test("H-LIFE-02 sam bypassing grantAccess with the raw createAccessGrant on wendy's customer 12 is refused by the same rules", async () => {
    const r = await api.query(
      `mutation { createAccessGrant(input: { accessGrant: { table: "customers", rowIdColumn: "12", granteeId: "4", privilege: "select", expiresAt: "${inDays(7)}", reason: "attack" } }) { accessGrant { rowId } } }`,
      { token: await api.token("sam") },
    );
    expect(answer(r)).toEqual({
      data: { createAccessGrant: null },
      errors: [
        [
          "forbidden: you cannot see row 12 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
          "FORBIDDEN",
        ],
      ],
    });
    expect(await grantsOn(12)).toEqual([]);
  });

  test("H-LIFE-03 sam forging the grantor (grantedBy: erin) in createAccessGrant is refused before anything runs", async () => {
    const r = await api.query(
      `mutation { createAccessGrant(input: { accessGrant: { table: "customers", rowIdColumn: "4", granteeId: "4", privilege: "select", expiresAt: "${inDays(7)}", reason: "attack", grantedBy: "2" } }) { accessGrant { rowId } } }`,
      { token: await api.token("sam") },
    );
    expect(answer(r)).toEqual({
      data: undefined,
      errors: [
        ["forbidden: your role may not use AccessGrantInput.grantedBy (column crm.access_grants.granted_by)", "FORBIDDEN"],
      ],
    });
    expect(await grantsOn(4)).toEqual([]);
  });

  test("H-LIFE-04 sam stretching his own 7-day grant to a year with updateAccessGrantByRowId is refused; it keeps its end", async () => {
    const sam = await api.token("sam");
    const made = await api.query<{ grantAccess: { result: { rowId: string } } }>(GRANT, {
      token: sam,
      variables: { row: "6", grantee: "4", privilege: "select", expiresAt: inDays(7) },
    });
    const id = made.data!.grantAccess.result.rowId;
    const before = await root<string>("select expires_at::text from crm.access_grants where id = $1", [id]);
    const r = await api.query(
      `mutation { updateAccessGrantByRowId(input: { rowId: "${id}", accessGrantPatch: { expiresAt: "${inDays(365)}" } }) { accessGrant { expiresAt } } }`,
      { token: sam },
    );
    expect(answer(r)).toEqual({
      data: { updateAccessGrantByRowId: null },
      errors: [
        [
          "forbidden: a temporary grant cannot be changed or extended, only ended now: call crm.revoke_access(id), then grant again",
          "FORBIDDEN",
        ],
      ],
    });
    expect(await root<string>("select expires_at::text from crm.access_grants where id = $1", [id])).toEqual(before);
  });

  test("H-LIFE-05 sam granting to olga, who is frozen, is refused; no grant is made", async () => {
    const r = await api.query(GRANT, {
      token: await api.token("sam"),
      variables: { row: "4", grantee: "17", privilege: "select", expiresAt: inDays(7) },
    });
    expect(answer(r)).toEqual({
      data: { grantAccess: null },
      errors: [["forbidden: user 17 is not an active user: only active users may hold a grant", "FORBIDDEN"]],
    });
    expect(await grantsOn(4)).toEqual([]);
  });

  test("H-LIFE-06 sam revoking erin's grant 1 (made above him) is refused; the grant stays live", async () => {
    const r = await api.query(`mutation { revokeAccess(input: { grantId: "1" }) { result { rowId } } }`, {
      token: await api.token("sam"),
    });
    expect(r.data).toEqual({ revokeAccess: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(await root("select expires_at > clock_timestamp() from crm.access_grants where id = 1")).toEqual([true]);
  });

  test("H-LIFE-07 moving a row through a grant: sam, granted update on roy's East-2 customer 9 by erin, cannot give it to rita", async () => {
    const granted = await api.query(GRANT, {
      token: await api.token("erin"),
      variables: { row: "9", grantee: "3", privilege: "update", expiresAt: inDays(7) },
    });
    expect(granted.errors).toBeUndefined();
    const sam = await api.token("sam");
    const edited = await api.query(
      'mutation { updateCustomerByRowId(input: { rowId: "9", customerPatch: { stage: "negotiation" } }) { customer { stage } } }',
      { token: sam },
    );
    expect(answer(edited)).toEqual({
      data: { updateCustomerByRowId: { customer: { stage: "negotiation" } } },
      errors: undefined,
    });
    const moved = await api.query(
      'mutation { updateCustomerByRowId(input: { rowId: "9", customerPatch: { ownerId: "4" } }) { customer { ownerId } } }',
      { token: sam },
    );
    expect(moved.data).toEqual({ updateCustomerByRowId: null });
    expect(moved.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(await ownerOf(9)).toEqual([6]);
  });

  test("H-LIFE-08 rita, granted update on rick's customer 5, finds no ownerId or unitId to write: the grant cannot move it", async () => {
    await api.query(GRANT, {
      token: await api.token("sam"),
      variables: { row: "5", grantee: "4", privilege: "update", expiresAt: inDays(7) },
    });
    const r = await api.query(
      'mutation { updateCustomerByRowId(input: { rowId: "5", customerPatch: { ownerId: "4", unitId: "5" } }) { customer { rowId } } }',
      { token: await api.token("rita") },
    );
    expect(answer(r)).toEqual({
      data: undefined,
      errors: [
        ["forbidden: your role may not use CustomerPatch.ownerId (column crm.customers.owner_id)", "FORBIDDEN"],
        ["forbidden: your role may not use CustomerPatch.unitId (column crm.customers.unit_id)", "FORBIDDEN"],
      ],
    });
    expect(await root("select owner_id::int, unit_id::int from crm.customers where id = 5")).toEqual([5]);
  });
});

describe("assigning rows", () => {
  const reassign = (row: string, owner: string) =>
    `mutation { updateCustomerByRowId(input: { rowId: "${row}", customerPatch: { ownerId: "${owner}" } }) { customer { ownerId } } }`;

  test("H-LIFE-09 sam (supervisor) assigning rick's customer 4 to olga, who is frozen, is refused", async () => {
    const r = await api.query(reassign("4", "17"), { token: await api.token("sam") });
    expect(r.data).toEqual({ updateCustomerByRowId: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(await ownerOf(4)).toEqual([5]);
  });

  test("H-LIFE-10 dana (director) assigning wendy's customer 14 to olga, who is frozen, is refused", async () => {
    const r = await api.query(reassign("14", "17"), { token: await api.token("dana") });
    expect(r.data).toEqual({ updateCustomerByRowId: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(await ownerOf(14)).toEqual([7]);
  });

  test("H-LIFE-11 sam assigning rick's customer 4 to wendy, outside his subtree, is refused", async () => {
    const r = await api.query(reassign("4", "7"), { token: await api.token("sam") });
    expect(answer(r)).toEqual({
      data: { updateCustomerByRowId: null },
      errors: [["forbidden: row-level security does not let you write this row of customers", "FORBIDDEN"]],
    });
    expect(await ownerOf(4)).toEqual([5]);
  });

  test("H-LIFE-12 olga (frozen) with a still-valid token cannot claim pool customer 16 nor edit her former customer 19", async () => {
    const olga = await api.token("olga");
    const claim = await api.query('mutation { claimCustomer(input: { rowId: "16" }) { result } }', { token: olga });
    expect(answer(claim)).toEqual({
      data: { claimCustomer: null },
      errors: [
        [
          "forbidden: only sales_rep, supervisor, regional_manager, director may claim or release customers of the public pool",
          "FORBIDDEN",
        ],
      ],
    });
    const edit = await api.query(
      'mutation { updateCustomerByRowId(input: { rowId: "19", customerPatch: { stage: "won" } }) { customer { stage } } }',
      { token: olga },
    );
    expect(answer(edit)).toEqual({ data: { updateCustomerByRowId: { customer: null } }, errors: undefined });
    expect(
      await root(
        "select concat(id, ' ', coalesce(owner_id::text, 'pool'), ' ', stage) from crm.customers where id in (16, 19) order by id",
      ),
    ).toEqual(["16 pool lead", "19 17 negotiation"]);
  });
});

describe("approvals", () => {
  test("H-LIFE-13 self-approval: sam approving his own request to delete customer 6 is refused; the customer stays", async () => {
    const sam = await api.token("sam");
    const requested = await api.query<{ requestCustomerDelete: { result: { id: number } } }>(
      'mutation { requestCustomerDelete(input: { rowId: "6", reason: "duplicate" }) { result } }',
      { token: sam },
    );
    expect(requested.errors).toBeUndefined();
    const id = requested.data!.requestCustomerDelete.result.id;
    const r = await api.query(`mutation { approveRequest(input: { requestId: "${id}" }) { result } }`, { token: sam });
    expect(answer(r)).toEqual({
      data: { approveRequest: null },
      errors: [["forbidden: nobody decides their own request: another approver must", "FORBIDDEN"]],
    });
    expect(await root("select deleted_at is null from crm.customers where id = 6")).toEqual([true]);
  });

  test("H-LIFE-14 forged approver: approveRequest with a decidedBy of erin is refused before anything runs", async () => {
    const requested = await api.query<{ requestQuoteApproval: { result: { id: number } } }>(
      'mutation { requestQuoteApproval(input: { rowId: "2", reason: "standard terms" }) { result } }',
      { token: await api.token("rita") },
    );
    const id = requested.data!.requestQuoteApproval.result.id;
    const r = await api.query(`mutation { approveRequest(input: { requestId: "${id}", decidedBy: "2" }) { result } }`, {
      token: await api.token("sam"),
    });
    expect(answer(r)).toEqual({
      data: undefined,
      errors: [['Field "decidedBy" is not defined by type "ApproveRequestInput".', undefined]],
    });
    expect(await root(`select status from ${api.crm.app.toolkitSchema}.approval_requests where id = $1`, [id])).toEqual([
      "pending",
    ]);
  });

  test("H-LIFE-15 rita (the requester) is not offered approveRequest: her approval of her own quote request is refused", async () => {
    const [id] = await root<number>(
      `select id::int from ${api.crm.app.toolkitSchema}.approval_requests where kind = 'quote_approval' and status = 'pending'`,
    );
    const r = await api.query(`mutation { approveRequest(input: { requestId: "${id}" }) { result } }`, {
      token: await api.token("rita"),
    });
    expect(answer(r)).toEqual({
      data: undefined,
      errors: [["forbidden: your role may not use Mutation.approveRequest", "FORBIDDEN"]],
    });
    expect(await root("select status from crm.quotes where id = 2")).toEqual(["draft"]);
  });

  test("H-LIFE-16 sam approving rick's submitted quote 4 by writing its status, not through a request, is refused", async () => {
    const r = await api.query(
      'mutation { updateQuoteByRowId(input: { rowId: "4", quotePatch: { status: "approved" } }) { quote { status } } }',
      { token: await api.token("sam") },
    );
    expect(r.data).toEqual({ updateQuoteByRowId: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(await root("select status, approved_by from crm.quotes where id = 4")).toEqual(["submitted"]);
  });

  test("H-LIFE-17 rita approving her own draft quote 2 by writing its status is refused", async () => {
    const r = await api.query(
      'mutation { updateQuoteByRowId(input: { rowId: "2", quotePatch: { status: "approved" } }) { quote { status } } }',
      { token: await api.token("rita") },
    );
    expect(answer(r)).toEqual({
      data: { updateQuoteByRowId: null },
      errors: [
        [
          "forbidden: setting status to 'approved' on a row of quotes needs an approved request (row 2): ask with crm.request_quote_approval(row_id, reason); supervisor, regional_manager and director approve",
          "FORBIDDEN",
        ],
      ],
    });
    expect(await root("select status from crm.quotes where id = 2")).toEqual(["draft"]);
  });

  test("H-LIFE-18 sam revealing the phone of a contact of rita's VIP customer 1 is refused and nothing is revealed", async () => {
    const r = await api.query('mutation { revealContactsPhone(input: { rowId: "1", reason: "curious" }) { result } }', {
      token: await api.token("sam"),
    });
    expect(r.data).toEqual({ revealContactsPhone: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(JSON.stringify(r)).not.toContain("555-0101");
    expect(await root("select phone from crm.contacts where id = 1")).toEqual(["+1-555-0101"]);
  });
});

describe("more of the same, through other doors", () => {
  test("H-GQL-35 sam deleting wendy's customer 12 by its global id (deleteCustomer) is refused; it is not marked deleted", async () => {
    const r = await api.query(`mutation($id: ID!) { deleteCustomer(input: { id: $id }) { customer { rowId } } }`, {
      token: await api.token("sam"),
      variables: { id: nodeId("Customer", "12") },
    });
    expect(answer(r)).toEqual({
      data: { deleteCustomer: null },
      errors: [["forbidden: no row of customers with id 12 that you may delete", "FORBIDDEN"]],
    });
    expect(await root("select deleted_at is null from crm.customers where id = 12")).toEqual([true]);
  });

  test("H-GQL-36 an anonymous request introspecting Customer gets null: the anonymous schema has no table", async () => {
    const r = await api.query('{ __type(name: "Customer") { fields { name } } }');
    expect(r).toEqual({ status: 200, data: { __type: null } });
  });

  test("H-LIFE-19 rita claiming and releasing pool customer 16 six times in one aliased mutation: the sixth claim is refused (5 a day)", async () => {
    const steps = Array.from(
      { length: 6 },
      (_, i) =>
        `c${i}: claimCustomer(input: { rowId: "16" }) { result } ${i < 5 ? `r${i}: releaseCustomer(input: { rowId: "16" }) { result }` : ""}`,
    ).join(" ");
    const r = await api.query(`mutation { ${steps} }`, { token: await api.token("rita") });
    expect(r.errors?.map((e) => [e.message, e.extensions?.code, e.path])).toEqual([
      ["forbidden: you have claimed 5 customers today, the daily limit: claim again tomorrow", "FORBIDDEN", ["c5"]],
    ]);
    expect(await root("select owner_id from crm.customers where id = 16")).toEqual([null]);
  });
});
