/**
 * Definitions run under tsx, which does not type-check: the factories check every definition's shape
 * themselves (db/policy/shape.ts) and refuse a misspelled key or a wrong value with a message naming
 * the definition, the place and the fix. No database is needed here.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { all, defineApp, is, keepLast, mask, memberSet, or, own, restrict, role, softDelete, unitTree, view } from "../../db";
import { clerk, directory, manager, shopIdentity, support } from "./fixtures/shop";

const ROOT = path.resolve(__dirname, "../..");

/** A factory as a definition file run by tsx sees it: no type check, so any argument reaches the runtime. */
const untyped =
  <A extends unknown[], R>(factory: (...args: A) => R) =>
  (...args: unknown[]): R =>
    factory(...(args as A));

test('a misspelled select key names the role, the table and "select"', () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { selct: own("owner_id") } } })).toThrow(
    new Error(
      'invalid role definition:\n  - role sales_rep: table customers has an unknown key "selct" (did you mean "select"?)',
    ),
  );
});

test("a column access typo suggests the right word", () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { select: all(), columns: { phone: "wirte" } } } })).toThrow(
    new Error(
      "invalid role definition:\n" +
        '  - role sales_rep: table customers, columns.phone must be one of read, write, insert, masked, hidden, not "wirte" (did you mean "write"?)',
    ),
  );
});

test("a scope given as a string is refused", () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { select: "own" } } })).toThrow(
    new Error(
      "invalid role definition:\n" +
        '  - role sales_rep: table customers, select must be a scope such as own("owner_id") or all(), not "own"',
    ),
  );
});

test("a scope given as a plain object is refused", () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { delete: { using: all() } } } })).toThrow(
    new Error(
      "invalid role definition:\n" +
        '  - role sales_rep: table customers, delete must be a scope such as own("owner_id") or all(), not an object',
    ),
  );
});

test("a scope factory passed without calling it says to call it", () => {
  expect(() => untyped(role)("support", { tables: { customers: { select: all } } })).toThrow(
    new Error(
      "invalid role definition:\n" +
        '  - role support: table customers, select must be a scope such as own("owner_id") or all(), not the function all (did you mean all(…)?)',
    ),
  );
});

test("a scope inside or() is checked too, and named by its place", () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { select: untyped(or)(own("owner_id"), "pool") } } })).toThrow(
    new Error(
      "invalid role definition:\n" +
        '  - role sales_rep: table customers, select.scopes[1] must be a scope such as own("owner_id") or all(), not "pool"',
    ),
  );
});

test("a misspelled insert check is one problem, not also a missing check", () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { insert: { chek: own("owner_id") } } } })).toThrow(
    new Error(
      'invalid role definition:\n  - role sales_rep: table customers, insert has an unknown key "chek" (did you mean "check"?)',
    ),
  );
});

test("an update rule without using says what is missing", () => {
  expect(() => untyped(role)("sales_rep", { tables: { customers: { update: { check: own("owner_id") } } } })).toThrow(
    new Error(
      "invalid role definition:\n" +
        '  - role sales_rep: table customers, update.using is missing: it must be a scope such as own("owner_id") or all()',
    ),
  );
});

test('an unknown key on the role itself suggests "extends"', () => {
  expect(() => untyped(role)("supervisor", { extend: [clerk], tables: {} })).toThrow(
    new Error('invalid role definition:\n  - role supervisor has an unknown key "extend" (did you mean "extends"?)'),
  );
});

test("a role extending a single role instead of a list is refused", () => {
  expect(() => untyped(role)("supervisor", { extends: clerk })).toThrow(
    new Error("invalid role definition:\n  - role supervisor: extends must be a list, not a role"),
  );
});

test("every problem of a definition is listed in one error, one line each", () => {
  expect(() =>
    untyped(role)("sales_rep", {
      description: 42,
      tables: {
        customers: { select: all(), udpate: { using: all() }, colums: { phone: "read" } },
        contacts: { select: own("owner_id"), columns: { default: "reed" } },
      },
    }),
  ).toThrow(
    new Error(
      "invalid role definition:\n" +
        "  - role sales_rep: description must be a string, not 42\n" +
        '  - role sales_rep: table customers has unknown keys "udpate" (did you mean "update"?), "colums" (did you mean "columns"?)\n' +
        '  - role sales_rep: table contacts, columns.default must be one of read, write, insert, masked, hidden, not "reed" (did you mean "read"?)',
    ),
  );
});

test("an unknown restriction option is refused", () => {
  expect(() =>
    untyped(restrict)("vip", { table: "customers", hides: is("tier", "vip"), exmpt: [[manager, unitTree("unit_id")]] }),
  ).toThrow(
    new Error('invalid restriction definition:\n  - restriction vip has an unknown key "exmpt" (did you mean "exempt"?)'),
  );
});

test("an exemption that is not a [role, scope] pair, and an unknown command, are refused", () => {
  expect(() =>
    untyped(restrict)("vip", {
      table: "customers",
      hides: is("tier", "vip"),
      exempt: [[unitTree("unit_id"), manager], [support]],
      commands: ["selct"],
    }),
  ).toThrow(
    new Error(
      "invalid restriction definition:\n" +
        '  - restriction vip: exempt[0][0] must be a role made with role(), not an object of kind "unitTree"\n' +
        '  - restriction vip: exempt[0][1] must be a scope such as own("owner_id") or all(), not a role\n' +
        "  - restriction vip: exempt[1] must be a pair [role, scope], not a list of 1\n" +
        '  - restriction vip: commands[0] must be one of select, insert, update, delete, not "selct" (did you mean "select"?)',
    ),
  );
});

test("a mask function not called and an unknown mask option are refused", () => {
  expect(() => untyped(mask)("customers", "phone", keepLast, { ass: "phone_tail" })).toThrow(
    new Error(
      "invalid mask definition:\n" +
        "  - mask customers.phone: fn must be a mask function such as keepLast(4) or redact(), not the function keepLast (did you mean keepLast(…)?)\n" +
        '  - mask customers.phone has an unknown key "ass" (did you mean "as"?)',
    ),
  );
});

test('a view given "role" instead of "roles" is refused', () => {
  expect(() => untyped(view)("regions", { from: "customers", columns: ["id", "region"], where: all(), role: [support] })).toThrow(
    new Error('invalid view definition:\n  - view regions has an unknown key "role" (did you mean "roles"?)'),
  );
});

test("a misspelled identity column in defineApp is named by its path", () => {
  const identity = { ...shopIdentity, units: { table: "org_units", id: "id", parnt: "parent_id" } };
  expect(() =>
    untyped(defineApp)({ schema: "shop", rolePrefix: "shop_", identity, roles: [clerk, support], view: [directory] }),
  ).toThrow(
    new Error(
      "invalid app definition:\n" +
        '  - app shop: identity.units has an unknown key "parnt" (did you mean "parent"?)\n' +
        '  - app shop has an unknown key "view" (did you mean "views"?)',
    ),
  );
});

test("temporary grants with a misspelled duration unit, key and privilege are refused, each with the likely fix", () => {
  expect(() =>
    untyped(defineApp)({
      schema: "shop",
      rolePrefix: "shop_",
      identity: shopIdentity,
      roles: [clerk, manager],
      grants: { by: [manager], maxDuraton: "30 days", tables: ["customers"], privileges: ["updte"] },
    }),
  ).toThrow(
    new Error(
      "invalid app definition:\n" +
        '  - app shop: grants.privileges[0] must be one of select, update, not "updte" (did you mean "update"?)\n' +
        '  - app shop: grants has an unknown key "maxDuraton" (did you mean "maxDuration"?)',
    ),
  );
  expect(() =>
    untyped(defineApp)({
      schema: "shop",
      rolePrefix: "shop_",
      identity: shopIdentity,
      roles: [clerk, manager],
      grants: { by: [manager], maxDuration: "30 dais", tables: ["customers"] },
    }),
  ).toThrow(
    new Error(
      "invalid app definition:\n" +
        '  - app shop: grants.maxDuration must be a duration such as "30 days" or "8 hours" (a whole number above 0 and second, minute, hour, day or week), not "30 dais" (did you mean "days"?)',
    ),
  );
});

test("a member set with a misspelled key is refused", () => {
  expect(() =>
    untyped(memberSet)({
      name: "open_project_customers",
      membership: { table: "project_members", user: "user_id", group: "project_id" },
      lnk: { table: "project_customers", group: "project_id", row: "customer_id" },
    }),
  ).toThrow(
    new Error(
      'invalid member set definition:\n  - member set open_project_customers has an unknown key "lnk" (did you mean "link"?)',
    ),
  );
});

test.each([
  "db/crm/roles.ts",
  "test/apps/store-chain/roles.ts",
  "test/compile/fixtures/shop.ts",
  "test/compile/fixtures/weird.ts",
])("the definitions in %s pass the shape check", (file) => {
  jest.isolateModules(() => {
    expect(() => require(path.join(ROOT, file))).not.toThrow();
  });
});

describe("gatehouse compile on a config whose app has a typo", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "gatehouse-shape-"));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  test("exits 1 with the shape error, at config load, before opening the database, and writes nothing", async () => {
    // a copy of the CRM's roles with one typo, and a config around it that writes into the temporary folder
    const roles = (await readFile(path.join(ROOT, "db/crm/roles.ts"), "utf8"))
      .replace(' from "..";', ` from ${JSON.stringify(path.join(ROOT, "db"))};`)
      .replace("select: or(own(", "selct: or(own(");
    expect(roles).toContain(`from ${JSON.stringify(path.join(ROOT, "db"))};`);
    expect(roles).toContain("selct: or(own(");
    await writeFile(path.join(folder, "roles.ts"), roles);
    const output = { sql: path.join(folder, "out/crm-security.sql"), matrix: path.join(folder, "out/access-matrix.md") };
    const migrationsFolder = path.join(folder, "migrations");
    await writeFile(
      path.join(folder, "gatehouse.config.ts"),
      `import { defineConfig } from ${JSON.stringify(path.join(ROOT, "db/config"))};
import { crm } from "./roles";
export default defineConfig({ app: crm, output: ${JSON.stringify(output)}, migrationsFolder: ${JSON.stringify(migrationsFolder)}, databaseName: "unused" });
`,
    );
    // nothing listens on port 1: a command that got as far as the database would fail with a connection error instead
    const env = { ...process.env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/never_opened" };
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          path.join(ROOT, "node_modules/tsx/dist/cli.mjs"),
          "server/cli.ts",
          "compile",
          "--config",
          path.join(folder, "gatehouse.config.ts"),
        ],
        { cwd: ROOT, env, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "gatehouse: invalid role definition:\n" +
        '  - role sales_rep: table customers has an unknown key "selct" (did you mean "select"?)\n',
    });
    expect([output.sql, output.matrix, migrationsFolder].filter((file) => existsSync(file))).toEqual([]);
  });
});

describe("softDelete checks its options", () => {
  test("a misspelled key suggests the right one, and a retention that is not an interval shows the form", () => {
    expect(() => untyped(softDelete)("customers", { restor: [manager], retention: "1 yr" })).toThrow(
      new Error(
        "invalid soft delete definition:\n" +
          '  - soft delete customers: retention must be an interval such as "365 days" or "30 days 12 hours", not "1 yr"\n' +
          '  - soft delete customers has an unknown key "restor" (did you mean "restore"?)',
      ),
    );
  });

  test("a restorer given by name, not as a role, says what it must be", () => {
    expect(() => untyped(softDelete)("customers", { restore: [manager, "supervisor"], retention: "365 days" })).toThrow(
      new Error(
        "invalid soft delete definition:\n" +
          '  - soft delete customers: restore[1] must be a role, or a pair [role, scope], not "supervisor"',
      ),
    );
  });

  test("a role alone restores every row; visibleTo defaults to the restorers", () => {
    const d = softDelete("customers", { restore: [manager, [clerk, unitTree("unit_id")]], retention: "30 days" });
    expect({ restore: d.restore.map(([r, s]) => [r.name, s.kind]), visibleTo: d.visibleTo.map(([r]) => r.name) }).toEqual({
      restore: [
        ["manager", "all"],
        ["clerk", "unitTree"],
      ],
      visibleTo: ["manager", "clerk"],
    });
  });
});
