import type { AppTestDatabase } from "../../db/testing/app-database";
import { column, openCrmDatabase, persona } from "./crm-database";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

test("rita sees her own customers, the pool and her open project's customer", async () => {
  const ids = await crm.as(persona("rita"), (c) => column<string>(c, "select id from crm.customers order by id"));
  expect(ids.map(Number)).toEqual([1, 2, 3, 11, 16, 17, 18]);
});

test("olga, frozen, sees no customer although she still owns two", async () => {
  expect(await crm.as(persona("olga"), (c) => column(c, "select id from crm.customers"))).toEqual([]);
  expect(await crm.root((c) => column(c, "select id::int from crm.customers where owner_id = 17 order by id"))).toEqual([19, 20]);
});

test("ana's role-bound login sees her unit subtree and cannot pose as dana by setting claims", async () => {
  const login = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  const before = await login.query("select id::int from crm.customers order by id");
  await login.query("select set_config('jwt.claims.user_id', '1', false)");
  const after = await login.query("select id::int from crm.customers order by id");
  expect(after.rows).toEqual(before.rows);
  expect(before.rows.map((r) => r.id)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 19, 20]);
});
