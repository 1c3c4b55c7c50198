import type { PoolClient } from "pg";
import { compileAndApply } from "../../db/apply/apply";
import { introspect } from "../../db/catalog/introspect";
import { compileApp, withRolePrefix } from "../../db/compile";
import { shop } from "./fixtures/shop";
import { openShopDatabase, type ShopDatabase } from "./fixtures/shop-database";

/** Compile is pure: with a fixed prefix the text is the same wherever it runs, and no role is created. */
const snap = withRolePrefix(shop, "snap_");

let shopDb: ShopDatabase;
let client: PoolClient;
beforeAll(async () => {
  shopDb = await openShopDatabase();
  ({ client } = shopDb);
});
afterAll(() => shopDb?.close());

const compileSnap = async () => compileApp(snap, await introspect(client, snap.schema, [snap.toolkitSchema]));

test("the shop app compiles to the reviewed SQL and access matrix", async () => {
  const result = await compileSnap();
  expect(result.sql).toMatchSnapshot("sql");
  expect(result.matrix).toMatchSnapshot("matrix");
});

test("compiling names only roles with the given prefix and creates none", async () => {
  const { sql } = await compileSnap();
  const roles = [...new Set([...sql.matchAll(/create role "([^"]+)"/g)].map((m) => m[1]))];
  expect(roles).toEqual([
    "snap_clerk",
    "snap_manager",
    "snap_support",
    "snap_anonymous",
    "snap_view_customer_directory",
    "snap_authenticator",
  ]);
  const { rows } = await client.query("select rolname from pg_roles where starts_with(rolname, 'snap_')");
  expect(rows).toEqual([]);
});

test("compiling twice gives identical text", async () => {
  const first = await compileSnap();
  const second = await compileSnap();
  expect(second.sql).toBe(first.sql);
  expect(second.matrix).toBe(first.matrix);
});

test("compiling after applying gives identical text, although the masked twin and helpers now exist", async () => {
  const before = await compileSnap();
  await compileAndApply(client, withRolePrefix(shop, `${shopDb.db.rolePrefix}shop_`));
  const twin = await client.query(
    "select attname from pg_attribute where attrelid = 'shop.customers'::regclass and attgenerated = 's' order by attnum",
  );
  expect(twin.rows).toEqual([{ attname: "phone_masked" }]);
  const after = await compileSnap();
  expect(after.sql).toBe(before.sql);
  expect(after.matrix).toBe(before.matrix);
});
