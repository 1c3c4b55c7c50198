import type { PoolClient } from "pg";
import {
  compileAgainst,
  compileApp,
  emitStatements,
  LintError,
  withRolePrefix,
  type Statement,
  lint,
  describeScope,
  buildPlan,
  all,
  defineApp,
  raw,
  role,
  sql,
  view,
  type AppDefinition,
  type RoleDefinition,
} from "../../db";
import { runInRolledBackTransaction } from "../../db/testing";
import { shopCatalog } from "./fixtures/catalog";
import { clerk, directory, manager, phoneMask, shop, shopIdentity, support, vip } from "./fixtures/shop";
import { openShopDatabase, type ShopDatabase } from "./fixtures/shop-database";

const FIX =
  "alter view … set (security_invoker = true), define it with view(…) so the compile generates it as a security_barrier view run by its own owner, or revoke it";

let shopDb: ShopDatabase;
let client: PoolClient;
let prefix: string;
beforeAll(async () => {
  // applied once so the app's roles exist and can be granted things in the tests below
  shopDb = await openShopDatabase({ apply: true });
  ({ client, prefix } = shopDb);
});
afterAll(() => shopDb?.close());

/** The shop app (under this file's prefix) with `extra` roles and, optionally, other views. */
const shopPlus = (extra: RoleDefinition[], views = [directory]): AppDefinition =>
  withRolePrefix(
    defineApp({
      schema: "shop",
      rolePrefix: "shop_",
      identity: shopIdentity,
      roles: [clerk, manager, support, ...extra],
      restrictions: [vip],
      masks: [phoneMask],
      views,
    }),
    prefix,
  );

/** Runs `setup` (SQL text), then compiles `app`, all in a transaction that is rolled back; returns what the compile threw. */
async function compileAfter(setup: string, app: AppDefinition = shopPlus([])): Promise<unknown> {
  return runInRolledBackTransaction(client, async (c) => {
    await c.query(setup);
    return compileAgainst(c, app).then(
      () => new Error("the compile succeeded"),
      (e: unknown) => e,
    );
  });
}

/** Compiles `app` on the hand-built shop catalog (no database); returns what the compile threw. */
function compileFails(app: AppDefinition): unknown {
  try {
    compileApp(app, shopCatalog());
    return new Error("the compile succeeded");
  } catch (e) {
    return e;
  }
}

/** The findings of the LintError `error`, as `lint: message` lines. */
function findingsOf(error: unknown): string[] {
  expect(error).toBeInstanceOf(LintError);
  return (error as LintError).findings.map((f) => `${f.lint}: ${f.message}`);
}

describe("views in the app schema", () => {
  test("a view granted to an app role without security_invoker fails the compile", async () => {
    const error = await compileAfter(`
      create view shop.legacy_customers as select id, name from shop.customers;
      grant select on shop.legacy_customers to "${prefix}clerk";`);
    expect(findingsOf(error)).toEqual([
      `view-invoker: view shop.legacy_customers is reachable by ${prefix}clerk without security_invoker: it would bypass row security; ${FIX}`,
    ]);
  });

  test("a view granted to public without security_invoker fails the compile", async () => {
    const error = await compileAfter(`
      create view shop.legacy_customers as select id, name from shop.customers;
      grant select on shop.legacy_customers to public;`);
    expect(findingsOf(error)).toEqual([
      `view-invoker: view shop.legacy_customers is reachable by public without security_invoker: it would bypass row security; ${FIX}`,
    ]);
  });

  test("a hand-written security_barrier view owned by the migration owner and granted to an app role fails the compile", async () => {
    const error = await compileAfter(`
      create view shop.vip_list with (security_barrier = true) as select id, name from shop.customers where tier = 'vip';
      grant select on shop.vip_list to "${prefix}support";`);
    expect(findingsOf(error)).toEqual([
      `view-invoker: view shop.vip_list is reachable by ${prefix}support without security_invoker: it would bypass row security; ${FIX}`,
    ]);
  });

  test("a view owned by an app role fails the compile, even with security_invoker", async () => {
    const error = await compileAfter(`
      create view shop.legacy_customers with (security_invoker = true) as select id, name from shop.customers;
      alter view shop.legacy_customers owner to "${prefix}clerk";`);
    expect(findingsOf(error)).toEqual([
      `view-invoker: view shop.legacy_customers is owned by app role ${prefix}clerk, which could redefine it: alter view … owner to the role that applies the migrations`,
    ]);
  });

  test("the same view with security_invoker compiles", async () => {
    const error = await compileAfter(`
      create view shop.legacy_customers with (security_invoker = true) as select id, name from shop.customers;
      grant select on shop.legacy_customers to "${prefix}clerk";`);
    expect(error).toEqual(new Error("the compile succeeded"));
  });
});

describe("security definer functions in the app schema", () => {
  test("one without a fixed search_path fails the compile", async () => {
    const error = await compileAfter(`
      create function shop.close_quarter() returns void language sql security definer as 'select';
      revoke execute on function shop.close_quarter() from public;`);
    expect(findingsOf(error)).toEqual([
      "definer: security definer function shop.close_quarter has no fixed search_path: add set search_path = pg_catalog, pg_temp",
    ]);
  });

  test("one executable by PUBLIC fails the compile", async () => {
    const error = await compileAfter(
      "create function shop.close_quarter() returns void language sql security definer set search_path = pg_catalog, pg_temp as 'select';",
    );
    expect(findingsOf(error)).toEqual([
      "definer: security definer function shop.close_quarter is executable by public: revoke execute … from public",
    ]);
  });

  test("one with neither fixed gets both findings", async () => {
    const error = await compileAfter(
      "create function shop.close_quarter() returns void language sql security definer as 'select';",
    );
    expect(findingsOf(error)).toEqual([
      "definer: security definer function shop.close_quarter has no fixed search_path: add set search_path = pg_catalog, pg_temp",
      "definer: security definer function shop.close_quarter is executable by public: revoke execute … from public",
    ]);
  });

  test("one with a fixed search_path and not executable by PUBLIC compiles", async () => {
    const error = await compileAfter(`
      create function shop.close_quarter() returns void language sql security definer set search_path = pg_catalog, pg_temp as 'select';
      revoke execute on function shop.close_quarter() from public;`);
    expect(error).toEqual(new Error("the compile succeeded"));
  });
});

test("a role that reads phone raw and is a role of a view listing phone_masked compiles: the view's twin is its owner's, not the role's", async () => {
  const reader = role("reader", {
    tables: { customers: { select: all(), columns: { default: "hidden", id: "read", phone: "read" } } },
  });
  const phoneBook = view("phone_book", { from: "customers", columns: ["id", "phone_masked"], where: all(), roles: [reader] });
  const app = shopPlus([reader], [directory, phoneBook]);
  const catalog = shopCatalog();
  const plan = buildPlan(app, catalog);
  expect(lint(plan, emitStatements(plan), catalog)).toEqual([]);
  const customers = plan.tables.find((t) => t.name === "customers")!;
  expect(customers.grants.find((g) => g.role === "reader")?.select).toEqual(["id", "phone"]);
  expect(plan.views.find((v) => v.name === "phone_book")?.reach[0]?.columns).toEqual(["id", "phone_masked"]);
});

describe("generated masking views", () => {
  const generated = async () => {
    const app = withRolePrefix(shop, prefix);
    const catalog = shopCatalog();
    const plan = buildPlan(app, catalog);
    return { plan, catalog, statements: emitStatements(plan) };
  };
  const replaceView = (statements: readonly Statement[], change: Partial<Statement>) =>
    statements.map((s) =>
      s.kind === "view" && s.target === "customer_directory" && s.securityInvoker !== undefined ? { ...s, ...change } : s,
    );

  test("the shop's directory is generated security_barrier, owned by its own owner role, and passes the lint", async () => {
    const { plan, catalog, statements } = await generated();
    const view = statements.filter((s) => s.kind === "view" && s.securityInvoker !== undefined && !s.target!.includes("."));
    expect(
      view.map((s) => ({ target: s.target, invoker: s.securityInvoker, barrier: s.securityBarrier, owner: s.owner })),
    ).toEqual([{ target: "customer_directory", invoker: false, barrier: true, owner: `${prefix}view_customer_directory` }]);
    expect(lint(plan, statements, catalog)).toEqual([]);
  });

  test("a view's owner is exempt from a restriction only where every role of the view is", async () => {
    const keepsOf = async (roles: RoleDefinition[]) => {
      const list = view("vip_list", { from: "customers", columns: ["id", "tier"], where: all(), roles });
      const app = shopPlus([], [directory, list]);
      const plan = buildPlan(app, shopCatalog());
      return plan.views
        .find((v) => v.name === "vip_list")!
        .reach[0]!.restrictives.map((r) => [r.restriction, r.keeps && describeScope(r.keeps)]);
    };
    // the manager alone is exempt over their unit tree; with the support, who is not, the owner keeps only what the restriction's unless does
    expect(await keepsOf([manager])).toEqual([
      ["vip", "rows they own (owner_id) or rows of their unit and its sub-units (unit_id)"],
    ]);
    expect(await keepsOf([manager, support])).toEqual([["vip", "rows they own (owner_id)"]]);
  });

  test("a generated view without security_barrier fails the lint", async () => {
    const { plan, catalog, statements } = await generated();
    expect(lint(plan, replaceView(statements, { securityBarrier: false }), catalog)).toEqual([
      {
        lint: "view-invoker",
        message:
          "view shop.customer_directory is generated without security_invoker or security_barrier: a view that runs as its owner must be security_barrier; define it with view(…) so the compile generates it",
      },
    ]);
  });

  test("a generated view left to the migration owner (a superuser) or given to an app role fails the lint", async () => {
    const { plan, catalog, statements } = await generated();
    const owned = (owner: string | undefined) =>
      lint(plan, replaceView(statements, owner === undefined ? { owner: undefined } : { owner }), catalog).map((f) => f.message);
    expect([...owned(undefined), ...owned(`${prefix}support`)]).toEqual([
      `view shop.customer_directory is generated to run as whoever applies the migration (a superuser), not as its own owner role ${prefix}view_customer_directory: alter view … owner to ${prefix}view_customer_directory; define it with view(…) so the compile generates it`,
      `view shop.customer_directory is generated to run as ${prefix}support, not as its own owner role ${prefix}view_customer_directory: alter view … owner to ${prefix}view_customer_directory; define it with view(…) so the compile generates it`,
    ]);
  });
});

describe("functions called from policies", () => {
  test("an identity helper called without (select …) fails the compile", async () => {
    const hasty = role("hasty", {
      tables: {
        customers: {
          select: raw(sql`${sql.identifier("owner_id")} = gatehouse.current_user_id(current_user)`, "owned, unwrapped"),
        },
      },
    });
    const error = compileFails(shopPlus([hasty]));
    expect(findingsOf(error)).toEqual([
      'helper-call: policy "hasty__select" on customers calls gatehouse.current_user_id without (select …): wrap it so it runs once per statement',
    ]);
  });

  test("a volatile function of the app schema fails the compile, even wrapped", async () => {
    const gambler = role("gambler", { tables: { customers: { select: raw(sql`(select shop.coin_toss())`, "a coin toss") } } });
    const error = await compileAfter(
      "create function shop.coin_toss() returns boolean language sql volatile as 'select random() < 0.5';",
      shopPlus([gambler]),
    );
    expect(findingsOf(error)).toEqual([
      'helper-call: policy "gambler__select" on customers calls shop.coin_toss, which is volatile and would run once per row: make it stable',
    ]);
  });

  test("the same function declared stable compiles", async () => {
    const gambler = role("gambler", { tables: { customers: { select: raw(sql`(select shop.coin_toss())`, "a coin toss") } } });
    const error = await compileAfter(
      "create function shop.coin_toss() returns boolean language sql stable as 'select true';",
      shopPlus([gambler]),
    );
    expect(error).toEqual(new Error("the compile succeeded"));
  });

  test("an unwrapped helper call into a toolkit schema named with a quote is still found", async () => {
    const hasty = role("hasty", {
      tables: {
        customers: {
          select: raw(
            sql`${sql.identifier("owner_id")} = ${sql.identifier('gate"house', "current_user_id")}(current_user)`,
            "owned, unwrapped",
          ),
        },
      },
    });
    const app = { ...shopPlus([hasty]), toolkitSchema: 'gate"house' };
    const catalog = shopCatalog();
    const plan = buildPlan(app, catalog);
    const helperCalls = lint(plan, emitStatements(plan), catalog).filter((f) => f.lint === "helper-call");
    expect(helperCalls).toEqual([
      {
        lint: "helper-call",
        message: expect.stringMatching(/^policy "hasty__select" on customers calls .*current_user_id without \(select …\)/),
      },
    ]);
  });
});

test("a protected table whose rls statement is missing fails the force lint", async () => {
  const app = withRolePrefix(shop, prefix);
  const catalog = shopCatalog();
  const plan = buildPlan(app, catalog);
  const statements = emitStatements(plan);
  expect(lint(plan, statements, catalog)).toEqual([]);
  const withoutRls = statements.filter((s) => !(s.kind === "rls" && s.target === "customers"));
  expect(withoutRls).toHaveLength(statements.length - 1);
  expect(lint(plan, withoutRls, catalog)).toEqual([
    {
      lint: "force",
      message: "table shop.customers has policies but row level security is not forced: its owner would bypass them",
    },
  ]);
});

test("a security definer function no grant statement revokes from public fails the definer lint", () => {
  const app = withRolePrefix(shop, "t0_");
  const catalog = shopCatalog();
  const plan = buildPlan(app, catalog);
  const statements = emitStatements(plan);
  const unrevoked = statements.map((s) =>
    s.revokes?.includes("gatehouse.current_user_id")
      ? { ...s, revokes: s.revokes.filter((f) => f !== "gatehouse.current_user_id") }
      : s,
  );
  expect(lint(plan, unrevoked, catalog)).toEqual([
    { lint: "definer", message: "security definer function current_user_id is not revoked from public" },
  ]);
});
