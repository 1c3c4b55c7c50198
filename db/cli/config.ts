import path from "node:path";
import type { GatehouseConfig } from "../config";

/** Loads `gatehouse.config.ts` (or the file given) from the project; the CLI runs under tsx, so TypeScript loads directly. */
export function loadConfig(file = "gatehouse.config.ts"): GatehouseConfig {
  const resolved = path.resolve(file);
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
