/**
 * The committed migration stays reviewable: after the first generation, a permission change is committed as the
 * units that changed (db/migrations/changes.ts), and running them on the committed state gives the same security
 * state as running the whole new generation.
 */
import type { PoolClient } from "pg";
import {
  applySql,
  compileAgainst,
  withRolePrefix,
  changesSince,
  foldCommitted,
  renderChanges,
  toUnits,
  type CommittedGeneration,
  all,
  and,
  defineApp,
  is,
  isNull,
  keepLast,
  mask,
  own,
  restrict,
  role,
  unitTree,
  view,
  type AppDefinition,
  toDdl,
} from "../../db";
import { createTestDatabase, type TestDatabase } from "../../db/testing";
import { readSecurityState } from "./fixtures/security-state";
import { clerk, manager, phoneMask, shop, shopIdentity, SHOP_SCHEMA_SQL, support } from "./fixtures/shop";

let db: TestDatabase;
let client: PoolClient;
let prefix: string;
/** The shop's full generation, as the first committed migration carries it (every unit marked). */
let firstMigration: string;
let committed: CommittedGeneration;

const compileUnits = async (app: AppDefinition) => {
  const result = await compileAgainst(client, withRolePrefix(app, prefix));
  return {
    sql: result.sql,
    units: toUnits(
      result.statements,
      result.statements.map((s) => toDdl(s.sql)),
    ),
  };
};

beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  await client.query(SHOP_SCHEMA_SQL);
  prefix = `${db.rolePrefix}shop_`;
  const first = await compileUnits(shop);
  firstMigration = renderChanges("shop", changesSince(new Map(), first.units), "shop-security.sql")!;
  await applySql(client, firstMigration);
  committed = foldCommitted([firstMigration], "shop");
});
afterAll(async () => {
  client?.release();
  await db?.drop();
});

/** The shop with some roles replaced (by name); the restriction and the view follow the replaced roles. */
function shopWith(roles: { manager?: typeof manager; support?: typeof support; masks?: AppDefinition["masks"] }): AppDefinition {
  const m = roles.manager ?? manager;
  const s = roles.support ?? support;
  return defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles: [clerk, m, s],
    restrictions: [
      restrict("vip", {
        table: "customers",
        hides: is("tier", "vip"),
        unless: own("owner_id"),
        exempt: [[m, unitTree("unit_id")]],
      }),
    ],
    masks: roles.masks ?? [phoneMask],
    views: [
      view("customer_directory", {
        from: "customers",
        columns: ["id", "name", "region", "phone_masked"],
        where: and(isNull("archived_at"), is("tier", "standard")),
        roles: [s],
        description: "a phone book of standard customers: masked phones only",
      }),
    ],
  });
}

/** Everything the generated SQL decides, read from the catalogs: roles, policies, grants, views, functions, columns. */
async function securityState() {
  const rows = async (text: string) => (await client.query(text)).rows;
  return {
    ...(await readSecurityState(client, ["shop", "gatehouse"], db.rolePrefix)),
    views: await rows("select schemaname, viewname, definition from pg_views where schemaname like 'shop%' order by 1, 2"),
    viewGrants: await rows(
      "select table_schema, table_name, grantee, privilege_type from information_schema.table_privileges where table_schema like 'shop_%' order by 1, 2, 3, 4",
    ),
    functions: await rows(
      `select p.oid::regprocedure::text as fn, p.proacl::text as acl, md5(p.prosrc) as body from pg_proc p
        where p.pronamespace in ('shop'::regnamespace, 'gatehouse'::regnamespace) order by 1`,
    ),
    columns: await rows(
      "select table_name, column_name, is_generated, generation_expression from information_schema.columns where table_schema = 'shop' order by 1, 2",
    ),
    triggers: await rows(
      "select tgrelid::regclass::text as t, tgname, tgenabled from pg_trigger where not tgisinternal order by 1, 2",
    ),
  };
}

/** The state after running `sql` on the committed state, rolled back. */
async function stateAfter(...texts: string[]) {
  await client.query("begin");
  try {
    for (const text of texts) await client.query(text);
    return await securityState();
  } finally {
    await client.query("rollback");
  }
}

test("the first committed migration carries the whole generation, each unit marked with its key and hash", async () => {
  const { sql, units } = await compileUnits(shop);
  expect(firstMigration.match(/^-- gatehouse unit shop [0-9a-f]{12} ".*"$/gm)).toHaveLength(units.length);
  expect(committed.size).toBe(units.length);
  expect(await stateAfter(firstMigration)).toEqual(await stateAfter(sql));
  expect(renderChanges("shop", changesSince(committed, units), "shop-security.sql")).toBeUndefined();
});

test("support's read rule narrowed to the north region commits one policy: dropped and created again, nothing else", async () => {
  const north = role("support", {
    description: "reads every customer with the phone masked; no orders",
    tables: { customers: { select: is("region", "north"), columns: { default: "read", phone: "masked", owner_id: "hidden" } } },
  });
  const next = await compileUnits(shopWith({ support: north }));
  const changes = changesSince(committed, next.units);
  const migration = renderChanges("shop", changes, "shop-security.sql")!;

  expect(changes.units.map((u) => u.key)).toEqual(["policy:shop.customers:support__select"]);
  expect(changes.removed).toEqual([]);
  expect(migration.split("\n").length).toBeLessThan(20);
  expect(next.sql.split("\n").length).toBeGreaterThan(400);
  expect(migration).toContain(`drop policy if exists "support__select" on "shop"."customers";`);
  expect(migration).toMatch(/create policy "support__select" on "shop"."customers"[\s\S]*'north'/);
  expect(await stateAfter(migration)).toEqual(await stateAfter(next.sql));
});

test("manager losing the update of orders commits the dropped policy, the table's grants and manager's select * view of orders, and runs to the same state", async () => {
  const managerWithoutOrders = role("manager", {
    extends: [clerk],
    description: "a clerk who also manages every customer of their unit and its sub-units",
    tables: {
      customers: {
        select: unitTree("unit_id"),
        update: { using: unitTree("unit_id") },
        columns: { owner_id: "write", tier: "write" },
      },
    },
  });
  const next = await compileUnits(shopWith({ manager: managerWithoutOrders }));
  const changes = changesSince(committed, next.units);
  const migration = renderChanges("shop", changes, "shop-security.sql")!;

  expect(changes.removed).toEqual([
    { key: "policy:shop.orders:manager__update", drop: `drop policy if exists "manager__update" on "shop"."orders";` },
  ]);
  expect(changes.units.map((u) => u.key)).toEqual(["grant:orders", "view:shop_manager.orders"]);
  expect(migration.split("\n").length).toBeLessThan(50);
  expect(await stateAfter(migration)).toEqual(await stateAfter(next.sql));
});

test("support reading the phone raw commits its grants and its select * view, and runs to the same state", async () => {
  const rawPhone = role("support", {
    description: "reads every customer with the phone masked; no orders",
    tables: { customers: { select: all(), columns: { default: "read", owner_id: "hidden" } } },
  });
  const next = await compileUnits(shopWith({ support: rawPhone }));
  const changes = changesSince(committed, next.units);
  const migration = renderChanges("shop", changes, "shop-security.sql")!;

  expect(changes.units.map((u) => u.key)).toEqual(["grant:customers", "view:shop_support.customers"]);
  expect(changes.removed).toEqual([]);
  expect(migration).toContain(`drop view if exists "shop_support"."customers";`);
  expect(await stateAfter(migration)).toEqual(await stateAfter(next.sql));
});

test("the phone mask keeping 2 digits instead of 4 rebuilds the masked column with its views and grants, and runs to the same state", async () => {
  const next = await compileUnits(shopWith({ masks: [mask("customers", "phone", keepLast(2))] }));
  const changes = changesSince(committed, next.units);
  const migration = renderChanges("shop", changes, "shop-security.sql")!;

  const kinds = [...new Set(changes.units.map((u) => u.key.split(":")[0]))];
  expect(kinds).toEqual(["schema", "view", "column", "grant"]);
  expect(changes.units.map((u) => u.key)).toContain("grant:customers");
  expect(migration).toContain(`"gatehouse"."mask_keep_last"("phone", 2)`);
  expect(await stateAfter(migration)).toEqual(await stateAfter(next.sql));
});

test("the committed generation keeps each unit's hash and the drop written after its mark; marks of other apps, and unmarked migrations, are not this app's", () => {
  const other = firstMigration.replaceAll("-- gatehouse unit shop ", "-- gatehouse unit crm ");
  expect(foldCommitted([other, "create table t (id int);"], "shop").size).toBe(0);
  const removed = `${firstMigration}\n-- gatehouse removed shop "grant:orders"\n`;
  expect(foldCommitted([removed], "shop").has("grant:orders")).toBe(false);
  expect(foldCommitted([removed], "shop").size).toBe(committed.size - 1);
  expect(committed.get("policy:shop.customers:support__select")).toEqual({
    hash: expect.stringMatching(/^[0-9a-f]{12}$/),
    drop: 'drop policy if exists "support__select" on "shop"."customers";',
  });
  expect(committed.get("view:shop_support.customers")?.drop).toBe('drop view if exists "shop_support"."customers";');
  expect(committed.get("grant:customers")).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{12}$/) });
});

test("a unit tree closure of the earlier layout (a row per ancestor and descendant) is replaced and filled by the committed change, as the org tree stands", async () => {
  const { units } = await compileUnits(shop);
  // the earlier generation had neither this table unit nor the statement that fills it (their keys carry their hashes)
  const closureUnits = units.filter((u) => u.key.startsWith("table:unit_tree:"));
  expect(closureUnits).toHaveLength(2);
  const earlier = new Map([...committed].filter(([key]) => !closureUnits.some((u) => u.key === key)));
  const change = renderChanges("shop", changesSince(earlier, units), "shop-security.sql")!;
  await client.query("begin");
  try {
    await client.query(
      `insert into shop.org_units (id, parent_id, name) values (1, null, 'root'), (2, 1, 'north'), (3, 2, 'north-1'), (4, 1, 'south')`,
    );
    await client.query("drop table gatehouse.unit_tree");
    await client.query(
      "create table gatehouse.unit_tree (ancestor bigint not null, descendant bigint not null, primary key (ancestor, descendant))",
    );
    await client.query("insert into gatehouse.unit_tree values (1, 1), (1, 4)");
    await client.query(change);
    const closure = await client.query<{ ancestor: string; descendants: string[] }>(
      "select ancestor, descendants from gatehouse.unit_tree order by ancestor",
    );
    expect(closure.rows).toEqual([
      { ancestor: "1", descendants: ["1", "2", "3", "4"] },
      { ancestor: "2", descendants: ["2", "3"] },
      { ancestor: "3", descendants: ["3"] },
      { ancestor: "4", descendants: ["4"] },
    ]);
  } finally {
    await client.query("rollback");
  }
});
