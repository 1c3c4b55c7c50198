/**
 * Named operations over HTTP: adam closes the open project and rita, its member, loses its customer on her next
 * request; sam is not offered the operation. HTTP requests commit, so the file has its own database.
 */
import { column } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

const customer11 = '{ customerByRowId(rowId: "11") { rowId name } }';

test("adam closes the open project; rita's next request no longer shows its customer 11", async () => {
  const rita = await api.token("rita");
  expect((await api.query(customer11, { token: rita })).data).toEqual({ customerByRowId: { rowId: "11", name: "Lumen Labs" } });
  const closed = await api.query('mutation { closeProject(input: { rowId: "1" }) { result } }', {
    token: await api.token("adam"),
  });
  expect(closed).toEqual({ status: 200, data: { closeProject: { result: "1" } } });
  expect((await api.query(customer11, { token: rita })).data).toEqual({ customerByRowId: null });
  expect(await api.crm.root((c) => column(c, "select status from crm.projects where id = 1"))).toEqual(["closed"]);
});

test("sam (supervisor) is not offered closeProject, and the closed project stays as it is", async () => {
  const { errors } = await api.query('mutation { closeProject(input: { rowId: "2" }) { result } }', {
    token: await api.token("sam"),
  });
  expect(errors?.[0]?.message).toMatch(/closeProject/);
  expect(await api.crm.root((c) => column(c, "select status from crm.projects where id = 2"))).toEqual(["closed"]);
});

test("rita claims pool customer 16 over GraphQL and owns it; fiona (finance) is not offered claimCustomer", async () => {
  const claimed = await api.query('mutation { claimCustomer(input: { rowId: "16" }) { result } }', {
    token: await api.token("rita"),
  });
  expect(claimed).toEqual({ status: 200, data: { claimCustomer: { result: "16" } } });
  expect(await api.crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 16"))).toEqual([4]);
  const { errors } = await api.query('mutation { claimCustomer(input: { rowId: "17" }) { result } }', {
    token: await api.token("fiona"),
  });
  expect(errors?.[0]?.message).toMatch(/claimCustomer/);
  expect(await api.crm.root((c) => column(c, "select owner_id from crm.customers where id = 17"))).toEqual([null]);
});

test("sam reveals contact 5's phone over GraphQL with a reason; rita (sales rep) is not offered revealContactsPhone", async () => {
  const revealed = await api.query(
    'mutation { revealContactsPhone(input: { rowId: "5", reason: "customer called back" }) { result } }',
    {
      token: await api.token("sam"),
    },
  );
  expect(revealed).toEqual({ status: 200, data: { revealContactsPhone: { result: "+1-555-0105" } } });
  expect(
    await api.crm.root((c) =>
      column(c, "select reason from gatehouse.audit_log where operation = 'reveal' and row_key = '{\"id\": 5}'"),
    ),
  ).toEqual(["customer called back"]);
  const { errors } = await api.query('mutation { revealContactsPhone(input: { rowId: "3", reason: "x" }) { result } }', {
    token: await api.token("rita"),
  });
  expect(errors?.[0]?.message).toMatch(/revealContactsPhone/);
});

test("adam runs the archiving maintenance over GraphQL and gets its count; rita is not offered the pool maintenance", async () => {
  const archived = await api.query("mutation { archiveStaleCustomers(input: {}) { result } }", {
    token: await api.token("adam"),
  });
  expect(archived).toEqual({ status: 200, data: { archiveStaleCustomers: { result: "0" } } });
  const { errors } = await api.query("mutation { returnIdleCustomersToPool(input: {}) { result } }", {
    token: await api.token("rita"),
  });
  expect(errors?.[0]?.message).toMatch(/returnIdleCustomersToPool/);
  // nobody in the seed is 3 years without contact: only the seeded archived customer 22 is archived
  expect(await api.crm.root((c) => column(c, "select id::int from crm.customers where archived_at is not null"))).toEqual([22]);
});

test("rita releases her customer 2 over GraphQL; releasing rick's customer 4 is FORBIDDEN and he keeps it", async () => {
  const token = await api.token("rita");
  expect(await api.query('mutation { releaseCustomer(input: { rowId: "2" }) { result } }', { token })).toEqual({
    status: 200,
    data: { releaseCustomer: { result: "2" } },
  });
  const refused = await api.query('mutation { releaseCustomer(input: { rowId: "4" }) { result } }', { token });
  expect(refused.errors).toEqual([
    expect.objectContaining({ message: "forbidden: customers 4 is not yours to release", extensions: { code: "FORBIDDEN" } }),
  ]);
  expect(await api.crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 4"))).toEqual([5]);
});
