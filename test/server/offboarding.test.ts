/**
 * Offboarding over HTTP: adam (admin) previews and then offboards rick to rita; rick's token, still valid,
 * gets nothing on his next request; a supervisor is not offered the operation. HTTP requests commit, so the
 * file has its own database.
 */
import { column } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

test("adam previews, then offboards rick to rita; rick's still valid token sees nothing on his next request", async () => {
  const adam = await api.token("adam");
  const rick = await api.token("rick");
  const ricksCustomers = "{ allCustomers(orderBy: ROW_ID_ASC) { nodes { rowId } } }";
  expect((await api.query(ricksCustomers, { token: rick })).data).toEqual({
    allCustomers: {
      nodes: [{ rowId: "4" }, { rowId: "5" }, { rowId: "6" }, { rowId: "8" }, { rowId: "16" }, { rowId: "17" }, { rowId: "18" }],
    },
  });

  const preview = await api.query(
    'mutation { offboardingPreview(input: { target: "5", successor: "4" }) { result { userId role tableName rowKey change } } }',
    { token: adam },
  );
  expect(preview.errors).toBeUndefined();
  expect(preview.data!.offboardingPreview.result).toEqual([
    ...["4", "5", "6"].map((rowKey) => ({ userId: "4", role: "sales_rep", tableName: "customers", rowKey, change: "gains" })),
    ...["4", "5", "6"].map((rowKey) => ({ userId: "5", role: "sales_rep", tableName: "customers", rowKey, change: "loses" })),
  ]);
  expect(await api.crm.root((c) => column(c, "select status from crm.users where id = 5"))).toEqual(["active"]);

  const done = await api.query(
    'mutation { offboardUser(input: { target: "5", successor: "4", reason: "left the company" }) { result } }',
    {
      token: adam,
    },
  );
  expect(done).toEqual({
    status: 200,
    data: { offboardUser: { result: { "customers.owner_id": 4, "grants ended": 1, "project_members ended": 1 } } },
  });
  expect((await api.query(ricksCustomers, { token: rick })).data).toEqual({ allCustomers: { nodes: [] } });
  expect(
    await api.crm.root((c) => column(c, "select owner_id::int from crm.customers where id in (4, 5, 6) order by id")),
  ).toEqual([4, 4, 4]);
});

test("sam (supervisor) is not offered offboardUser: a validation error, and nobody is frozen", async () => {
  const { errors } = await api.query('mutation { offboardUser(input: { target: "4", reason: "x" }) { result } }', {
    token: await api.token("sam"),
  });
  expect(errors?.[0]?.message).toMatch(/offboardUser/);
  expect(await api.crm.root((c) => column(c, "select status from crm.users where id = 4"))).toEqual(["active"]);
});

test("adam transfers roy to East-1 over GraphQL: his East-2 customers go to the pool; sam is not offered transferUser", async () => {
  const moved = await api.query(
    'mutation { transferUser(input: { target: "6", newUnit: "4", reason: "moves to East-1" }) { result } }',
    {
      token: await api.token("adam"),
    },
  );
  expect(moved).toEqual({ status: 200, data: { transferUser: { result: { "customers.owner_id": 4 } } } });
  expect(
    await api.crm.root((c) => column(c, "select owner_id from crm.customers where id in (7, 8, 9, 10) order by id")),
  ).toEqual([null, null, null, null]);
  const { errors } = await api.query(
    'mutation { transferUser(input: { target: "4", newRole: "finance", reason: "x" }) { result } }',
    {
      token: await api.token("sam"),
    },
  );
  expect(errors?.[0]?.message).toMatch(/transferUser/);
  expect(await api.crm.root((c) => column(c, "select role from crm.user_roles where user_id = 4"))).toEqual(["sales_rep"]);
});
