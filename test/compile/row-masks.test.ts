/**
 * Row-dependent masks in the plan and the compile, on the shop app (no database): who reads a masked column raw,
 * row by row or masked, the grants that follow, and the definitions the compile refuses with the fix named.
 */
import {
  all,
  CompileError,
  compileApp,
  defineApp,
  encrypt,
  keepLast,
  mask,
  maskReading,
  own,
  role,
  rowMasksOf,
  unit,
  withRolePrefix,
  type AppDefinition,
} from "../../db";
import { catalogOf, shopCatalog } from "./fixtures/catalog";
import { clerk, directory, manager, shopIdentity, support, vip } from "./fixtures/shop";

const prefix = "t000000_shop_";

const shopWith = (phone: ReturnType<typeof mask>, roles = [clerk, manager, support]): AppDefinition =>
  defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles,
    restrictions: [vip],
    masks: [phone],
    views: [directory],
  });

const compiled = (app: AppDefinition) => compileApp(withRolePrefix(app, prefix), shopCatalog());

function problemsOf(app: AppDefinition): readonly string[] {
  try {
    compiled(app);
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    return (e as CompileError).problems;
  }
  throw new Error("the compile succeeded");
}

const byUnit = mask("customers", "phone", keepLast(4), {
  unless: [
    [clerk, own("owner_id")],
    [manager, unit("unit_id")],
  ],
});

describe("who reads the phone, and how", () => {
  test("a clerk reads it raw on customers they own; a manager (extending clerk) on those or of their unit; support masked", () => {
    expect(maskReading(clerk, byUnit)).toEqual({ kind: "row", scope: own("owner_id") });
    expect(maskReading(manager, byUnit)).toMatchObject({ kind: "row", scope: { kind: "or" } });
    expect(maskReading(support, byUnit)).toEqual({ kind: "masked" });
  });

  test("without unless every role reading the column reads it raw; a pair of all() is a raw read too", () => {
    expect(maskReading(clerk, mask("customers", "phone", keepLast(4)))).toEqual({ kind: "raw" });
    const everywhere = mask("customers", "phone", keepLast(4), { unless: [[manager, all()]] });
    expect(maskReading(manager, everywhere)).toEqual({ kind: "raw" });
    // clerk is not listed, and nothing it extends is: masked on every row
    expect(maskReading(clerk, everywhere)).toEqual({ kind: "masked" });
  });

  test("two functions per role and table, one row and many, the many-row one owned by the role's raw reader", () => {
    expect(rowMasksOf(shopWith(byUnit)).map((m) => [m.role, m.column, m.fn, m.rowsFn, m.reader])).toEqual([
      ["clerk", "phone", "row_mask_customers__clerk", "row_masks_customers__clerk", "raw_clerk"],
      ["manager", "phone", "row_mask_customers__manager", "row_masks_customers__manager", "raw_manager"],
    ]);
  });
});

describe("grants and generated SQL", () => {
  test("a clerk holds select on the twin, not the raw phone, and still updates the raw phone of its own rows", () => {
    const { plan } = compiled(shopWith(byUnit));
    const grant = plan.tables.find((t) => t.name === "customers")!.grants.find((g) => g.role === "clerk")!;
    expect(grant.select).toContain("phone_masked");
    expect(grant.select).not.toContain("phone");
    expect(grant.update).toContain("phone");
  });

  test("the raw reader is a member of its role, holds the raw phone, and owns the definer function the role alone may execute", () => {
    const { sql, statements } = compiled(shopWith(byUnit));
    expect(sql).toContain(`grant "${prefix}clerk" to "${prefix}raw_clerk";`);
    expect(sql).toContain(`grant select ("phone") on "shop"."customers" to "${prefix}raw_clerk";`);
    expect(sql).toContain(`alter function "gatehouse"."row_masks_customers__clerk"(bigint[]) owner to "${prefix}raw_clerk";`);
    expect(sql).toContain(`grant execute on function "gatehouse"."row_masks_customers__clerk"(bigint[]) to "${prefix}clerk";`);
    // the one-row form calls the many-row form as its caller: whoever applies the generation owns it
    expect(sql).toContain(`alter function "gatehouse"."row_mask_customers__clerk"(bigint) owner to current_user;`);
    expect(sql).toContain(`grant execute on function "gatehouse"."row_mask_customers__clerk"(bigint) to "${prefix}clerk";`);
    expect(statements.flatMap((s) => (s.fn?.name.startsWith("row_mask") ? [[s.fn.name, s.fn.securityDefiner]] : []))).toEqual([
      ["row_masks_customers__clerk", true],
      ["row_mask_customers__clerk", false],
      ["row_masks_customers__manager", true],
      ["row_mask_customers__manager", false],
    ]);
    // the identity helper asks as the app role inside the function
    expect(sql).toContain("when 'raw_clerk' then 'clerk'");
  });

  test("the access matrix says it in words", () => {
    const { matrix } = compiled(shopWith(byUnit));
    expect(matrix).toContain("- clerk reads phone raw where rows they own (owner_id), keep_last(4) elsewhere");
  });

  test("an app without row-dependent masks compiles to the same SQL as before: no raw reader, no mapping", () => {
    const { sql } = compiled(shopWith(mask("customers", "phone", keepLast(4))));
    expect(sql).not.toContain("raw_");
    expect(sql).not.toContain("row_mask");
  });
});

describe("refused, with the fix named", () => {
  test("a pair for a role that sees the column only masked", () => {
    const pointless = mask("customers", "phone", keepLast(4), { unless: [[support, all()]] });
    expect(problemsOf(shopWith(pointless))).toEqual([
      "mask customers.phone: role support sees customers.phone only masked (its column access), so [support, …] in unless changes nothing: remove the pair, or give support read access to phone",
    ]);
  });

  test("unless all() for every reader", () => {
    expect(problemsOf(shopWith(mask("customers", "phone", keepLast(4), { unless: all() })))).toEqual([
      "mask customers.phone: unless all() shows the raw value on every row: drop unless, or name the rows",
    ]);
  });

  test("a scope naming a column the table lacks", () => {
    const typo = mask("customers", "phone", keepLast(4), { unless: own("ownr_id") });
    expect(problemsOf(shopWith(typo)).join("\n")).toMatch(
      /mask customers\.phone \(unless\): .*"ownr_id" \(did you mean "owner_id"\?\)/,
    );
  });

  test("a role listed in unless that is not in the app's roles", () => {
    const stranger = role("stranger", { tables: { customers: { select: all() } } });
    expect(() => shopWith(mask("customers", "phone", keepLast(4), { unless: [[stranger, all()]] }))).toThrow(
      /mask customers\.phone \(unless\) refers to role "stranger", which is not in roles: add it to roles/,
    );
  });

  test("an app role named like another role's raw reader", () => {
    const clash = role("raw_clerk", { tables: { customers: { select: all() } } });
    expect(problemsOf(shopWith(byUnit, [clerk, manager, support, clash]))).toContain(
      "mask customers.phone: role raw_clerk would be both an app role and the raw reader of clerk: rename the role",
    );
  });

  test("a table without a single-column primary key", () => {
    const catalog = shopCatalog();
    const keyless = catalogOf(
      catalog.schema,
      [...catalog.tables.values()].map((t) => (t.name === "customers" ? { ...t, primaryKey: [] } : t)),
    );
    expect(() => compileApp(withRolePrefix(shopWith(byUnit), prefix), keyless)).toThrow(
      /mask customers\.phone: a row-dependent mask reads a row by its key, and customers has no single-column primary key: add one, or drop unless/,
    );
  });

  test("unless on an encrypted column: nobody reads it raw with a select, so its reveal is the way", () => {
    const app = defineApp({
      schema: "shop",
      rolePrefix: "shop_",
      identity: shopIdentity,
      roles: [clerk, manager, support],
      restrictions: [vip],
      masks: [byUnit],
      views: [directory],
      encrypted: [encrypt("customers", "phone", { reveal: [[manager, unit("unit_id")]] })],
    });
    expect(problemsOf(app)).toContain(
      "mask customers.phone: customers.phone is encrypted, so nobody reads it raw with a select and unless changes nothing: drop unless (encrypt's reveal gives its roles the plaintext, one row at a time, audited)",
    );
  });

  test("unless of the wrong kind is refused when the mask is made", () => {
    expect(() => mask("customers", "phone", keepLast(4), { unless: "owner" as never })).toThrow(/unless/);
  });
});
