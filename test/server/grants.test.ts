/**
 * Temporary grants through the GraphQL API: `grantAccess`, `revokeAccess` and `grantableUsers` are in the schemas of
 * the roles that may grant (supervisor and above, admin) and in no other; what the database refuses comes back as FORBIDDEN, a bad
 * argument as INVALID_INPUT, and nothing is granted. HTTP requests commit, so each test uses its own customer.
 */
import { column, persona } from "../crm/crm-database";
import { rows } from "../crm/table-access";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

const GRANT = `mutation Grant($row: BigInt!, $grantee: BigInt!, $privilege: String!, $expiresAt: Datetime!) {
  grantAccess(input: { tableName: "customers", rowId: $row, granteeId: $grantee, privilege: $privilege, expiresAt: $expiresAt, reason: "covering for rick" }) {
    result { rowId rowIdColumn granteeId grantedBy privilege reason }
  }
}`;
const REVOKE = `mutation Revoke($id: BigInt!) { revokeAccess(input: { grantId: $id }) { result { rowId rowIdColumn } } }`;
const CUSTOMER = `query Customer($row: BigInt!) { customerByRowId(rowId: $row) { rowId name } }`;

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const grantsOn = (row: number) =>
  api.crm.root((c) => column<number>(c, "select id::int from crm.access_grants where row_id = $1 order by id", [row]));
const customerExists = (row: number) =>
  api.crm.root((c) => column<number>(c, "select id::int from crm.customers where id = $1", [row]));

test("sam grants rita update on rick's customer 5; her token sees and edits it; sam revokes; her next request does not see it", async () => {
  const sam = await api.token("sam");
  const rita = await api.token("rita");
  const before = await api.query(CUSTOMER, { token: rita, variables: { row: "5" } });
  const granted = await api.query<{ grantAccess: { result: { rowId: string } } }>(GRANT, {
    token: sam,
    variables: { row: "5", grantee: "4", privilege: "update", expiresAt: inDays(7) },
  });
  const id = granted.data?.grantAccess.result.rowId;
  const seen = await api.query(CUSTOMER, { token: rita, variables: { row: "5" } });
  const edited = await api.query(
    'mutation { updateCustomerByRowId(input: { rowId: "5", customerPatch: { stage: "qualified" } }) { customer { rowId stage } } }',
    { token: rita },
  );
  const revoked = await api.query(REVOKE, { token: sam, variables: { id } });
  const after = await api.query(CUSTOMER, { token: rita, variables: { row: "5" } });
  expect({ before, granted, seen, edited, revoked, after }).toEqual({
    before: { status: 200, data: { customerByRowId: null } },
    granted: {
      status: 200,
      data: {
        grantAccess: {
          result: {
            rowId: id,
            rowIdColumn: "5",
            granteeId: "4",
            grantedBy: "3",
            privilege: "update",
            reason: "covering for rick",
          },
        },
      },
    },
    seen: { status: 200, data: { customerByRowId: { rowId: "5", name: "Fjord Fisheries" } } },
    edited: { status: 200, data: { updateCustomerByRowId: { customer: { rowId: "5", stage: "qualified" } } } },
    revoked: { status: 200, data: { revokeAccess: { result: { rowId: id, rowIdColumn: "5" } } } },
    after: { status: 200, data: { customerByRowId: null } },
  });
  expect(await customerExists(5)).toEqual([5]);
});

test("grantAccess and revokeAccess are in the schemas of sam and adam, not in rita's or fiona's", async () => {
  const mutations = async (username: string) => {
    const { data } = await api.query<{ __type: { fields: { name: string }[] } | null }>(
      '{ __type(name: "Mutation") { fields { name } } }',
      { token: await api.token(username) },
    );
    return (data?.__type?.fields ?? [])
      .map((f) => f.name)
      .filter((n) => n === "grantAccess" || n === "revokeAccess")
      .sort();
  };
  expect({
    sam: await mutations("sam"),
    adam: await mutations("adam"),
    rita: await mutations("rita"),
    fiona: await mutations("fiona"),
  }).toEqual({ sam: ["grantAccess", "revokeAccess"], adam: ["grantAccess", "revokeAccess"], rita: [], fiona: [] });
});

const GRANTABLE = "{ grantableUsers { nodes { id username } } }";

test("sam's grantableUsers query lists the users crm.grantable_users() gives him over SQL: ian, rick and rita, by username", async () => {
  const { status, data } = await api.query<{ grantableUsers: { nodes: { id: string; username: string }[] } }>(GRANTABLE, {
    token: await api.token("sam"),
  });
  const overSql = await api.crm.as(persona("sam"), (c) => rows(c, "select id::text, username from crm.grantable_users()"));
  expect({ status, nodes: data?.grantableUsers.nodes }).toEqual({
    status: 200,
    nodes: [
      { id: "8", username: "ian" },
      { id: "5", username: "rick" },
      { id: "4", username: "rita" },
    ],
  });
  expect(data?.grantableUsers.nodes).toEqual(overSql);
});

test("rita (sales rep) querying grantableUsers is FORBIDDEN before anything runs; the users it lists for sam exist", async () => {
  const { data, errors } = await api.query(GRANTABLE, { token: await api.token("rita") });
  expect({ data, errors: errors?.map((e) => [e.message, e.extensions?.code]) }).toEqual({
    data: undefined,
    errors: [["forbidden: your role may not use Query.grantableUsers", "FORBIDDEN"]],
  });
  expect(
    await api.crm.root((c) => column<string>(c, "select username from crm.users where id in (4, 5, 8) order by id")),
  ).toEqual(["rita", "rick", "ian"]);
});

test("rita (sales rep) calling grantAccess is FORBIDDEN before anything runs; no grant is made", async () => {
  const { data, errors } = await api.query(GRANT, {
    token: await api.token("rita"),
    variables: { row: "6", grantee: "5", privilege: "select", expiresAt: inDays(1) },
  });
  expect(data).toBeUndefined();
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["forbidden: your role may not use Mutation.grantAccess", "FORBIDDEN"],
  ]);
  expect(await grantsOn(6)).toEqual([]);
  expect(await customerExists(6)).toEqual([6]);
});

test.each([
  [
    "a customer he cannot see (wendy's 12, West-1)",
    { row: "12", grantee: "4", privilege: "select", expiresAt: inDays(7) },
    "FORBIDDEN",
    "forbidden: you cannot see row 12 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
  ],
  [
    "for 31 days",
    { row: "4", grantee: "4", privilege: "select", expiresAt: inDays(31) },
    "INVALID_INPUT",
    "invalid input: a temporary grant may last at most 30 days from now: choose an earlier expires_at",
  ],
  [
    "to wendy, outside his unit and its sub-units",
    { row: "4", grantee: "7", privilege: "select", expiresAt: inDays(7) },
    "FORBIDDEN",
    "forbidden: user 7 is not in your unit or its sub-units: you may grant only to them",
  ],
  [
    "update on the West-1 pool customer 18, which he sees but may not edit himself",
    { row: "18", grantee: "4", privilege: "update", expiresAt: inDays(7) },
    "FORBIDDEN",
    "forbidden: you cannot edit row 18 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
  ],
])("sam granting %s is refused, and no grant is made", async (_, variables, code, message) => {
  const { data, errors } = await api.query(GRANT, { token: await api.token("sam"), variables });
  expect({ data, errors: errors?.map((e) => [e.message, e.extensions?.code, e.path]) }).toEqual({
    data: { grantAccess: null },
    errors: [[message, code, ["grantAccess"]]],
  });
  expect(await grantsOn(Number(variables.row))).toEqual([]);
  expect(await customerExists(Number(variables.row))).toEqual([Number(variables.row)]);
});

test("rick revoking erin's grant 1 is FORBIDDEN before anything runs, and the grant stays live", async () => {
  const { errors } = await api.query(REVOKE, { token: await api.token("rick"), variables: { id: "1" } });
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["forbidden: your role may not use Mutation.revokeAccess", "FORBIDDEN"],
  ]);
  expect(
    await api.crm.root((c) => column<boolean>(c, "select expires_at > clock_timestamp() from crm.access_grants where id = 1")),
  ).toEqual([true]);
});
