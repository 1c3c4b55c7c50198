/**
 * Approvals as a toolkit feature, on the small shop app (test/compile/fixtures/shop.ts), not the CRM: the definition
 * checks its own shape with did-you-mean errors, the compile refuses definitions that could never work and says how to
 * fix them, and a compiled shop runs the whole flow — a clerk asks to change an order's amount, a manager over the
 * customer's unit approves it with their own rights, and nobody changes the amount any other way.
 */
import path from "node:path";
import type { PoolClient } from "pg";
import { CompileError, compileApp, roleName, approval, defineApp, own, role, unitTree, via } from "../../db";
import { createAppDatabase, type AppTestDatabase, attempt } from "../../db/testing";
import { shopCatalog } from "./fixtures/catalog";
import { clerk, directory, manager, phoneMask, shopIdentity, support, vip } from "./fixtures/shop";

/** A factory as a definition file run by tsx sees it: no type check, so any argument reaches the runtime. */
const untyped =
  <A extends unknown[], R>(factory: (...args: A) => R) =>
  (...args: unknown[]): R =>
    factory(...(args as A));

const ownCustomer = via("customer_id", "customers", own("owner_id"));
const customerInTree = via("customer_id", "customers", unitTree("unit_id"));

/** The order amount approval, with some options replaced. */
const orderAmount = (options: Partial<Parameters<typeof approval>[1]> = {}) =>
  approval("order_amount", {
    table: "orders",
    change: { update: ["amount"] },
    requesters: [[clerk, ownCustomer]],
    approvers: [[manager, customerInTree]],
    expires: "2 days",
    ...options,
  });

const shopWith = (approvals: Parameters<typeof defineApp>[0]["approvals"], roles = [clerk, manager, support]) =>
  defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles,
    restrictions: [vip],
    masks: [phoneMask],
    views: [directory],
    approvals,
  });

describe("the definition checks its own shape", () => {
  test("a misspelled key of the change, of the options and of the duration each names the closest word", () => {
    expect(() =>
      untyped(approval)("order_amount", {
        table: "orders",
        change: { updat: ["amount"] },
        requesters: [[clerk, ownCustomer]],
        approver: [[manager, customerInTree]],
        expires: "2 dais",
      }),
    ).toThrow(
      new Error(
        "invalid approval definition:\n" +
          '  - approval order_amount: change has an unknown key "updat" (did you mean "update"?)\n' +
          '  - approval order_amount: expires must be a duration such as "30 days" or "8 hours" (a whole number above 0 and second, minute, hour, day or week), not "2 dais" (did you mean "days"?)\n' +
          '  - approval order_amount has an unknown key "approver" (did you mean "approvers"?)',
      ),
    );
  });

  test('a change that is neither "delete" nor an object says what it may be', () => {
    expect(() => orderAmount({ change: "delet" as never })).toThrow(
      new Error(
        'invalid approval definition:\n  - approval order_amount: change must be "delete", { update: [columns] } or { set: { column: value } }, not "delet" (did you mean "delete"?)',
      ),
    );
  });

  test("an approver that is not in the app's roles is named", () => {
    const auditor = role("auditor", { tables: { orders: { select: customerInTree } } });
    expect(() => shopWith([orderAmount({ approvers: [[auditor, customerInTree]] })])).toThrow(
      'approval order_amount refers to role "auditor", which is not in roles: add it to roles',
    );
  });
});

describe("the compile refuses approvals that could never work", () => {
  /** The problems compiling the shop with these approvals on the hand-built catalog gives: no database. */
  const compileProblems = (approvals: Parameters<typeof shopWith>[0]): readonly string[] => {
    try {
      compileApp(shopWith(approvals), shopCatalog());
    } catch (error) {
      if (error instanceof CompileError) return error.problems;
      throw error;
    }
    return [];
  };

  test("an approver without a rule to apply the change, a via() without where, a misspelled column", () => {
    expect(
      compileProblems([
        approval("order_delete", {
          table: "orders",
          change: "delete",
          requesters: [[clerk, via("customer_id", "customers")]],
          approvers: [[manager, customerInTree]],
          expires: "2 days",
        }),
        orderAmount({ change: { update: ["amout"] } }),
      ]),
    ).toEqual([
      'approval order_amount: table orders has no column "amout" (did you mean "amount"?)',
      'approval order_delete: requester clerk uses via("customer_id", "customers") without a where: the toolkit checks it in a security definer function, where customers\'s own row security does not apply; say which customers rows, e.g. via("customer_id", "customers", unitTree("unit_id"))',
      "approval order_delete: approver manager has no delete rule on orders, so its approvals could never apply (an approval deletes with the approver's own rights): add delete to its rules on orders; the approval keeps direct deletes out",
      "approval order_amount: approver manager may not write orders.amout, so its approvals could never apply: give it write on it",
    ]);
  });
});

describe("a second app runs the whole flow", () => {
  let shopDb: AppTestDatabase;
  beforeAll(async () => {
    shopDb = await createAppDatabase({
      app: shopWith([orderAmount()]),
      migrations: [path.join(__dirname, "fixtures/shop.sql")],
      seed: async (c) => {
        await c.query(`insert into shop.org_units (id, parent_id, name) values (1, null, 'Shop'), (2, 1, 'Floor'), (3, 1, 'Annex');
          insert into shop.users (id, username, unit_id) values (1, 'mia', 1), (2, 'carl', 2), (3, 'cleo', 2), (4, 'max', 3);
          insert into shop.user_roles (user_id, role) values (1, 'manager'), (2, 'clerk'), (3, 'clerk'), (4, 'manager');
          insert into shop.customers (id, name, owner_id, unit_id) values (1, 'Tea House', 2, 2);
          insert into shop.orders (id, customer_id, amount) values (1, 1, 100);`);
      },
    });
  });
  afterAll(() => shopDb?.close());

  const as = async (c: PoolClient, role: string, userId: number) => {
    await c.query(`set local role "${roleName(shopDb.app, role)}"`);
    await c.query("select set_config('jwt.claims.user_id', $1, true)", [String(userId)]);
  };

  test("carl (clerk) asks for 120 on his order 1; max (manager of another unit) may not decide it, mia approves with her own update", async () => {
    const seen = await shopDb.as({ role: "clerk", userId: 2 }, async (c) => {
      const made = (await c.query("select shop.request_order_amount(1, 120, 'price list changed') as r")).rows[0].r;
      const carl = await attempt(c, "select shop.approve_request($1)", [made.id]);
      await as(c, "manager", 4);
      const max = await attempt(c, "select shop.approve_request($1)", [made.id]);
      const direct = await attempt(c, "update shop.orders set amount = 1 where id = 1");
      await as(c, "manager", 1);
      const mine = (await c.query("select id from shop.pending_approvals()")).rows.map((r) => Number(r.id));
      const refused = await attempt(c, "update shop.orders set amount = 1 where id = 1");
      const approved = (await c.query("select shop.approve_request($1, 'fine') as r", [made.id])).rows[0].r;
      const amount = (await c.query("select amount from shop.orders where id = 1")).rows;
      return {
        made: [made.kind, made.change, made.requested_by],
        carl,
        max,
        direct,
        mine: mine.length,
        refused,
        approved: [approved.status, approved.decided_by],
        amount,
      };
    });
    const gate = {
      code: "42501",
      message:
        "gatehouse: changing amount of a row of orders needs an approved request (row 1): ask with shop.request_order_amount(row_id, amount, reason); manager approve",
    };
    expect(seen).toEqual({
      made: ["order_amount", { amount: 120 }, 2],
      carl: { code: "42501", message: "permission denied for function approve_request" },
      max: { code: "42501", message: expect.stringMatching(/^gatehouse: no approval request \d+ that you may decide$/) },
      direct: { rowCount: 0, rows: [] },
      mine: 1,
      refused: gate,
      approved: ["approved", 1],
      amount: [{ amount: "120.00" }],
    });
    expect(await shopDb.root(async (c) => (await c.query("select amount from shop.orders where id = 1")).rows)).toEqual([
      { amount: "100.00" },
    ]);
  });
});
