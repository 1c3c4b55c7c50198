/**
 * Attack suite, HTTP half: the lifecycle operations over GraphQL, each turned against its rules — grants that
 * escalate or move rows, approvals decided by their requester or with a forged approver, rows assigned to a frozen
 * user, a frozen user's still-valid token. Requests commit, so the file has its own database and each test its own
 * rows; every refusal is checked in the database as root (nothing changed).
 */
import { column } from "../crm/crm-database";
import { openCrmApi, type CrmApi, type GraphQLResponse } from "../server/api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

const root = <T>(text: string, values: unknown[] = []) => api.crm.root((c) => column<T>(c, text, values));
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
