import { compileApp, defineApp, own, role, via, withRolePrefix } from "../../db";
import { shopCatalog } from "./fixtures/catalog";
import { clerk, shop, shopIdentity } from "./fixtures/shop";

const { sql } = compileApp(withRolePrefix(shop, "snap_"), shopCatalog());

/** The body of one `create policy` on orders, from `using (` or `with check (` to its closing line. */
function clause(policy: string, keyword: "using" | "with check"): string {
  const start = sql.indexOf(`create policy "${policy}" on "shop"."orders"`);
  expect(start).toBeGreaterThanOrEqual(0);
  const statement = sql.slice(start, sql.indexOf(";\n", start));
  return statement.split(`\n  ${keyword} (\n`)[1]!.split("\n  )")[0]!.trim();
}

/** The `create function` statements of the via array helpers on orders. */
const helpers = (): string[] =>
  sql
    .split(";\n")
    .filter((s) => s.includes('create or replace function "gatehouse"."via_orders__customer_id'))
    .map((s) => s.trim());

test("clerk's select of orders probes the customer row by row, offset 0: a page stops after its first rows instead of hashing every customer", () => {
  expect(clause("clerk__select", "using")).toBe(
    [
      '(select "gatehouse"."current_user_id"(current_user)) is not null',
      '    and exists (select 1 from "shop"."customers" as "p1" where "p1"."id" = "orders"."customer_id" offset 0)',
    ].join("\n"),
  );
});

test("clerk's insert of orders for their own customers reads those customers' keys once per statement, for the foreign key index; support, with no rule on orders, may not call it", () => {
  const check = clause("clerk__insert", "with check");
  expect(check).toMatch(
    /"orders"\."customer_id" = any \(\(select "gatehouse"\."via_orders__customer_id__[0-9a-f]{8}"\(\)\)::bigint\[\]\)/,
  );
  expect(check).not.toContain("exists");
  const name = /via_orders__customer_id__[0-9a-f]{8}/.exec(check)![0];
  const helper = helpers().find((h) => h.includes(`"gatehouse"."${name}"()`));
  expect(helper).toContain("language plpgsql stable security invoker");
  expect(helper).toContain(
    'return array(select p1."id" from "shop"."customers" as p1\n     where "p1"."owner_id" = (select "gatehouse"."current_user_id"(current_user)))',
  );
  expect(sql).toContain(
    `grant execute on function "gatehouse"."${name}"() to "snap_clerk", "snap_manager", "snap_view_customer_directory"`,
  );
});

test("manager's update of orders over their unit tree probes row by row: a tree opens too many customers to list", () => {
  expect(clause("manager__update", "using")).toContain(
    'exists (select 1 from "shop"."customers" as "p1" where "p1"."id" = "orders"."customer_id" and "p1"."unit_id" = any ((select "gatehouse"."current_unit_tree"(current_user))::bigint[]) offset 0)',
  );
  expect(helpers()).toHaveLength(1);
});

describe("a via without a condition, for a role whose rules on the parent open few rows", () => {
  const courier = role("courier", {
    description: "delivers the orders of the customers they own",
    tables: {
      customers: { select: own("owner_id"), columns: { default: "read" } },
      orders: { select: via("customer_id", "customers"), columns: { default: "read" } },
    },
  });
  const app = defineApp({ schema: "shop", rolePrefix: "shop_", identity: shopIdentity, roles: [clerk, courier] });
  const compiled = compileApp(withRolePrefix(app, "few_"), shopCatalog()).sql;
  const using = (policy: string): string => {
    const start = compiled.indexOf(`create policy "${policy}" on "shop"."orders"`);
    expect(start).toBeGreaterThanOrEqual(0);
    return compiled.slice(start, compiled.indexOf(";\n", start));
  };

  test("courier's orders list the keys of the customers courier sees, once per statement: courier's customers are their own", () => {
    expect(using("courier__select")).toContain(
      '"orders"."customer_id" = any ((select "gatehouse"."via_orders__customer_id"())::bigint[])',
    );
    expect(compiled).toContain('return array(select p1."id" from "shop"."customers" as p1);');
    expect(compiled).toContain('grant execute on function "gatehouse"."via_orders__customer_id"() to "few_clerk", "few_courier"');
  });

  test("clerk's orders, under the same via, still probe per row: a clerk also sees the whole unowned pool", () => {
    expect(using("clerk__select")).toContain(
      'exists (select 1 from "shop"."customers" as "p1" where "p1"."id" = "orders"."customer_id" offset 0)',
    );
  });
});
