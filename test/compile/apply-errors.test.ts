import type { PoolClient } from "pg";
import {
  compileAndApply,
  CompileError,
  withRolePrefix,
  defineApp,
  isNotNull,
  raw,
  role,
  sql,
  type AppDefinition,
  type RoleDefinition,
} from "../../db";
import { readSecurityState } from "./fixtures/security-state";
import { clerk, directory, manager, phoneMask, shopIdentity, support, vip } from "./fixtures/shop";
import { openShopDatabase, type ShopDatabase } from "./fixtures/shop-database";

/** A refused compile or a failed apply against a database that holds the shop's rules: nothing changes. */
let shopDb: ShopDatabase;
let client: PoolClient;
/** The role prefix every app in this file is compiled with: the test database's own, so its roles are dropped with it. */
let prefix: string;
beforeAll(async () => {
  // the good app is applied first, so a failed compile has something it could have broken
  shopDb = await openShopDatabase({ apply: true });
  ({ client, prefix } = shopDb);
});
afterAll(() => shopDb?.close());

/** The shop app with `extra` roles added. */
const shopPlus = (...extra: RoleDefinition[]): AppDefinition =>
  defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles: [clerk, manager, support, ...extra],
    restrictions: [vip],
    masks: [phoneMask],
    views: [directory],
  });

/**
 * Compiles and applies `app` (under this file's prefix), expects it to fail, and checks that the
 * prefixed roles, the policies and the column and table privileges are exactly as before.
 */
async function rejectsAndChangesNothing(app: AppDefinition): Promise<unknown> {
  const before = await readSecurityState(client, ["shop", "gatehouse"], shopDb.db.rolePrefix);
  const error = await compileAndApply(client, withRolePrefix(app, prefix)).then(
    () => new Error("the compile succeeded"),
    (e: unknown) => e,
  );
  expect(await readSecurityState(client, ["shop", "gatehouse"], shopDb.db.rolePrefix)).toEqual(before);
  return error;
}

test("a CompileError lists every problem at once, one line each", async () => {
  const twoBad = role("two_bad", { tables: { customers: { select: isNotNull("phon"), columns: { regin: "read" } } } });
  const error = (await rejectsAndChangesNothing(shopPlus(twoBad))) as CompileError;
  expect(error).toBeInstanceOf(CompileError);
  expect(error.message).toBe(
    "gatehouse cannot compile these definitions:\n" +
      '  - role two_bad: table customers has no column "phon" (did you mean "phone"?)\n' +
      '  - role two_bad: table customers has no column "regin" (did you mean "region"?)',
  );
});

test("a raw predicate the database rejects fails the apply and leaves roles, policies and grants as they were", async () => {
  const auditor = role("auditor", {
    tables: { orders: { select: raw(sql`${sql.identifier("no_such_column")} > 0`, "nonsense") } },
  });
  const error = await rejectsAndChangesNothing(shopPlus(auditor));
  expect(error).toMatchObject({ code: "42703", message: 'column "no_such_column" does not exist' });
  const { rows } = await client.query("select rolname from pg_roles where rolname = $1", [`${prefix}auditor`]);
  expect(rows).toEqual([]);
});
