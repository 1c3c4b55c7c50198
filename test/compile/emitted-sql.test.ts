import type { PoolClient } from "pg";
import { compileAndApply, introspect, compileApp, withRolePrefix } from "../../db";
import { shopCatalog } from "./fixtures/catalog";
import { shop } from "./fixtures/shop";
import { openShopDatabase, type ShopDatabase } from "./fixtures/shop-database";

/** Compile is pure: on the hand-built shop catalog, with a fixed prefix, the text is the same wherever it runs. */
const snap = withRolePrefix(shop, "snap_");
const compileSnap = () => compileApp(snap, shopCatalog());

test("the shop app compiles to the reviewed SQL and access matrix", () => {
  const result = compileSnap();
  expect(result.sql).toMatchSnapshot("sql");
  expect(result.matrix).toMatchSnapshot("matrix");
});

test("compiling names only roles with the given prefix", () => {
  const { sql } = compileSnap();
  const roles = [...new Set([...sql.matchAll(/create role "([^"]+)"/g)].map((m) => m[1]))];
  expect(roles).toEqual([
    "snap_clerk",
    "snap_manager",
    "snap_support",
    "snap_anonymous",
    "snap_view_customer_directory",
    "snap_authenticator",
  ]);
});

test("compiling twice gives identical text", () => {
  const first = compileSnap();
  const second = compileSnap();
  expect(second.sql).toBe(first.sql);
  expect(second.matrix).toBe(first.matrix);
});

describe("against the shop's database", () => {
  let shopDb: ShopDatabase;
  let client: PoolClient;
  beforeAll(async () => {
    shopDb = await openShopDatabase();
    ({ client } = shopDb);
  });
  afterAll(() => shopDb?.close());

  test("the hand-built shop catalog is what introspect reads from shop.sql", async () => {
    expect(await introspect(client, snap.schema, [snap.toolkitSchema])).toEqual(shopCatalog());
  });

  test("compiling creates no role", async () => {
    compileApp(snap, await introspect(client, snap.schema, [snap.toolkitSchema]));
    const { rows } = await client.query("select rolname from pg_roles where starts_with(rolname, 'snap_')");
    expect(rows).toEqual([]);
  });

  test("compiling after applying gives identical text, although the masked twin and helpers now exist", async () => {
    const before = compileSnap();
    await compileAndApply(client, withRolePrefix(shop, `${shopDb.db.rolePrefix}shop_`));
    const twin = await client.query(
      "select attname from pg_attribute where attrelid = 'shop.customers'::regclass and attgenerated = 's' order by attnum",
    );
    expect(twin.rows).toEqual([{ attname: "phone_masked" }]);
    const after = compileApp(snap, await introspect(client, snap.schema, [snap.toolkitSchema]));
    expect(after.sql).toBe(before.sql);
    expect(after.matrix).toBe(before.matrix);
  });
});
