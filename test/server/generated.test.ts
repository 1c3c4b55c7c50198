/**
 * The committed API files are what the code makes today: every role's SDL (generated/schema.<role>.graphql)
 * and the typed client (generated/graphql/*.ts). Run `npm run gatehouse -- schema` when a test here fails.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { AppTestDatabase } from "../../db/testing";
import { CLIENT_ROLES } from "../../codegen";
import { apiRoles, roleSchemaFiles } from "../../server";
import { openCrmDatabase } from "../crm/crm-database";

const execFileAsync = promisify(execFile);

let crm: AppTestDatabase;
let schemas: Map<string, string>;
beforeAll(async () => {
  crm = await openCrmDatabase();
  schemas = await roleSchemaFiles(crm.app, crm.pool);
});
afterAll(() => crm?.close());

const onDisk = (file: string) => readFile(file, "utf8").catch(() => "(missing)");

test("there is one committed schema per app role and one for anonymous requests", async () => {
  const files = (await readdir("generated")).filter((f) => /^schema\..+\.graphql$/.test(f)).sort();
  expect(files).toEqual(
    apiRoles(crm.app)
      .map((r) => `schema.${r}.graphql`)
      .sort(),
  );
});

test.each([
  "sales_rep",
  "intern",
  "supervisor",
  "regional_manager",
  "director",
  "finance",
  "legal",
  "support",
  "marketing",
  "partner",
  "analyst",
  "admin",
  "auditor",
  "anonymous",
])("generated/schema.%s.graphql is up to date", async (role) => {
  const file = `generated/schema.${role}.graphql`;
  expect(await onDisk(file)).toBe(schemas.get(file));
});

test("the typed client in generated/graphql is up to date with the committed schemas and generated/operations", async () => {
  // graphql-codegen's plugins are ESM, which jest cannot load: run its CLI in check mode
  const run = await execFileAsync(process.execPath, [
    "node_modules/@graphql-codegen/cli/cjs/bin.js",
    "--config",
    "codegen.ts",
    "--check",
  ]).then(
    () => ({ code: 0, stdout: "" }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(run).toEqual({ code: 0, stdout: "" });
  expect((await readdir("generated/graphql")).sort()).toEqual(CLIENT_ROLES.map((r) => `${r}.ts`).sort());
});

test("the finance schema lets finance write payment_status and no other contract column", async () => {
  const sdl = schemas.get("generated/schema.finance.graphql")!;
  expect(
    /input ContractPatch \{([^}]*)\}/
      .exec(sdl)![1]!
      .match(/^\s+(\w+):/gm)!
      .map((l) => l.trim()),
  ).toEqual(["paymentStatus:"]);
});
