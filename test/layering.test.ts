import { readdirSync, readFileSync, statSync } from "fs";
import path from "path";
import ts from "typescript";

/**
 * Who may import what (db/CONVENTIONS.md): the tests, the server, the bench and the CRM app reach the toolkit
 * only through its three barrels, and the toolkit never imports the server, the CRM app, the bench or the tests.
 * A scan of import specifiers (imports, exports, `import()`, `require`), resolved against the repository.
 */

const ROOT = path.resolve(__dirname, "..");
const BARRELS = ["db/index", "db/testing/index", "server/index"];
const PACKAGE_ENTRIES = ["gatehouse-rls", "gatehouse-rls/testing", "gatehouse-rls/server"];
const SOURCE = /\.(ts|tsx|js|cjs|mjs)$/;

/** The repository-relative module a specifier names, without extension or `/index` ambiguity. */
function resolveModule(importer: string, specifier: string): string {
  const target = path
    .relative(ROOT, path.resolve(ROOT, path.dirname(importer), specifier))
    .split(path.sep)
    .join("/");
  const bare = target.replace(/\.(ts|tsx|js|cjs|mjs)$/, "");
  const isDirectory = statSafe(path.join(ROOT, bare))?.isDirectory() ?? false;
  return isDirectory ? `${bare}/index` : bare;
}

function statSafe(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

const under = (module: string, folder: string) => module === folder || module.startsWith(`${folder}/`);
const isToolkit = (module: string) => (under(module, "db") && !under(module, "db/crm")) || under(module, "server");

/** What is wrong with one import, or undefined when the layering allows it. */
function offence(importer: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) {
    const deepPackage = specifier.startsWith("gatehouse-rls/") && !PACKAGE_ENTRIES.includes(specifier);
    return deepPackage ? `${specifier} is not one of the package's entry points (${PACKAGE_ENTRIES.join(", ")})` : undefined;
  }
  const target = resolveModule(importer, specifier);
  const inToolkit = under(importer, "db") && !under(importer, "db/crm");
  if (inToolkit) {
    const forbidden = ["server", "db/crm", "bench", "test"].find((folder) => under(target, folder));
    return forbidden ? `the toolkit imports ${forbidden}/ (${specifier}); take it as a parameter instead` : undefined;
  }
  if (!isToolkit(target)) return undefined;
  if (under(importer, "server") && !under(target, "server") && target !== "db/index") {
    return `the server imports the toolkit from db only, not ${specifier}`;
  }
  if (BARRELS.includes(target) || (under(importer, "server") && under(target, "server"))) return undefined;
  const barrel = under(target, "server") ? "server" : under(target, "db/testing") ? "db/testing" : "db";
  return `${specifier} reaches past the barrels: import it from ${barrel} (export it there, @internal if it is not public)`;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(relative);
    return SOURCE.test(entry.name) ? [relative] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function offences(files: string[]): string[] {
  return files.flatMap((file) =>
    importsOf(file).flatMap((specifier) => {
      const problem = offence(file, specifier);
      return problem ? [`${file}: ${problem}`] : [];
    }),
  );
}

const appSide = [...["test", "server", "bench", "db/crm"].flatMap(sourceFiles), "gatehouse.config.ts", "codegen.ts"];
const toolkit = sourceFiles("db").filter((file) => !under(file, "db/crm"));

test("the tests, the server, the bench and the CRM app import the toolkit only through its three barrels", () => {
  expect(appSide.length).toBeGreaterThan(100);
  expect(offences(appSide)).toEqual([]);
});

test("the toolkit imports neither the server, the CRM app, the bench nor the tests", () => {
  expect(toolkit.length).toBeGreaterThan(50);
  expect(offences(toolkit)).toEqual([]);
});

test("the scan refuses a deep import from a test and a server import from the toolkit, and allows the barrels", () => {
  expect(offence("test/compile/plan.test.ts", "../../db/compile/plan")).toBe(
    "../../db/compile/plan reaches past the barrels: import it from db (export it there, @internal if it is not public)",
  );
  expect(offence("test/crm/grants.test.ts", "../../db/testing/persona")).toMatch(/import it from db\/testing/);
  expect(offence("bench/measure.ts", "../server/preset")).toMatch(/import it from server/);
  expect(offence("db/crm/roles.ts", "../testing/attempt")).toMatch(/import it from db\/testing/);
  expect(offence("server/http.ts", "../db/testing")).toMatch(/the server imports the toolkit from db only/);
  expect(offence("db/cli/program.ts", "../../server")).toMatch(/the toolkit imports server\//);
  expect(offence("db/compile/plan.ts", "../crm/roles")).toMatch(/the toolkit imports db\/crm\//);
  expect(offence("test/package/pack.test.ts", "gatehouse-rls/dist/compile")).toMatch(/not one of the package's entry points/);
  for (const [importer, specifier] of [
    ["test/compile/plan.test.ts", "../../db"],
    ["test/crm/grants.test.ts", "../../db/testing"],
    ["test/server/auth.test.ts", "../../server"],
    ["test/server/auth.test.ts", "./api"],
    ["test/crm/grants.test.ts", "../../db/crm/roles"],
    ["server/http.ts", "./preset"],
    ["server/http.ts", "../db"],
    ["db/compile/plan.ts", "../policy"],
  ]) {
    expect(offence(importer, specifier)).toBeUndefined();
  }
});
