import { cp, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { toolkitPackage } from "./package-info";

/** What `gatehouse init` made. */
export interface InitOutcome {
  readonly dir: string;
  /** The files written, relative to `dir`. */
  readonly files: readonly string[];
  /** What to run next, for the terminal. */
  readonly summary: string;
}

/** The test tooling a new app gets, at the versions the toolkit itself is tested with. */
const DEV_TOOLS = ["jest", "@swc/jest", "@swc/core", "typescript", "@types/jest", "@types/node"] as const;

/** What a folder may already hold for `gatehouse init`: a fresh npm project (`npm init -y && npm install gatehouse-rls`). */
const FRESH_PROJECT = new Set(["package.json", "package-lock.json", "node_modules", ".git"]);

/**
 * Scaffolds a new app in `dir` (created when missing): gatehouse.config.ts, a schema migration, db/roles.ts
 * with two roles and a mask, demo data and personas, `.gmrc`, a jest setup and a persona test that passes on
 * embedded PostgreSQL, and the package.json scripts. The folder must be empty or a fresh npm project (only
 * package.json, package-lock.json, node_modules, .git): an existing package.json keeps everything it has and
 * gains the scripts, the toolkit and the test tooling it lacks.
 *
 * @example
 * const { summary } = await initProject("clinic"); // then: cd clinic && npm install && npm test
 */
export async function initProject(dir: string): Promise<InitOutcome> {
  const target = path.resolve(dir);
  const existing = await readdir(target).catch((error: NodeJS.ErrnoException): string[] => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const foreign = existing.filter((name) => !FRESH_PROJECT.has(name)).sort();
  if (foreign.length > 0)
    throw new Error(
      `${target} is not empty (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}): gatehouse init writes only into a new folder, an empty one or a fresh npm project; pass another one, e.g. gatehouse init my-app`,
    );
  const pkg = toolkitPackage();
  await mkdir(target, { recursive: true });
  await cp(path.join(pkg.root, "db/cli/template"), target, { recursive: true });
  // npm never packs a file named .gitignore: the template holds it as gitignore
  await rename(path.join(target, "gitignore"), path.join(target, ".gitignore"));
  const manifest = path.join(target, "package.json");
  const current = existing.includes("package.json") ? (JSON.parse(await readFile(manifest, "utf8")) as PackageJson) : {};
  await writeFile(manifest, `${JSON.stringify(appPackage(path.basename(target), pkg, current), null, 2)}\n`);
  const files = await listFiles(target);
  const cd = path.relative(process.cwd(), target);
  return {
    dir: target,
    files,
    summary: [
      `created a Gatehouse app in ${target}: ${files.length} files`,
      "",
      "next:",
      ...(cd ? [`  cd ${cd}`] : []),
      "  npm install",
      "  npx gatehouse migrate --committed-only && npx gatehouse compile && npx gatehouse migrate",
      "  npm test",
      "  npx gatehouse start",
    ].join("\n"),
  };
}

/** The parts of a package.json init reads and writes. */
interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * The app's package.json: what `current` has (npm init's placeholder test script replaced), plus the toolkit as
 * a dependency, its test tooling and the usual scripts.
 */
function appPackage(name: string, pkg: ReturnType<typeof toolkitPackage>, current: PackageJson): PackageJson {
  const { test, ...scripts } = current.scripts ?? {};
  return {
    name:
      name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "") || "gatehouse-app",
    version: "0.1.0",
    private: true,
    ...current,
    scripts: {
      start: "gatehouse start",
      migrate: "gatehouse migrate",
      compile: "gatehouse compile",
      test: test && !test.includes("no test specified") ? test : "jest",
      typecheck: "tsc --noEmit",
      ...scripts,
    },
    dependencies: { [pkg.name]: `^${pkg.version}`, ...current.dependencies },
    devDependencies: {
      ...Object.fromEntries(DEV_TOOLS.map((tool) => [tool, pkg.devDependencies[tool] ?? "*"])),
      ...current.devDependencies,
    },
  };
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (FRESH_PROJECT.has(entry.name) && entry.isDirectory()) continue; // node_modules, .git
    const name = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), name)));
    else files.push(name);
  }
  return files.sort();
}
