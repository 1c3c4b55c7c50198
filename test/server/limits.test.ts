/**
 * The limits of a request — depth, operations per document, fields, body size, statement timeout — on a server
 * configured tight, plus the health endpoint and a shutdown that leaves no connection behind.
 */
import { buildSchema, getIntrospectionQuery, parse, validate } from "graphql";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase } from "../crm/crm-database";
import { APPLICATION_NAME, maxFieldsRule } from "../../server";
import { openCrmApi, type CrmApi } from "./api";

let crm: AppTestDatabase;
let api: CrmApi;
beforeAll(async () => {
  crm = await openCrmDatabase();
  // a slow report only the admin may run: what a statement timeout is for
  await crm.db.pool.query(`create function crm.slow_report() returns integer language sql stable as 'select 1 from pg_sleep(3)';
    revoke all on function crm.slow_report() from public;
    grant execute on function crm.slow_report() to "${roleName(crm.app, "admin")}"`);
  api = await openCrmApi({
    crm,
    limits: { maxDepth: 5, maxOperations: 2, maxFields: 40, maxBodyBytes: 4_000, statementTimeoutMs: 300 },
  });
});
afterAll(async () => {
  await api?.close();
  await crm?.close();
});

test("rita may nest fields five levels deep", async () => {
  const { data, errors } = await api.query(
    '{ customerByRowId(rowId: "2") { contactsByCustomerId { nodes { customerByCustomerId { name } } } } }',
    { token: await api.token("rita") },
  );
  expect(errors).toBeUndefined();
  expect(data).toEqual({
    customerByRowId: { contactsByCustomerId: { nodes: [{ customerByCustomerId: { name: "Bluebird Bakery" } }] } },
  });
});

test("rita's query nesting six levels deep is refused before it runs", async () => {
  const { data, errors } = await api.query(
    'query Deep { customerByRowId(rowId: "2") { contactsByCustomerId { nodes { customerByCustomerId { contactsByCustomerId { totalCount } } } } } }',
    { token: await api.token("rita") },
  );
  expect(data).toBeUndefined();
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["operation Deep nests fields more than 5 levels deep, the limit", "QUERY_TOO_DEEP"],
  ]);
});

test("GraphiQL's introspection query is not held to the depth limit", async () => {
  const { data, errors } = await api.query<{ __schema: { queryType: { name: string } } }>(getIntrospectionQuery(), {
    token: await api.token("rita"),
  });
  expect(errors).toBeUndefined();
  expect(data!.__schema.queryType.name).toBe("Query");
});

test("an alias bomb — sixty lists of customers in one query — is refused before it runs; rita's page answers meanwhile", async () => {
  const bomb = `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: allCustomers { totalCount }`).join(" ")} }`;
  const rita = await api.token("rita");
  const ritaPage = async () => {
    const started = Date.now();
    const { data } = await api.query<{ allCustomers: { totalCount: number } }>("{ allCustomers { totalCount } }", {
      token: rita,
    });
    return { data, ms: Date.now() - started };
  };
  const [bombs, page] = await Promise.all([
    Promise.all(Array.from({ length: 20 }, async () => api.query(bomb, { token: await api.token("adam") }))),
    ritaPage(),
  ]);
  for (const refused of bombs) {
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      [
        "the operation selects more than 40 fields (aliases and fragment spreads counted each time), the limit",
        "TOO_MANY_FIELDS",
      ],
    ]);
  }
  expect(page.data).toEqual({ allCustomers: { totalCount: 7 } });
  expect(page.ms).toBeLessThan(2_000);
  // the same lists, twenty of them, pass: the limit counts fields, not kinds of field
  const twenty = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: allCustomers { totalCount }`).join(" ")} }`;
  const allowed = await api.query<Record<string, { totalCount: number }>>(twenty, { token: rita });
  expect(allowed.errors).toBeUndefined();
  expect(Object.values(allowed.data!).map((v) => v.totalCount)).toEqual(Array(20).fill(7));
});

test("the field count includes each fragment spread and __typename, and stops at fragment cycles", () => {
  const schema = buildSchema("type Query { x: Int }");
  const errors = (document: string, max: number) => validate(schema, parse(document), [maxFieldsRule(max)]).map((e) => e.message);
  const spreads = "fragment F on Query { a: x b: x __typename } query Q { ...F ...F }";
  expect(errors(spreads, 6)).toEqual([]);
  expect(errors(spreads, 5)).toEqual([
    "operation Q selects more than 5 fields (aliases and fragment spreads counted each time), the limit",
  ]);
  expect(errors("fragment A on Query { x ...B } fragment B on Query { x ...A } { ...A }", 2)).toEqual([]);
  expect(errors("{ __schema { types { name fields { name } } } }", 1)).toEqual([]);
});

test("a document with two operations runs the one named; three operations are refused", async () => {
  const token = await api.token("fiona");
  const two = await api.query("query A { allContracts { totalCount } } query B { allCustomers { totalCount } }", {
    token,
    operationName: "B",
  });
  expect(two.data).toEqual({ allCustomers: { totalCount: 6 } });
  const three = await api.query(
    "query A { allContracts { totalCount } } query B { allCustomers { totalCount } } query C { query { id } }",
    { token, operationName: "A" },
  );
  expect(three.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["the request holds 3 operations; at most 2 are allowed", "TOO_MANY_OPERATIONS"],
  ]);
});

test("a request body larger than the limit gets 413", async () => {
  const res = await fetch(`${api.server.url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query: `{ query { id } } # ${"x".repeat(4_000)}` }),
  });
  expect(res.status).toBe(413);
});

test("adam's slow report is cancelled at the statement timeout with a clear TIMEOUT error", async () => {
  const started = Date.now();
  const { data, errors } = await api.query("{ slowReport }", { token: await api.token("adam") });
  expect(Date.now() - started).toBeLessThan(2_500);
  expect(data).toEqual({ slowReport: null });
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["the request ran longer than its statement timeout and was cancelled", "TIMEOUT"],
  ]);
});

test("rita's schema has no slow report: the function is granted to admin only", async () => {
  const { errors } = await api.query("{ slowReport }", { token: await api.token("rita") });
  expect(errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
});

test("GET /health checks the database", async () => {
  const res = await fetch(`${api.server.url}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok", database: "ok" });
});

test("closing the server ends every connection it opened", async () => {
  const sessions = () =>
    crm.root((c) =>
      column<number>(
        c,
        "select count(*)::int from pg_stat_activity where datname = current_database() and usename = $1 and application_name = $2",
        [roleName(crm.app, crm.app.authenticator), APPLICATION_NAME],
      ),
    );
  expect((await sessions())[0]).toBeGreaterThan(0);
  await api.server.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await sessions()).toEqual([0]);
});
