/**
 * Approvals over HTTP: rita (sales_rep) asks for approval of her draft quote 2, sam (supervisor, East-1) sees it
 * among his pending approvals and approves it, and the quote is approved with sam recorded as its approver; a
 * rep is not offered approveRequest, and sam's approval of his own request is FORBIDDEN. HTTP requests commit,
 * so the file has its own database.
 */
import { column } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

test("rita requests approval of quote 2, sam lists and approves it: approved, approved_by sam; roy is not offered approveRequest", async () => {
  const rita = await api.token("rita");
  const sam = await api.token("sam");
  const roy = await api.token("roy");

  const requested = await api.query(
    'mutation { requestQuoteApproval(input: { rowId: "2", reason: "standard terms" }) { result } }',
    { token: rita },
  );
  expect(requested.errors).toBeUndefined();
  const made = requested.data!.requestQuoteApproval.result as Record<string, unknown>;
  expect(made).toEqual(
    expect.objectContaining({ kind: "quote_approval", row_key: { id: 2 }, requested_by: 4, status: "pending", decided_by: null }),
  );
  const id = String(made.id);

  const pending = await api.query("{ pendingApprovals { nodes { id kind rowKey reason requestedBy status } } }", { token: sam });
  expect(pending).toEqual({
    status: 200,
    data: {
      pendingApprovals: {
        nodes: [{ id, kind: "quote_approval", rowKey: { id: 2 }, reason: "standard terms", requestedBy: "4", status: "pending" }],
      },
    },
  });

  const byRoy = await api.query(`mutation { approveRequest(input: { requestId: "${id}" }) { result } }`, { token: roy });
  expect(byRoy.errors?.[0]?.message).toMatch(/approveRequest/);
  expect(await api.crm.root((c) => column(c, "select status from crm.quotes where id = 2"))).toEqual(["draft"]);

  const approved = await api.query(`mutation { approveRequest(input: { requestId: "${id}", comment: "ok" }) { result } }`, {
    token: sam,
  });
  expect(approved.errors).toBeUndefined();
  expect(approved.data!.approveRequest.result).toEqual(
    expect.objectContaining({ id: Number(id), status: "approved", decided_by: 3, comment: "ok" }),
  );
  expect((await api.query('{ quoteByRowId(rowId: "2") { status approvedBy } }', { token: sam })).data).toEqual({
    quoteByRowId: { status: "approved", approvedBy: "3" },
  });
  expect(await api.crm.root((c) => column(c, "select approved_by::int from crm.quotes where id = 2"))).toEqual([3]);
});

test("sam's approval of his own request is FORBIDDEN with the reason, and the contract keeps its amount", async () => {
  const sam = await api.token("sam");
  const requested = await api.query(
    'mutation { requestContractAmount(input: { rowId: "4", amount: "91000", reason: "extra seats" }) { result } }',
    { token: sam },
  );
  expect(requested.errors).toBeUndefined();
  const id = (requested.data!.requestContractAmount.result as { id: number }).id;
  const { errors } = await api.query(`mutation { approveRequest(input: { requestId: "${id}" }) { result } }`, { token: sam });
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["forbidden: nobody decides their own request: another approver must", "FORBIDDEN"],
  ]);
  expect(await api.crm.root((c) => column(c, "select amount from crm.contracts where id = 4"))).toEqual(["89900.00"]);
});
