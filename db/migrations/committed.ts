import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { foldCommitted, type CommittedGeneration } from "./changes";

/**
 * What the committed migrations in `<migrationsFolder>/committed` hold of app schema `app`'s generated security:
 * the unit marks of every migration, in file-name order. Empty when none carries a mark (no migration yet, or only
 * migrations written before generated SQL was committed unit by unit).
 *
 * @example
 * const committed = await readCommittedGeneration("migrations", "clinic");
 */
export async function readCommittedGeneration(migrationsFolder: string, app: string): Promise<CommittedGeneration> {
  const folder = path.join(migrationsFolder, "committed");
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith(".sql")).sort();
  return foldCommitted(await Promise.all(names.map((n) => readFile(path.join(folder, n), "utf8"))), app);
}
