import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** What `gatehouse init` needs to know about the installed toolkit package. */
export interface PackageInfo {
  /** The folder holding its package.json (the repository in development, node_modules/<name> when installed). */
  readonly root: string;
  readonly name: string;
  readonly version: string;
  /** Versions of its development dependencies, which a new app's test setup reuses (jest, @swc/jest, …). */
  readonly devDependencies: Readonly<Record<string, string>>;
}

/**
 * The toolkit's own package.json, found from this file upwards (it runs from `db/cli` in development and from
 * `dist/db/cli` when installed).
 *
 * @example
 * toolkitPackage().name; // "gatehouse-rls"
 */
export function toolkitPackage(): PackageInfo {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as Partial<PackageInfo> & { bin?: Record<string, string> };
      if (json.bin?.gatehouse)
        return { root: dir, name: json.name!, version: json.version!, devDependencies: json.devDependencies ?? {} };
    }
    if (path.dirname(dir) === dir) throw new Error(`the gatehouse package.json was not found above ${__dirname}`);
  }
}
