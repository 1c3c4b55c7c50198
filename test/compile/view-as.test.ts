import {
  buildPlan,
  compileApp,
  defineApp,
  emitStatements,
  LintError,
  restrict,
  role,
  toDdl,
  unitTree,
  view,
  type RoleDefinition,
} from "../../db";
import { shopCatalog } from "./fixtures/catalog";
import { clerk, directory, manager, phoneMask, shopIdentity, support, vip } from "./fixtures/shop";

// role({ viewAs }): who may view the app as whom is declared per role, checked by defineApp (a role of the app, not
// itself, once), refused by a lint when the viewed role reads what the viewer cannot, and compiled into
// view_as_begin / view_as_targets executable by the viewers only.

type ShopRole = "clerk" | "manager" | "support";

/**
 * The shop app (fixtures/shop.ts) with the same three roles, restriction, mask and view, each role viewing as the
 * roles `viewAs` gives it (rebuilt, since definitions are frozen and referred to by identity).
 */
function shopViewing(viewAs: Partial<Record<ShopRole, string[]>>) {
  const copy = (base: RoleDefinition, parents: RoleDefinition[]) =>
    role(base.name, {
      description: base.description,
      extends: parents,
      tables: { ...base.tables },
      viewAs: viewAs[base.name as ShopRole] ?? [],
    });
  const c = copy(clerk, []);
  const m = copy(manager, [c]);
  const s = copy(support, []);
  return defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles: [c, m, s],
    restrictions: [
      restrict(vip.name, {
        table: vip.table,
        hides: vip.hides,
        ...(vip.unless ? { unless: vip.unless } : {}),
        exempt: [[m, unitTree("unit_id")]],
      }),
    ],
    masks: [phoneMask],
    views: [
      view(directory.name, {
        from: directory.from,
        columns: [...directory.columns],
        where: directory.where,
        roles: [s],
        description: directory.description,
      }),
    ],
  });
}

/** The lint findings compiling the shop with `viewAs` on the hand-built catalog, as `lint: message` lines. */
function findings(viewAs: Partial<Record<ShopRole, string[]>>): string[] {
  try {
    compileApp(shopViewing(viewAs), shopCatalog());
  } catch (error) {
    expect(error).toBeInstanceOf(LintError);
    return (error as LintError).findings.map((f) => `${f.lint}: ${f.message}`);
  }
  return [];
}

describe("defineApp checks viewAs", () => {
  test("a manager viewing as a role the app does not have is refused, with the nearest name", () => {
    expect(() => shopViewing({ manager: ["clerkk"] })).toThrow(
      'role manager: viewAs names "clerkk", which is not a role of the app (did you mean "clerk"?): name a role listed in roles',
    );
  });

  test("a manager viewing as managers (its own role) is refused", () => {
    expect(() => shopViewing({ manager: ["manager"] })).toThrow(
      'role manager: viewAs names the role itself: its users already see what it sees; remove "manager" from viewAs',
    );
  });

  test("a role named twice in viewAs is refused", () => {
    expect(() => shopViewing({ manager: ["clerk", "clerk"] })).toThrow('role manager: viewAs names "clerk" twice: keep one');
  });

  test("viewAs must be a list of role names", () => {
    expect(() => role("manager", { viewAs: "clerk" as unknown as string[] })).toThrow(/role manager: viewAs/);
  });
});

describe("the view-as lint", () => {
  test("a manager may view as a clerk: a manager reads everything a clerk reads", () => {
    expect(findings({ manager: ["clerk"] })).toEqual([]);
  });

  test("a clerk may not view as support: support reads archived_at and the customer directory, which a clerk cannot", () => {
    expect(findings({ clerk: ["support"] })).toEqual([
      'view-as: role clerk may view as support, who reads what clerk cannot (customers.archived_at, view customer_directory): remove "support" from clerk\'s viewAs, or let clerk read them',
    ]);
  });

  test("support may not view as a clerk: a clerk reads orders and raw phones, which support cannot", () => {
    const found = findings({ support: ["clerk"] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^view-as: role support may view as clerk, who reads what support cannot \(.*customers\.phone.*table orders.*\)/,
    );
  });
});

describe("what view-as compiles into", () => {
  test("a manager who may view as clerks gets view_as_begin, view_as_end and view_as_targets; nobody else may execute them", () => {
    const plan = buildPlan(shopViewing({ manager: ["clerk"] }), shopCatalog());
    expect(plan.privileges.viewAs).toEqual([{ actor: "manager", targets: ["clerk"] }]);
    const text = emitStatements(plan)
      .map((s) => toDdl(s.sql))
      .join("\n");
    expect(text).toContain(
      'grant execute on function "gatehouse"."view_as_begin"(bigint, text, text), "gatehouse"."view_as_end"(bigint), "gatehouse"."view_as_targets"() to "shop_manager";',
    );
    expect(text).toContain("when 'manager' then s.target_role = any (array['clerk']::text[])");
  });

  test("the access matrix says who may view as whom", () => {
    const { matrix } = compileApp(shopViewing({ manager: ["clerk"] }), shopCatalog());
    expect(matrix).toContain("## View as");
    expect(matrix).toContain("| manager | clerk |");
    expect(compileApp(shopViewing({}), shopCatalog()).matrix).not.toContain("## View as");
  });

  test("an app where nobody may view as others compiles no view-as function and no session check", () => {
    const text = emitStatements(buildPlan(shopViewing({}), shopCatalog()))
      .map((s) => toDdl(s.sql))
      .join("\n");
    expect(text).not.toMatch(/view_as/);
  });
});
