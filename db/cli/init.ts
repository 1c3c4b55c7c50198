import { cp, mkdir, readdir, rename, writeFile } from "node:fs/promises";
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

/**
 * Scaffolds a new app in `dir` (created when missing; refused unless empty): gatehouse.config.ts, a schema
 * migration, db/roles.ts with two roles and a mask, demo data and personas, `.gmrc`, a jest setup and a persona
 * test that passes on embedded PostgreSQL, and a package.json with the scripts.
 *
 * @example
 * const { summary } = await initProject("clinic"); // then: cd clinic && npm install && npm test
 */
export async function initProject(dir: string): Promise<InitOutcome> {
  const target = path.resolve(dir);
  const existing = await readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  if (existing.length > 0)
    throw new Error(
      `${target} is not empty (${existing.slice(0, 3).join(", ")}${existing.length > 3 ? ", …" : ""}): gatehouse init writes only into a new or empty folder; pass another one, e.g. gatehouse init my-app`,
    );
  const pkg = toolkitPackage();
  await mkdir(target, { recursive: true });
  await cp(path.join(pkg.root, "db/cli/template"), target, { recursive: true });
  // npm never packs a file named .gitignore: the template holds it as gitignore
  await rename(path.join(target, "gitignore"), path.join(target, ".gitignore"));
  await writeFile(path.join(target, "package.json"), `${JSON.stringify(appPackage(path.basename(target), pkg), null, 2)}\n`);
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

/** The new app's package.json: the toolkit as a dependency, its test tooling, and the usual scripts. */
function appPackage(name: string, pkg: ReturnType<typeof toolkitPackage>) {
  return {
    name:
      name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "") || "gatehouse-app",
    version: "0.1.0",
    private: true,
    scripts: {
      start: "gatehouse start",
      migrate: "gatehouse migrate",
      compile: "gatehouse compile",
      test: "jest",
      typecheck: "tsc --noEmit",
    },
    dependencies: { [pkg.name]: `^${pkg.version}` },
    devDependencies: Object.fromEntries(DEV_TOOLS.map((tool) => [tool, pkg.devDependencies[tool] ?? "*"])),
  };
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const name = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), name)));
    else files.push(name);
  }
  return files.sort();
}
