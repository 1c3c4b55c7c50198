import path from "node:path";
import { defineApp, own, pool, or, role, via } from "../../db";
import { createAppDatabase, type AppTestDatabase } from "../../db/testing";
import { shopIdentity } from "../compile/fixtures/shop";

/**
 * A via without a condition, for a role whose rules on the parent open few rows, lists the parent keys the role
 * sees (the plan marks it); the same via for a role seeing the whole pool probes per row. Both answer alike.
 */
const courier = role("courier", {
  description: "delivers the orders of the customers they own",
  tables: {
    customers: { select: own("owner_id"), columns: { default: "read" } },
    orders: { select: via("customer_id", "customers"), columns: { default: "read" } },
  },
});
const dispatcher = role("dispatcher", {
  description: "dispatches the orders of their own customers and of the unowned pool",
  tables: {
    customers: { select: or(own("owner_id"), pool("owner_id")), columns: { default: "read" } },
    orders: { select: via("customer_id", "customers"), columns: { default: "read" } },
  },
});
const app = defineApp({ schema: "shop", rolePrefix: "lv_", identity: shopIdentity, roles: [courier, dispatcher] });

let db: AppTestDatabase;
beforeAll(async () => {
  db = await createAppDatabase({
    app,
    migrations: [path.join(__dirname, "../compile/fixtures/shop.sql")],
    seed: async (c) => {
      await c.query(`insert into shop.org_units (id, name) values (1, 'all');
        insert into shop.users (id, username, unit_id, status) values
          (1, 'cora', 1, 'active'), (2, 'cole', 1, 'active'), (3, 'fred', 1, 'frozen'), (4, 'dina', 1, 'active');
        insert into shop.user_roles (user_id, role) values (1, 'courier'), (2, 'courier'), (3, 'courier'), (4, 'dispatcher');
        insert into shop.customers (id, name, owner_id, unit_id) values
          (10, 'Cora One', 1, 1), (11, 'Cora Two', 1, 1), (20, 'Cole One', 2, 1), (30, 'Fred One', 3, 1),
          (40, 'Dina One', 4, 1), (50, 'Nobody', null, 1);
        insert into shop.orders (id, customer_id, amount) values
          (100, 10, 1), (101, 10, 2), (110, 11, 3), (200, 20, 4), (300, 30, 5), (400, 40, 6), (500, 50, 7);`);
    },
  });
});
afterAll(() => db?.close());

const orderIds = (persona: { role: string; userId: number }) =>
  db.as(persona, async (c) => (await c.query("select id::int from shop.orders order by id")).rows.map((r) => r.id as number));

test("cora, courier, sees exactly the orders of her own two customers, through the listed keys of her customers", async () => {
  expect(await orderIds({ role: "courier", userId: 1 })).toEqual([100, 101, 110]);
  const plan = await db.as({ role: "courier", userId: 1 }, async (c) =>
    JSON.stringify((await c.query("explain (verbose, format json) select id from shop.orders")).rows),
  );
  expect(plan).toContain("via_orders__customer_id");
  expect(plan).not.toMatch(/SubPlan/);
});

test("cora cannot see cole's order, which exists", async () => {
  expect(await orderIds({ role: "courier", userId: 1 })).not.toContain(200);
  expect(await db.root(async (c) => (await c.query("select customer_id::int from shop.orders where id = 200")).rows)).toEqual([
    { customer_id: 20 },
  ]);
});

test("fred, a frozen courier, sees none of his customer's orders, which exist", async () => {
  expect(await orderIds({ role: "courier", userId: 3 })).toEqual([]);
  expect(await db.root(async (c) => (await c.query("select id::int from shop.orders where customer_id = 30")).rows)).toEqual([
    { id: 300 },
  ]);
});

test("dina, dispatcher, sees her own and the pool's orders, each probed per row: the pool is open to every dispatcher", async () => {
  expect(await orderIds({ role: "dispatcher", userId: 4 })).toEqual([400, 500]);
  const plan = await db.as({ role: "dispatcher", userId: 4 }, async (c) =>
    JSON.stringify((await c.query("explain (verbose, format json) select id from shop.orders")).rows),
  );
  expect(plan).not.toContain("via_orders__customer_id");
  expect(plan).toMatch(/SubPlan/);
});

test("dina, dispatcher, calling the listed-keys helper herself gets only the customers she already sees", async () => {
  const helper = await db.root(async (c) =>
    (
      await c.query("select p.oid::regprocedure::text as name from pg_proc p where p.proname = 'via_orders__customer_id'")
    ).rows.map((r) => r.name as string),
  );
  expect(helper).toHaveLength(1);
  const answer = await db.as({ role: "dispatcher", userId: 4 }, async (c) =>
    (await c.query(`select unnest(${helper[0]!}) as id`)).rows.map((r) => Number(r.id)),
  );
  expect(answer).toEqual([40, 50]);
});
