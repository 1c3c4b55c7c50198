import {
  CompileError,
  compileApp,
  withRolePrefix,
  all,
  defineApp,
  granted,
  isNotNull,
  keepLast,
  mask,
  raw,
  restrict,
  role,
  softDelete,
  sql,
  via,
  view,
  type AppDefinition,
  type RoleDefinition,
} from "../../db";
import { catalogOf, catalogTable, shopCatalog } from "./fixtures/catalog";
import { clerk, directory, manager, phoneMask, shopIdentity, support, vip } from "./fixtures/shop";

/** The role prefix every app in this file is compiled with. */
const prefix = "t000000_shop_";

/** The shop app with some parts replaced. */
const shopWith = (parts: Partial<Parameters<typeof defineApp>[0]>): AppDefinition =>
  defineApp({
    schema: "shop",
    rolePrefix: "shop_",
    identity: shopIdentity,
    roles: [clerk, manager, support],
    restrictions: [vip],
    masks: [phoneMask],
    views: [directory],
    ...parts,
  });

/** The shop app with `extra` roles added. */
const shopPlus = (...extra: RoleDefinition[]) => shopWith({ roles: [clerk, manager, support, ...extra] });

/** The problems of the CompileError `app` fails with, compiled (under this file's prefix) on a hand-built catalog: no database. */
function problemsOf(app: AppDefinition, catalog = shopCatalog()): readonly string[] {
  const error = (() => {
    try {
      compileApp(withRolePrefix(app, prefix), catalog);
      return new Error("the compile succeeded");
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(CompileError);
  return (error as CompileError).problems;
}

test("a rule on an unknown table names it and suggests the closest table", () => {
  const typo = role("typo", { tables: { custmers: { select: all() } } });
  expect(problemsOf(shopPlus(typo))).toEqual(['role typo: schema shop has no table "custmers" (did you mean "customers"?)']);
});

test("an unknown column in a scope names the role, table and column and suggests the closest", () => {
  const salesRep = role("sales_rep", { tables: { customers: { select: isNotNull("phon") } } });
  expect(problemsOf(shopPlus(salesRep))).toEqual([
    'role sales_rep: table customers has no column "phon" (did you mean "phone"?)',
  ]);
});

test("an unknown column in column rules is named with a suggestion", () => {
  const typo = role("typo", { tables: { customers: { select: all(), columns: { regin: "read" } } } });
  expect(problemsOf(shopPlus(typo))).toEqual(['role typo: table customers has no column "regin" (did you mean "region"?)']);
});

test("a masked column without a mask says which mask to add", () => {
  const masked = role("masked", { tables: { customers: { select: all(), columns: { name: "masked" } } } });
  expect(problemsOf(shopPlus(masked))).toEqual([
    'role masked: customers.name is masked, but no mask is defined for it: add mask("customers", "name", …) to the app',
  ]);
});

test("via() over a column without a foreign key says to add one", () => {
  const creator = role("creator", { tables: { orders: { select: via("created_by", "users") } } });
  expect(problemsOf(shopPlus(creator))).toEqual([
    "role creator: orders.created_by has no foreign key to users: add one, or say how they relate with raw()",
  ]);
});

test("granted() without identity.grants says where to declare temporary grants", () => {
  const borrower = role("borrower", { tables: { customers: { select: granted("id") } } });
  expect(problemsOf(shopPlus(borrower))).toEqual([
    "role borrower: granted() needs identity.grants (where temporary grants are kept) in defineApp",
  ]);
});

test("temporary grants without identity.grants say where grants are kept", () => {
  expect(problemsOf(shopWith({ grants: { by: [manager], maxDuration: "30 days", tables: ["customers"] } }))).toEqual([
    "grants: temporary grants need identity.grants (the table they are kept in) in defineApp",
  ]);
});

test("temporary grants without identity.users.username say that grantable_users() lists users by it", () => {
  const borrower = role("borrower", { tables: { customers: { select: granted("id") } } });
  const grants = catalogTable(
    "passes",
    {
      id: "bigint not null",
      grantee_id: "bigint not null",
      table_name: "text not null",
      row_id: "bigint not null",
      privilege: "text not null",
      expires_at: "timestamptz not null",
      granted_by: "bigint",
      reason: "text",
    },
    { primaryKey: ["id"] },
  );
  const app = shopWith({
    identity: {
      ...shopIdentity,
      grants: {
        table: "passes",
        grantee: "grantee_id",
        tableName: "table_name",
        row: "row_id",
        privilege: "privilege",
        expires: "expires_at",
        grantedBy: "granted_by",
        reason: "reason",
      },
    },
    roles: [clerk, manager, support, borrower],
    grants: { by: [manager], maxDuration: "1 day", tables: ["customers"] },
  });
  expect(problemsOf(app, shopCatalog([grants]))).toEqual([
    "grants: identity.users has no username: name the column holding each user's unique name, so shop.grantable_users() can list whom a caller may grant to",
  ]);
});

test("a raw predicate with a bind value is refused", () => {
  const small = role("small", {
    tables: { orders: { select: raw(sql`${sql.identifier("amount")} < ${sql.value(100)}`, "small orders") } },
  });
  expect(problemsOf(shopPlus(small))).toEqual([
    'role small: raw predicate "small orders" has bind values; build it with sql.identifier and literal(), not sql.value',
  ]);
});

test("a view over a missing column names the view and the column", () => {
  const regions = view("regions", { from: "customers", columns: ["id", "regon"], where: all(), roles: [support] });
  expect(problemsOf(shopWith({ views: [directory, regions] }))).toEqual([
    'view regions: table customers has no column "regon" (did you mean "region"?)',
  ]);
});

test("a view name too long for its owner role says to shorten it, before PostgreSQL would cut the name", () => {
  const name = "a_directory_whose_name_overflows_the_owner_role_name";
  const long = view(name, { from: "customers", columns: ["id", "region"], where: all(), roles: [support] });
  const owner = `${prefix}view_${name}`;
  expect(owner.length).toBeGreaterThan(63);
  expect(problemsOf(shopWith({ views: [directory, long] }))).toEqual([
    `restriction vip: policy name restrict__vip__view_${name} for the owner of view ${name} is longer than 63 characters: shorten the restriction or view name`,
    `view ${name}: its owner role ${owner} is longer than 63 characters, and PostgreSQL would cut it: shorten the view name (or the role prefix)`,
    `view ${name}: its owner's policy name view_${name}__select is longer than 63 characters: shorten the view name`,
  ]);
});

test("a view whose owner would share its name with an app role is refused", () => {
  const clash = role("view_customer_directory", { tables: { customers: { select: all() } } });
  expect(problemsOf(shopPlus(clash))).toEqual([
    "view customer_directory: role view_customer_directory would be both an app role and the view's owner: rename the role or the view",
  ]);
});

test("a mask twin named like an ordinary column says to choose another name", () => {
  const clash = mask("customers", "name", keepLast(2), { as: "region" });
  expect(problemsOf(shopWith({ masks: [phoneMask, clash] }))).toEqual([
    'mask customers.name: twin "region" is already an ordinary column of customers: choose another name with { as }',
  ]);
});

test("a role name too long for PostgreSQL with the prefix is named with its full length", () => {
  const name = "a_role_whose_name_is_long_enough_to_overflow_63_bytes";
  const long = role(name, { tables: { customers: { select: all() } } });
  expect(problemsOf(shopPlus(long))).toEqual([
    `role ${name}: ${prefix}${name} is longer than 63 characters`,
    `restriction vip: policy name restrict__vip__${name} for role ${name} is longer than 63 characters: shorten the restriction or role name`,
  ]);
});

test("a role name too long for its select * schema says to shorten it, before PostgreSQL would cut the name", () => {
  const name = "a_role_whose_select_star_schema_would_be_cut_by_postgresql".padEnd(59, "_x");
  const long = role(name, { tables: { customers: { select: all() } } });
  expect(`shop_${name}`.length).toBe(64);
  expect(problemsOf(shopPlus(long))).toContain(
    `role ${name}: its select * schema shop_${name} is longer than 63 characters, and PostgreSQL would cut it: shorten the role name`,
  );
});

test("a role name too long for its policy names says to shorten it", () => {
  const name = "a_role_whose_policy_names_would_be_cut_by_postgresql".padEnd(56, "_x");
  const long = role(name, { tables: { customers: { select: all() } } });
  expect(problemsOf(shopPlus(long))).toEqual([
    ...["select", "insert", "update", "delete"].map(
      (c) => `role ${name}: policy name ${name}__${c} is longer than 63 characters: shorten the role name`,
    ),
    `role ${name}: ${prefix}${name} is longer than 63 characters`,
    `restriction vip: policy name restrict__vip__${name} for role ${name} is longer than 63 characters: shorten the restriction or role name`,
  ]);
});

test("a restriction whose policy names PostgreSQL would cut is a compile error, not a failed apply", () => {
  const name = "a_role_name_of_forty_eight_characters".padEnd(48, "_x");
  const long = role(name, { tables: { customers: { select: all(), update: { using: all() } } } });
  const hot = restrict("vip", { table: "customers", hides: isNotNull("archived_at"), commands: ["select", "update"] });
  const problems = problemsOf(shopWith({ roles: [clerk, manager, support, long], restrictions: [hot] }));
  expect(problems).toEqual([expect.stringMatching(/^restriction vip: .*longer than 63 characters/)]);
});

test("compiling a schema without tables says to run the migrations first", () => {
  expect(
    problemsOf(
      defineApp({ schema: "empty", rolePrefix: "shop_", identity: shopIdentity, roles: [clerk] }),
      catalogOf("empty", []),
    ),
  ).toEqual(["schema empty has no tables: run the app's migrations before compiling"]);
  expect(
    problemsOf(
      defineApp({ schema: "no_such_schema", rolePrefix: "shop_", identity: shopIdentity, roles: [clerk] }),
      catalogOf("no_such_schema", []),
    ),
  ).toEqual(["schema no_such_schema has no tables: run the app's migrations before compiling"]);
});

describe("soft delete names what to fix", () => {
  test("a misspelled table, a restore scope through via() and a misspelled scope column", () => {
    const app = shopWith({
      softDeletes: [
        softDelete("custmers", { restore: [manager], retention: "30 days" }),
        softDelete("orders", {
          restore: [
            [manager, via("customer_id", "customers")],
            [clerk, isNotNull("amout")],
          ],
          visibleTo: [manager],
          retention: "1 year",
        }),
      ],
    });
    expect(problemsOf(app)).toEqual([
      'softDelete custmers: schema shop has no table "custmers" (did you mean "customers"?)',
      "softDelete orders: restore scope of manager uses via(customer_id, customers): a restore runs as the owner, where customers's row security would not apply; use a column of orders",
      'softDelete orders: restore scope of clerk: table orders has no column "amout" (did you mean "amount"?)',
    ]);
  });

  test("a marker column of the wrong type says which type it must have", () => {
    const app = shopWith({
      softDeletes: [softDelete("customers", { column: "region", restore: [manager], retention: "30 days" })],
    });
    expect(problemsOf(app)).toEqual([
      "softDelete customers: customers.region must be a timestamp, not text: name another column, or change its type",
    ]);
  });

  test("a restriction of the app's own named soft_deleted on a soft-delete table is refused before any database is involved", () => {
    const own = restrict("soft_deleted", { table: "customers", hides: isNotNull("archived_at") });
    expect(() =>
      shopWith({ restrictions: [own], softDeletes: [softDelete("customers", { restore: [manager], retention: "30 days" })] }),
    ).toThrow(
      new Error(
        'invalid app definition:\n  - restriction "soft_deleted" is defined twice: softDelete("customers") makes it, remove your own',
      ),
    );
  });
});

describe("defineApp refuses, before any database is involved", () => {
  test("a role extending a role that is not listed", () => {
    expect(() => defineApp({ schema: "shop", rolePrefix: "shop_", identity: shopIdentity, roles: [manager] })).toThrow(
      new Error(
        'invalid app definition:\n  - role manager extends refers to role "clerk", which is not in roles: add it to roles',
      ),
    );
  });

  test("temporary grants by a role that is not listed, or by no role at all", () => {
    const grants = (by: RoleDefinition[]) => () =>
      defineApp({
        schema: "shop",
        rolePrefix: "shop_",
        identity: shopIdentity,
        roles: [clerk],
        grants: { by, maxDuration: "1 day", tables: ["customers"] },
      });
    expect(grants([support])).toThrow(
      new Error('invalid app definition:\n  - grants refers to role "support", which is not in roles: add it to roles'),
    );
    expect(grants([])).toThrow(
      new Error(
        "invalid app definition:\n  - grants: no role may grant: list the roles that may in grants.by (their own subtree) or grants.anywhere",
      ),
    );
  });

  test("two roles with the same name", () => {
    const again = role("clerk", {});
    expect(() => defineApp({ schema: "shop", rolePrefix: "shop_", identity: shopIdentity, roles: [clerk, again] })).toThrow(
      new Error('invalid app definition:\n  - role "clerk" is defined twice'),
    );
  });
});
