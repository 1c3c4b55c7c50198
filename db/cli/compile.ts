import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { compileAgainst } from "../apply/apply";
import type { GatehouseConfig } from "../config";
import { changesSince, renderChanges, toUnits } from "../migrations/changes";
import { readCommittedGeneration } from "../migrations/committed";
import { withClient } from "../runtime/client";
import { toDdl } from "../sql/ddl";

/** What `gatehouse compile` found: the files it wrote or removed, or (with `check`) the ones that are stale. */
export interface CompileOutcome {
  readonly written: readonly string[];
  /** The changes file, once nothing differs from the committed migrations any more. */
  readonly removed: readonly string[];
  readonly stale: readonly string[];
}

/**
 * Where `gatehouse compile` writes what changed since the last committed migration: beside the full generation,
 * `<name>.changes.sql` (e.g. migrations/fixtures/clinic-security.changes.sql).
 *
 * @example
 * changesFile("migrations/fixtures/clinic-security.sql"); // "migrations/fixtures/clinic-security.changes.sql"
 */
export const changesFile = (sqlFile: string): string => sqlFile.replace(/(\.sql)?$/, ".changes.sql");

/**
 * Compiles the config's app against the database at `url` and writes the full generated SQL (the reference a
 * reviewer diffs), the access matrix, and the changes since the last committed migration, which
 * migrations/current.sql includes (none when nothing changed); with `check`, writes nothing and reports which files
 * differ. Nothing is written on error.
 *
 * @example
 * await compileProject(config, process.env.DATABASE_URL!, { check: true }); // { written: [], removed: [], stale: [] } when up to date
 */
export async function compileProject(
  config: GatehouseConfig,
  url: string,
  options: { check?: boolean } = {},
): Promise<CompileOutcome> {
  const result = await withClient(url, (client) => compileAgainst(client, config.app));
  const committed = await readCommittedGeneration(config.migrationsFolder, config.app.schema);
  const units = toUnits(
    result.statements,
    result.statements.map((s) => toDdl(s.sql)),
  );
  const changes = renderChanges(config.app.schema, changesSince(committed, units), path.basename(config.output.sql));
  const files: [string, string | undefined][] = [
    [config.output.sql, result.sql],
    [config.output.matrix, result.matrix],
    [changesFile(config.output.sql), changes],
  ];
  const stale: string[] = [];
  for (const [file, text] of files) {
    const current = await readFile(file, "utf8").catch(() => undefined);
    if (current !== text) stale.push(file);
  }
  if (options.check) return { written: [], removed: [], stale };
  const removed = files.filter(([file, text]) => text === undefined && stale.includes(file)).map(([file]) => file);
  for (const [file, text] of files) {
    if (!stale.includes(file)) continue;
    if (text === undefined) {
      await rm(file, { force: true });
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  await includeInCurrent(config, changes !== undefined);
  return { written: stale.filter((file) => !removed.includes(file)), removed, stale: [] };
}

/**
 * Makes migrations/current.sql include the changes file when there are changes (and not otherwise), so the next
 * `migrate` applies them and `graphile-migrate commit` turns them into a committed migration (commit empties
 * current.sql). An include of the full generation, as earlier versions wrote, is replaced.
 */
async function includeInCurrent(config: GatehouseConfig, hasChanges: boolean): Promise<void> {
  const current = path.join(config.migrationsFolder, "current.sql");
  const fixtures = path.join(config.migrationsFolder, "fixtures");
  const includeOf = (file: string) => `--!include ${path.relative(fixtures, file).split(path.sep).join("/")}`;
  const ours = [includeOf(config.output.sql), includeOf(changesFile(config.output.sql))];
  const text = await readFile(current, "utf8").catch(() => "");
  const kept = text
    .split("\n")
    .filter((line) => line.trim() !== "" && line.trim() !== "-- Enter migration here" && !ours.includes(line.trim()));
  const next = [...kept, ...(hasChanges ? [ours[1]!] : [])];
  const body = next.length > 0 ? next.join("\n") + "\n" : "-- Enter migration here\n";
  if (body !== text) await writeFile(current, body);
}
