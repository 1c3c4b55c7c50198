import path from "node:path";
import type { GatehouseConfig } from "../config";

/**
 * Loads `gatehouse.config.ts` (or the file given) from the project. A TypeScript config, and the TypeScript
 * files it imports (roles, seed), load through tsx's CommonJS hook, registered here once when nothing
 * registered one before (in this repository the `gatehouse` bin already runs under tsx). A plain
 * JavaScript config loads as it is.
 *
 * @example
 * const config = loadConfig(); // ./gatehouse.config.ts
 */
export function loadConfig(file = "gatehouse.config.ts"): GatehouseConfig {
  const resolved = path.resolve(file);
  if (/\.[cm]?ts$/.test(resolved) && !require.extensions[".ts"]) {
    const { register } = require("tsx/cjs/api") as typeof import("tsx/cjs/api");
    register();
  }
  let loaded: { default?: GatehouseConfig };
  try {
    loaded = require(resolved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(resolved)) {
      throw new Error(`no ${file} in ${process.cwd()}: run gatehouse from the project folder, or pass --config <file>`);
    }
    throw error;
  }
  if (!loaded.default?.app) throw new Error(`${file} must export default defineConfig({ app, output, ... })`);
  return loaded.default;
}
