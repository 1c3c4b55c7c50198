import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { compileAgainst } from "../apply/apply";
import type { GatehouseConfig } from "../config";
import { withClient } from "../runtime/client";

/** What `gatehouse compile` found: the files it wrote, or (with `check`) the ones that are stale. */
export interface CompileOutcome {
  readonly written: readonly string[];
  readonly stale: readonly string[];
}

/**
 * Compiles the config's app against the database at `url` and writes the SQL fixture and the access
 * matrix (and includes the SQL from migrations/current.sql); with `check`, writes nothing and reports
 * which files differ. Nothing is written on error.
 *
 * @example
 * await compileProject(config, process.env.DATABASE_URL!, { check: true }); // { written: [], stale: [] } when up to date
 */
export async function compileProject(
  config: GatehouseConfig,
  url: string,
  options: { check?: boolean } = {},
): Promise<CompileOutcome> {
  const result = await withClient(url, (client) => compileAgainst(client, config.app));
  const files: [string, string][] = [
    [config.output.sql, result.sql],
    [config.output.matrix, result.matrix],
  ];
  const stale: string[] = [];
  for (const [file, text] of files) {
    const current = await readFile(file, "utf8").catch(() => undefined);
    if (current !== text) stale.push(file);
  }
  if (options.check) return { written: [], stale };
  for (const [file, text] of files) {
    if (!stale.includes(file)) continue;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  if (stale.includes(config.output.sql)) await includeInCurrent(config);
  return { written: stale, stale: [] };
}

/**
 * Makes sure migrations/current.sql includes the generated SQL, so the next `migrate` applies it
 * and `graphile-migrate commit` turns it into a committed migration (commit empties current.sql).
 */
async function includeInCurrent(config: GatehouseConfig): Promise<void> {
  const current = path.join(config.migrationsFolder, "current.sql");
  const include = `--!include ${path.relative(path.join(config.migrationsFolder, "fixtures"), config.output.sql).split(path.sep).join("/")}`;
  const text = await readFile(current, "utf8").catch(() => "");
  if (text.split("\n").some((line) => line.trim() === include)) return;
  const kept = text.split("\n").filter((line) => line.trim() !== "" && line.trim() !== "-- Enter migration here");
  await writeFile(current, [...kept, include, ""].join("\n"));
}
