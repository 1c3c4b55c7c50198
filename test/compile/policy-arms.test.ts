/**
 * `policyArms` (db/compile/policy-arms.ts), pure: the arms `gatehouse explain` evaluates are the alternatives of a
 * permissive scope's top-level `or`, rendered as the policy renders them, and a role's restrictive policies carry
 * their restriction's words and clauses.
 */
import { all, and, buildPlan, channelIsNot, is, isNull, own, policyArms, scopeLabel, unitTree, via } from "../../db";
import { shopCatalog } from "./fixtures/catalog";
import { shop } from "./fixtures/shop";

const plan = buildPlan(shop, shopCatalog());
const guard = '(select "gatehouse"."current_user_id"(current_user))';

test("a clerk's select policy on customers has two arms, own and pool, each with its words and SQL over the table's row", () => {
  const arms = policyArms(plan, "clerk", "customers", "select");
  expect(arms.permissive).toEqual({
    name: "clerk__select",
    sources: ["role clerk"],
    using: [
      { label: "own(owner_id)", words: "rows they own (owner_id)", sql: `"customers"."owner_id" = ${guard}`, parts: [] },
      {
        label: "pool(owner_id)",
        words: "the unowned pool (owner_id is null)",
        sql: `("customers"."owner_id" is null) is true`,
        parts: [],
      },
    ],
  });
});

test("a manager's flattened rules add the unit tree arm; the vip restriction keeps the manager's exemption", () => {
  const arms = policyArms(plan, "manager", "customers", "select");
  expect(arms.permissive?.using?.map((a) => a.label)).toEqual(["own(owner_id)", "pool(owner_id)", "unitTree(unit_id)"]);
  expect(arms.restrictives.map((r) => [r.name, r.restriction, r.command, r.words])).toEqual([
    [
      "restrict__vip__manager",
      "vip",
      "all",
      "hides rows matching tier is 'vip', unless rows they own (owner_id) or rows of their unit and its sub-units (unit_id)",
    ],
  ]);
  expect(arms.restrictives[0]!.check).toBeUndefined();
  expect(arms.restrictives[0]!.using).toBe(
    `("customers"."tier" = 'vip') is not true
    or ("customers"."owner_id" = ${guard}
      or "customers"."unit_id" = any ((select "gatehouse"."current_unit_tree"(current_user))::bigint[]))`,
  );
});

test("an insert rule has only check arms; no rule (or no such table), no permissive", () => {
  const insert = policyArms(plan, "clerk", "orders", "insert").permissive!;
  expect(insert.using).toBeUndefined();
  expect(insert.check?.map((a) => a.label)).toEqual(["via(customer_id, customers, own(owner_id))"]);
  expect(policyArms(plan, "clerk", "orders", "delete")).toEqual({ restrictives: [] });
  expect(policyArms(plan, "support", "orders", "select")).toEqual({ restrictives: [] });
  expect(policyArms(plan, "clerk", "nowhere", "select")).toEqual({ restrictives: [] });
});

test("scopeLabel writes a scope as the definition API does", () => {
  expect(scopeLabel(and(via("customer_id", "customers", unitTree("unit_id")), is("status", "open", "held")))).toBe(
    "and(via(customer_id, customers, unitTree(unit_id)), is(status, open, held))",
  );
  expect(scopeLabel(all())).toBe("all()");
  expect(scopeLabel(isNull("archived_at"))).toBe("isNull(archived_at)");
  expect(scopeLabel(channelIsNot("mobile"))).toBe("channelIsNot(mobile)");
  expect(scopeLabel(own("owner_id"))).toBe("own(owner_id)");
});
