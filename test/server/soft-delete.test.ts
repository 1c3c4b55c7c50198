/**
 * Soft delete over HTTP: admin's delete mutation on crm.customers marks the row (the root check finds it,
 * marked), admin restores it with restoreCustomers, and a sales rep has neither a delete nor a restore in her
 * schema. HTTP requests commit,
 * so each test works on customers no other test touches.
 */
import { column } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

/** A customer's marks as the superuser sees them; `[]` when the row does not exist. */
const marks = (id: number) =>
  api.crm.root((c) =>
    c
      .query(
        "select id::int, deleted_at is not null as deleted, deleted_by::int, deleted_reason from crm.customers where id = $1",
        [id],
      )
      .then((r) => r.rows),
  );

/** Every column of a customer, as the superuser sees it. */
const wholeRow = (id: number) =>
  api.crm.root((c) => c.query("select to_jsonb(c) as row from crm.customers c where id = $1", [id]).then((r) => r.rows[0]?.row));

test("adam's deleteCustomerByRowId of rita's customer 3, with a reason, marks it: the payload names it, rita no longer sees it, the row exists", async () => {
  const rita = await api.token("rita");
  expect(await api.query('{ customerByRowId(rowId: "3") { rowId } }', { token: rita })).toEqual({
    status: 200,
    data: { customerByRowId: { rowId: "3" } },
  });
  const deleted = await api.query(
    'mutation { deleteCustomerByRowId(input: { rowId: "3", reason: "closed down", clientMutationId: "m1" }) { clientMutationId customer { rowId name } deletedCustomerId } }',
    { token: await api.token("adam") },
  );
  expect(deleted).toEqual({
    status: 200,
    data: {
      deleteCustomerByRowId: {
        clientMutationId: "m1",
        customer: { rowId: "3", name: "Cobalt Mining" },
        deletedCustomerId: expect.any(String),
      },
    },
  });
  expect(await api.query('{ customerByRowId(rowId: "3") { rowId } }', { token: rita })).toEqual({
    status: 200,
    data: { customerByRowId: null },
  });
  expect(await marks(3)).toEqual([{ id: 3, deleted: true, deleted_by: 15, deleted_reason: "closed down" }]);
});

test("rita has no delete mutation (deletion is requested and approved): deleteCustomerByRowId is FORBIDDEN, and her customer 2 is not marked", async () => {
  const { data, errors } = await api.query('mutation { deleteCustomerByRowId(input: { rowId: "2" }) { deletedCustomerId } }', {
    token: await api.token("rita"),
  });
  expect(data).toBeUndefined();
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    [expect.stringMatching(/^forbidden: your role may not use Mutation\.deleteCustomerByRowId\b/), "FORBIDDEN"],
  ]);
  expect(await marks(2)).toEqual([{ id: 2, deleted: false, deleted_by: null, deleted_reason: null }]);
});

test("adam's delete of customer 999, which does not exist, is FORBIDDEN: nothing was marked", async () => {
  const { data, errors } = await api.query('mutation { deleteCustomerByRowId(input: { rowId: "999" }) { deletedCustomerId } }', {
    token: await api.token("adam"),
  });
  expect(data).toEqual({ deleteCustomerByRowId: null });
  expect(errors).toEqual([
    expect.objectContaining({
      message: "forbidden: no row of customers with id 999 that you may delete",
      path: ["deleteCustomerByRowId"],
      extensions: { code: "FORBIDDEN" },
    }),
  ]);
});

test("adam (admin) deletes customer 13 by its node id, then restores it with restoreCustomers: every column is back as it was", async () => {
  const token = await api.token("adam");
  const before = await wholeRow(13);
  const nodeId = (await api.query('{ customerByRowId(rowId: "13") { id } }', { token })).data!.customerByRowId.id as string;
  const deleted = await api.query(`mutation { deleteCustomer(input: { id: "${nodeId}" }) { deletedCustomerId } }`, { token });
  expect(deleted).toEqual({ status: 200, data: { deleteCustomer: { deletedCustomerId: nodeId } } });
  expect(await marks(13)).toEqual([{ id: 13, deleted: true, deleted_by: 15, deleted_reason: null }]);

  const restored = await api.query(
    'mutation { restoreCustomers(input: { rowId: "13" }) { query { customerByRowId(rowId: "13") { rowId name deletedAt deletedBy } } } }',
    { token },
  );
  expect(restored).toEqual({
    status: 200,
    data: {
      restoreCustomers: { query: { customerByRowId: { rowId: "13", name: "Nimbus Cloud", deletedAt: null, deletedBy: null } } },
    },
  });
  expect(await wholeRow(13)).toEqual(before);
});

test("rita has no restoreCustomers in her schema: using it is FORBIDDEN, and the soft-deleted 21 stays marked", async () => {
  const { data, errors } = await api.query('mutation { restoreCustomers(input: { rowId: "21" }) { clientMutationId } }', {
    token: await api.token("rita"),
  });
  expect(data).toBeUndefined();
  expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    [expect.stringMatching(/^forbidden: your role may not use Mutation\.restoreCustomers\b/), "FORBIDDEN"],
  ]);
  expect(await marks(21)).toEqual([{ id: 21, deleted: true, deleted_by: null, deleted_reason: null }]);
});

test("sam (supervisor) may not restore roy's East-2 customer 7 that adam deleted: FORBIDDEN, and it stays marked", async () => {
  await api.query('mutation { deleteCustomerByRowId(input: { rowId: "7", reason: "duplicate" }) { deletedCustomerId } }', {
    token: await api.token("adam"),
  });
  const { data, errors } = await api.query('mutation { restoreCustomers(input: { rowId: "7" }) { clientMutationId } }', {
    token: await api.token("sam"),
  });
  expect(data).toEqual({ restoreCustomers: null });
  expect(errors).toEqual([
    expect.objectContaining({
      message: "forbidden: no soft-deleted row of customers with id 7 that you may restore",
      extensions: { code: "FORBIDDEN" },
    }),
  ]);
  expect(await marks(7)).toEqual([{ id: 7, deleted: true, deleted_by: 15, deleted_reason: "duplicate" }]);
  expect(await api.crm.root((c) => column(c, "select count(*)::int from crm.customers where id = 7"))).toEqual([1]);
});
