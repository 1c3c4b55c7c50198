/**
 * Mutations over HTTP respect the column grants and row policies, and errors come back as FORBIDDEN (naming
 * the table or column) or masked with a reference that the server log explains. HTTP requests commit, so each
 * test writes rows no other test reads.
 */
import { SetPaymentStatusDocument } from "../../generated/graphql/finance";
import { RepCustomersDocument } from "../../generated/graphql/sales_rep";
import { SupportTicketDocument } from "../../generated/graphql/support";
import { request } from "../../server";
import { column } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
const logged: { reference: string; error: unknown }[] = [];
beforeAll(async () => {
  api = await openCrmApi({ log: (reference, error) => logged.push({ reference, error }) });
});
afterAll(() => api?.close());

const contract = (id: number) =>
  api.crm.root((c) =>
    c.query("select amount::text, payment_status, legal_status from crm.contracts where id = $1", [id]).then((r) => r.rows[0]),
  );

test("fiona (finance) sets the payment status of contract 2", async () => {
  const mutation =
    'mutation { updateContractByRowId(input: { rowId: "2", contractPatch: { paymentStatus: "invoiced" } }) { contract { rowId paymentStatus amount } } }';
  const { data, errors } = await api.query(mutation, { token: await api.token("fiona") });
  expect(errors).toBeUndefined();
  expect(data).toEqual({ updateContractByRowId: { contract: { rowId: "2", paymentStatus: "invoiced", amount: "125000.00" } } });
  expect(await contract(2)).toEqual({ amount: "125000.00", payment_status: "invoiced", legal_status: "pending" });
});

test("fiona setting the amount of contract 3 is FORBIDDEN, naming the column, and nothing changes", async () => {
  const mutation =
    'mutation { updateContractByRowId(input: { rowId: "3", contractPatch: { paymentStatus: "paid", amount: "1.00" } }) { contract { amount } } }';
  const { data, errors } = await api.query(mutation, { token: await api.token("fiona") });
  expect(data).toBeUndefined();
  expect(errors).toEqual([
    {
      message: "forbidden: your role may not use ContractPatch.amount (column crm.contracts.amount)",
      locations: [{ line: 1, column: 95 }],
      extensions: { code: "FORBIDDEN", type: "ContractPatch", field: "amount", column: "crm.contracts.amount" },
    },
  ]);
  expect(await contract(3)).toEqual({ amount: "36500.00", payment_status: "invoiced", legal_status: "approved" });
});

test("lena (legal) may not set a payment status: FORBIDDEN, and contract 2's stays", async () => {
  const before = await contract(2);
  const mutation =
    'mutation { updateContractByRowId(input: { rowId: "2", contractPatch: { paymentStatus: "paid" } }) { contract { rowId } } }';
  const { errors } = await api.query(mutation, { token: await api.token("lena") });
  expect(errors?.map((e) => [e.extensions?.code, e.extensions?.column])).toEqual([["FORBIDDEN", "crm.contracts.payment_status"]]);
  expect(await contract(2)).toEqual(before);
});

test("lena sets the legal status of contract 3, in review or signed", async () => {
  const mutation =
    'mutation { updateContractByRowId(input: { rowId: "3", contractPatch: { legalStatus: "rejected" } }) { contract { legalStatus } } }';
  const { data } = await api.query(mutation, { token: await api.token("lena") });
  expect(data).toEqual({ updateContractByRowId: { contract: { legalStatus: "rejected" } } });
  expect((await contract(3)).legal_status).toBe("rejected");
});

test("lena's update of draft contract 1, which she cannot see, changes nothing and reveals nothing", async () => {
  const mutation =
    'mutation { updateContractByRowId(input: { rowId: "1", contractPatch: { legalStatus: "approved" } }) { contract { rowId } } }';
  const { data, errors } = await api.query(mutation, { token: await api.token("lena") });
  expect({ data, errors }).toEqual({ data: { updateContractByRowId: { contract: null } }, errors: undefined });
  expect(await contract(1)).toEqual({ amount: "48000.00", payment_status: "pending", legal_status: "pending" });
});

test("rita creating a customer owned by rick is FORBIDDEN by row-level security, and no row is added", async () => {
  const mutation =
    'mutation { createCustomer(input: { customer: { name: "Handed Over Ltd", ownerId: "5", unitId: "4" } }) { customer { rowId } } }';
  const { data, errors } = await api.query(mutation, { token: await api.token("rita") });
  expect(data).toEqual({ createCustomer: null });
  expect(errors).toEqual([
    {
      message: "forbidden: row-level security does not let you write this row of customers",
      locations: [{ line: 1, column: 12 }],
      path: ["createCustomer"],
      extensions: { code: "FORBIDDEN", table: "customers" },
    },
  ]);
  expect(await api.crm.root((c) => column(c, "select count(*)::int from crm.customers where name = 'Handed Over Ltd'"))).toEqual([
    0,
  ]);
});

test("rita creates a customer of her own in East-1", async () => {
  const mutation =
    'mutation { createCustomer(input: { customer: { name: "Own Lead Ltd", ownerId: "4", unitId: "4" } }) { customer { name ownerId tier } } }';
  const { data } = await api.query(mutation, { token: await api.token("rita") });
  expect(data).toEqual({ createCustomer: { customer: { name: "Own Lead Ltd", ownerId: "4", tier: "standard" } } });
  expect(await api.crm.root((c) => column(c, "select owner_id::int from crm.customers where name = 'Own Lead Ltd'"))).toEqual([
    4,
  ]);
});

test("sam, holding a temporary update grant on wendy's customer 13, cannot make it his own: FORBIDDEN, and wendy keeps it", async () => {
  await api.crm.db.pool.query(
    `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason)
     select 3, 'customers', 13, p, now() + interval '1 day', 1, 'covering West-1' from unnest(array['select', 'update']) p`,
  );
  const token = await api.token("sam");
  const rename = await api.query(
    'mutation { updateCustomerByRowId(input: { rowId: "13", customerPatch: { name: "Nimbus Cloud Ltd" } }) { customer { name ownerId } } }',
    { token },
  );
  expect(rename).toEqual({
    status: 200,
    data: { updateCustomerByRowId: { customer: { name: "Nimbus Cloud Ltd", ownerId: "7" } } },
  });
  const { data, errors } = await api.query(
    'mutation { updateCustomerByRowId(input: { rowId: "13", customerPatch: { ownerId: "3" } }) { customer { ownerId } } }',
    { token },
  );
  expect(data).toEqual({ updateCustomerByRowId: null });
  expect(errors).toEqual([
    expect.objectContaining({
      message:
        "forbidden: you reach this row of customers only through a temporary grant or a membership, which lets you read or edit it, not change owner_id, unit_id",
      extensions: { code: "FORBIDDEN" },
    }),
  ]);
  expect(await api.crm.root((c) => column(c, "select owner_id from crm.customers where id = 13"))).toEqual(["7"]);
});

test("a database error other than a permission is masked with a reference the server log explains", async () => {
  const mutation =
    'mutation { updateServiceTicketByRowId(input: { rowId: "2", serviceTicketPatch: { status: "escalated" } }) { serviceTicket { status } } }';
  const { errors } = await api.query(mutation, { token: await api.token("suki") });
  expect(errors).toHaveLength(1);
  const { reference } = errors![0]!.extensions as { reference: string };
  expect(errors![0]).toEqual({
    message: `internal error (reference ${reference}); the details are in the server log`,
    locations: [{ line: 1, column: 12 }],
    path: ["updateServiceTicketByRowId"],
    extensions: { code: "INTERNAL", reference },
  });
  expect(reference).toMatch(/^[0-9a-f]{12}$/);
  const entry = logged.find((l) => l.reference === reference);
  expect(entry?.error).toMatchObject({ code: "23514", constraint: "service_tickets_status_check" });
  expect(await api.crm.root((c) => column(c, "select status from crm.service_tickets where id = 2"))).toEqual(["open"]);
});

test("a grant revoked after the schema was built surfaces as FORBIDDEN naming the table, not as a masked error", async () => {
  const rep = `"${api.crm.app.rolePrefix}sales_rep"`;
  await api.crm.db.pool.query(`revoke select (full_name) on crm.contacts from ${rep}`);
  try {
    const { data, errors } = await api.query("{ allContacts { nodes { rowId fullName } } }", { token: await api.token("rita") });
    expect(data).toEqual({ allContacts: null });
    expect(errors?.map((e) => [e.message, e.extensions])).toEqual([
      ["forbidden: permission denied for table contacts", { code: "FORBIDDEN", table: "contacts" }],
    ]);
  } finally {
    await api.crm.db.pool.query(`grant select (full_name) on crm.contacts to ${rep}`);
  }
});

describe("the typed client (generated/graphql) against the running server", () => {
  const endpoint = () => `${api.server.url}/graphql`;

  test("rita's RepCustomers lists her customers, the pool and her project's customer", async () => {
    const data = await request(endpoint(), RepCustomersDocument, { first: 50 }, { token: await api.token("rita") });
    // ids above the seed's 22 are customers rita created in the tests above
    expect(data.allCustomers!.nodes.map((n) => Number(n!.rowId)).filter((id) => id <= 22)).toEqual(
      customerExpectation("rita").ids,
    );
  });

  test("fiona's SetPaymentStatus marks contract 5 paid", async () => {
    const data = await request(
      endpoint(),
      SetPaymentStatusDocument,
      { rowId: "5", paymentStatus: "paid" },
      { token: await api.token("fiona") },
    );
    expect(data.updateContractByRowId?.contract).toEqual({
      rowId: "5",
      amount: "54000.00",
      stage: "active",
      paymentStatus: "paid",
    });
    expect((await contract(5)).payment_status).toBe("paid");
  });

  test("suki's SupportTicket shows ticket 2 with its customer's support columns", async () => {
    const data = await request(endpoint(), SupportTicketDocument, { rowId: "2" }, { token: await api.token("suki") });
    expect(data.serviceTicketByRowId).toEqual({
      rowId: "2",
      subject: "Import of legacy orders stuck",
      status: "open",
      body: "The nightly import has stopped at 60%.",
      createdAt: expect.stringMatching(/^2026-08-19T10:05:00/),
      customerByCustomerId: { name: "Granite Builders", tier: "standard", stage: "won" },
    });
  });

  test("rita cannot run finance's SetPaymentStatus: the client throws FORBIDDEN and contract 1 keeps its status", async () => {
    await expect(
      request(endpoint(), SetPaymentStatusDocument, { rowId: "1", paymentStatus: "paid" }, { token: await api.token("rita") }),
    ).rejects.toMatchObject({
      errors: [
        expect.objectContaining({
          extensions: expect.objectContaining({ code: "FORBIDDEN", column: "crm.contracts.payment_status" }),
        }),
      ],
    });
    expect((await contract(1)).payment_status).toBe("pending");
  });
});
