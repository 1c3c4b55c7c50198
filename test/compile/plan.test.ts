import {
  buildPlan,
  tableOf,
  SCOPE_KINDS,
  describeScope,
  directColumns,
  all,
  defineApp,
  isNotNull,
  or,
  own,
  pool,
  restrict,
  reveal,
  role,
  unitTree,
  via,
} from "../../db";
import { catalogTable, shopCatalog } from "./fixtures/catalog";
import { clerk, directory, manager, phoneMask, shop, shopIdentity, support, vip } from "./fixtures/shop";

/** The plan is pure: built here from the hand-built shop catalog, with no database. */
const plan = buildPlan(shop, shopCatalog());

describe("the plan resolves what the emitters need, so they never read the catalog", () => {
  test("orders' foreign key to customers is resolved, with the key via() joins on", () => {
    expect(tableOf(plan, "orders").foreignKeys).toEqual([{ column: "customer_id", parent: "customers", key: "id" }]);
  });

  test("customers' key, key type and column types are resolved from the catalog", () => {
    const customers = tableOf(plan, "customers");
    expect([customers.key, customers.keyType]).toEqual(["id", "bigint"]);
    expect(customers.columnTypes).toMatchObject({ phone: "text", archived_at: "timestamp with time zone" });
  });

  test("the tables referencing customers are listed for a purge: orders must go (customer_id is not null)", () => {
    expect(tableOf(plan, "customers").referencedBy).toEqual([{ table: "orders", column: "customer_id", required: true }]);
  });

  test("a referencing column that allows null is cleared, not its rows removed", () => {
    const notes = catalogTable(
      "notes",
      { id: "bigint not null", customer_id: { type: "bigint", references: "customers" } },
      {
        primaryKey: ["id"],
      },
    );
    const withNotes = buildPlan(shop, shopCatalog([notes]));
    expect(tableOf(withNotes, "customers").referencedBy).toEqual([
      { table: "notes", column: "customer_id", required: false },
      { table: "orders", column: "customer_id", required: true },
    ]);
  });

  test("vip on customers is one restrictive policy for all commands per role it binds, named in the plan, no ban", () => {
    const customers = tableOf(plan, "customers");
    expect(customers.restrictives.map((r) => [r.role, r.policies])).toEqual([
      ["clerk", [{ name: "restrict__vip__clerk", command: "all", ban: false }]],
      ["manager", [{ name: "restrict__vip__manager", command: "all", ban: false }]],
      ["support", [{ name: "restrict__vip__support", command: "all", ban: false }]],
    ]);
  });

  test("a restriction hiding every row from updates is a ban on update, decided in the plan", () => {
    const frozen = restrict("frozen", { table: "customers", hides: all(), commands: ["update"] });
    const app = defineApp({
      schema: "shop",
      rolePrefix: "shop_",
      identity: shopIdentity,
      roles: [clerk, manager, support],
      restrictions: [vip, frozen],
      masks: [phoneMask],
      views: [directory],
    });
    const customers = tableOf(buildPlan(app, shopCatalog()), "customers");
    expect(customers.restrictives.filter((r) => r.restriction === "frozen").map((r) => [r.role, r.policies])).toEqual([
      ["clerk", [{ name: "restrict__frozen__clerk__update", command: "update", ban: true }]],
      ["manager", [{ name: "restrict__frozen__manager__update", command: "update", ban: true }]],
    ]);
  });

  test("manager's customers policies flatten clerk's rules: own or pool, or its unit tree", () => {
    const select = tableOf(plan, "customers").policies.find((p) => p.role === "manager" && p.command === "select")!;
    expect(describeScope(select.using!)).toBe(
      "rows they own (owner_id) or the unowned pool (owner_id is null) or rows of their unit and its sub-units (unit_id)",
    );
    expect(select.sources).toEqual(["role clerk", "role manager"]);
  });

  test("support reads customers with the masked twin in the place of phone; owner_id stays out", () => {
    const grant = tableOf(plan, "customers").grants.find((g) => g.role === "support")!;
    expect(grant.select).toEqual(["id", "name", "region", "tier", "unit_id", "archived_at", "phone_masked"]);
  });
});

test("a pool arm gets a partial index with the arm as its predicate, on the table's unit column even when no role's rules name a unit (clerk alone)", () => {
  const clerksOnly = defineApp({ schema: "shop", rolePrefix: "shop_", identity: shopIdentity, roles: [clerk] });
  const replaces = ["customers_owner_id_unit_id_null_idx", "customers_unit_id_owner_id_null_idx"];
  expect(tableOf(buildPlan(clerksOnly, shopCatalog()), "customers").supportIndexes).toEqual([
    { name: "customers_owner_id_pool_unit_id_idx", column: "unit_id", nullColumn: "owner_id", columnIs: "unit column", replaces },
  ]);
  // beside the manager's unit tree, the same index, now named by a unit scope
  expect(tableOf(plan, "customers").supportIndexes).toEqual([
    { name: "customers_owner_id_pool_unit_id_idx", column: "unit_id", nullColumn: "owner_id", columnIs: "unit scope", replaces },
  ]);
  // a table without a pool arm gets none
  expect(tableOf(plan, "orders").supportIndexes).toEqual([]);
});

test("a pool arm on a table without a unit column gets the partial index on the key", () => {
  const lots = catalogTable(
    "lots",
    { id: "bigint not null", owner_id: { type: "bigint", references: "users" } },
    { primaryKey: ["id"] },
  );
  const bidder = role("bidder", { tables: { lots: { select: or(own("owner_id"), pool("owner_id")) } } });
  const app = defineApp({ schema: "shop", rolePrefix: "shop_", identity: shopIdentity, roles: [bidder] });
  expect(tableOf(buildPlan(app, shopCatalog([lots])), "lots").supportIndexes).toEqual([
    { name: "lots_owner_id_pool_idx", column: "id", nullColumn: "owner_id", columnIs: "key", replaces: [] },
  ]);
});

test("who may reveal is decided in the plan: a clerk listed for its own rows, and the manager extending it, with the nearest listing", () => {
  const app = defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles: [clerk, manager, support],
    restrictions: [vip],
    masks: [phoneMask],
    views: [directory],
    reveals: [
      reveal("customers", "phone", {
        by: [
          [clerk, own("owner_id")],
          [manager, unitTree("unit_id")],
        ],
      }),
    ],
  });
  const revealers = buildPlan(app, shopCatalog()).privileges.reveals["customers.phone"]!;
  expect(revealers.map((r) => [r.role, describeScope(r.scope)])).toEqual([
    ["clerk", "rows they own (owner_id)"],
    ["manager", "rows of their unit and its sub-units (unit_id)"],
  ]);
});

describe("each scope kind is one module", () => {
  test("every kind of the definition API has its module, with the flags the checks read", () => {
    const flags = Object.fromEntries(
      Object.entries(SCOPE_KINDS).map(([kind, k]) => [kind, [k.asksWho, k.holds, k.readsParentRows]]),
    );
    expect(flags).toEqual({
      own: [true, true, false],
      unit: [true, true, false],
      unitTree: [true, true, false],
      userInTree: [true, true, false],
      all: [false, false, false],
      pool: [false, true, false],
      via: [false, true, true],
      granted: [true, false, false],
      member: [true, false, false],
      attr: [false, false, false],
      isNull: [false, false, false],
      future: [false, false, false],
      channel: [true, false, false],
      raw: [false, false, false],
      or: [false, false, false],
      and: [false, false, false],
    });
  });

  test("a policy's arms go cheapest first: row columns, then the unit tree, then via; each kind says where", () => {
    const orderOf = (kind: keyof typeof SCOPE_KINDS) =>
      (SCOPE_KINDS[kind] as { order: (s: never, o: () => number) => number }).order({} as never, () => 0);
    expect([orderOf("own"), orderOf("pool"), orderOf("unitTree"), orderOf("granted"), orderOf("member"), orderOf("via")]).toEqual(
      [0, 0, 1, 2, 2, 3],
    );
    const ordered = buildPlan(
      defineApp({
        schema: "shop",
        rolePrefix: "shop_",
        identity: shopIdentity,
        roles: [
          role("agent", {
            tables: {
              customers: { select: or(unitTree("unit_id"), own("owner_id")) },
              orders: { select: or(via("customer_id", "customers"), own("created_by")) },
            },
          }),
        ],
      }),
      shopCatalog(),
    );
    const using = (table: string) =>
      describeScope(ordered.tables.find((t) => t.name === table)!.policies.find((p) => p.role === "agent")!.using!);
    expect([using("customers"), using("orders")]).toEqual([
      "rows they own (owner_id) or rows of their unit and its sub-units (unit_id)",
      "rows they own (created_by) or rows whose customers row is visible to them",
    ]);
  });

  test("a kind's columns are those of its own row: a via's foreign key, not what the parent reads", () => {
    expect(directColumns(or(isNotNull("archived_at"), via("customer_id", "customers", isNotNull("region"))))).toEqual([
      "archived_at",
      "customer_id",
    ]);
  });
});
