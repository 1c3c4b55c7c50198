import type { PoolClient } from "pg";
import { applySql, compileAgainst, compileAndApply, withRolePrefix, type CompileResult } from "../../db";
import type { AppDefinition } from "../../db";
import { createTestDatabase, type TestDatabase } from "../../db/testing";
import { readSecurityState } from "./fixtures/security-state";
import { shop, SHOP_SCHEMA_SQL } from "./fixtures/shop";

let db: TestDatabase;
let client: PoolClient;
let app: AppDefinition;
let compiled: CompileResult;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  await client.query(SHOP_SCHEMA_SQL);
  app = withRolePrefix(shop, `${db.rolePrefix}shop_`);
  compiled = await compileAgainst(client, app);
  await applySql(client, compiled.sql);
});
afterAll(async () => {
  client?.release();
  await db?.drop();
});

const state = () => readSecurityState(client, ["shop", "gatehouse"], db.rolePrefix);
const twinColumn = async () =>
  (
    await client.query(
      "select attnum, col_description(attrelid, attnum) as marker from pg_attribute where attrelid = 'shop.customers'::regclass and attname = 'phone_masked'",
    )
  ).rows;

test("applying the compiled SQL a second time succeeds and leaves the same roles, policies and grants", async () => {
  const first = await state();
  expect(first.roles.map((r) => (r as { rolname: string }).rolname)).toEqual(
    ["anonymous", "authenticator", "clerk", "manager", "support", "view_customer_directory"].map((r) => `${app.rolePrefix}${r}`),
  );
  const twin = await twinColumn();
  await applySql(client, compiled.sql);
  expect(await state()).toEqual(first);
  // The twin was kept, not dropped and re-added (which would give it a new attnum).
  expect(await twinColumn()).toEqual(twin);
  expect(twin).toEqual([{ attnum: 9, marker: "gatehouse mask: keep_last(4) of phone" }]);
});

test("after applying, the shop tables hold exactly the generated policies, each forced", async () => {
  const { policies, rowSecurity } = await state();
  expect(policies.map((p) => [(p as { tablename: string }).tablename, (p as { policyname: string }).policyname])).toEqual([
    ["customers", "clerk__select"],
    ["customers", "clerk__update"],
    ["customers", "manager__select"],
    ["customers", "manager__update"],
    ["customers", "restrict__vip__clerk"],
    ["customers", "restrict__vip__manager"],
    ["customers", "restrict__vip__support"],
    ["customers", "restrict__vip__view_customer_directory"],
    ["customers", "support__select"],
    ["customers", "view_customer_directory__select"],
    ["orders", "clerk__insert"],
    ["orders", "clerk__select"],
    ["orders", "manager__insert"],
    ["orders", "manager__select"],
    ["orders", "manager__update"],
  ]);
  expect(rowSecurity).toEqual([
    // the API server's activity record (emit/activity.ts)
    { schema: "gatehouse", table: "activity", enabled: true, forced: true },
    // the shop has a masking view, so the toolkit records its exports (emit/exports.ts)
    { schema: "gatehouse", table: "exports", enabled: true, forced: true },
    { schema: "gatehouse", table: "logins", enabled: true, forced: true },
    // the unit tree's closure, which current_unit_tree() reads (emit/unit-tree.ts)
    { schema: "gatehouse", table: "unit_tree", enabled: true, forced: true },
    ...["customers", "orders", "org_units", "user_roles", "users"].map((table) => ({
      schema: "shop",
      table,
      enabled: true,
      forced: true,
    })),
  ]);
});

test("support holds select on exactly its own columns, the twin instead of the raw phone", async () => {
  const { columnPrivileges } = await state();
  const support = columnPrivileges
    .map((p) => p as { grantee: string; table_name: string; column_name: string; privilege_type: string })
    .filter((p) => p.grantee === `${app.rolePrefix}support` && p.table_name === "customers")
    .map((p) => `${p.privilege_type} ${p.column_name}`);
  expect(support).toEqual([
    "SELECT archived_at",
    "SELECT id",
    "SELECT name",
    "SELECT phone_masked",
    "SELECT region",
    "SELECT tier",
    "SELECT unit_id",
  ]);
});

test("compiling again against the applied database and applying that changes nothing either", async () => {
  const before = await state();
  const again = await compileAndApply(client, app);
  expect(again.sql).toBe(compiled.sql);
  expect(await state()).toEqual(before);
});
