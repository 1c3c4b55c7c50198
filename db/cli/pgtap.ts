import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { GatehouseConfig } from "../config";
import { generatePgtap, PGTAP_FILES } from "../pgtap/generate";
import { renderTapFile, testCount, type TapFile } from "../pgtap/tap-file";
import { withClient } from "../runtime/client";
import type { CliCommand } from "./command";
import type { ProjectDatabase } from "./database";

/** Where `gatehouse pgtap` writes when `--out` is not given: beside the embedded cluster, not committed. */
export const DEFAULT_PGTAP_FOLDER = ".gatehouse/pgtap";

/** One written file and its number of tests. */
export interface PgtapFileWritten {
  readonly file: string;
  readonly tests: number;
}

/** The header of a file: where it came from, how to run it. */
function header(config: GatehouseConfig, file: TapFile, major: string): string {
  return [
    `${file.name}, written by gatehouse pgtap from the definitions of schema ${config.app.schema} (PostgreSQL ${major}).`,
    "Run it as a superuser with pg_prove: it creates pgTAP if needed, runs in one transaction and rolls back.",
    "Generated: edit the definitions, not this file.",
  ].join("\n");
}

/**
 * Writes the project's pgTAP files (see {@link generatePgtap}) into `out`, replacing the files of an earlier run.
 *
 * @example
 * await writePgtap(config, db, ".gatehouse/pgtap"); // [{ file: ".gatehouse/pgtap/policies.sql", tests: 120 }, …]
 */
export async function writePgtap(config: GatehouseConfig, db: ProjectDatabase, out: string): Promise<PgtapFileWritten[]> {
  const { files, major } = await withClient(db.url, async (client) => ({
    files: await generatePgtap(client, config),
    major: (await client.query<{ major: string }>("select current_setting('server_version_num')::int / 10000 as major")).rows[0]!
      .major,
  }));
  await mkdir(out, { recursive: true });
  for (const name of PGTAP_FILES) if (!files.some((f) => f.name === name)) await rm(path.join(out, name), { force: true });
  const written: PgtapFileWritten[] = [];
  for (const file of files) {
    const target = path.join(out, file.name);
    await writeFile(target, renderTapFile(file, header(config, file, String(major))));
    written.push({ file: target, tests: testCount(file) });
  }
  return written;
}

/** The pg_prove command line for the files in `out` on the database at `url` (its password left out). */
function pgProveLine(url: string, out: string): string {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  return `pg_prove -h ${u.hostname} -p ${u.port || "5432"} -U ${decodeURIComponent(u.username) || "postgres"} -d ${database} ${path.join(out, "*.sql")}`;
}

/**
 * `gatehouse pgtap [--out <dir>]`: pgTAP tests from the definitions, for pg_prove.
 *
 * @example
 * pgtapCommand(program, context);
 */
export const pgtapCommand: CliCommand = (program, context) => {
  program
    .command("pgtap")
    .description(
      "write pgTAP tests from the definitions (policies, privileges, row security, what each persona sees), for pg_prove: no Node needed to run them",
    )
    .option(
      "--out <dir>",
      "the folder to write policies.sql, privileges.sql, row-security.sql and visibility.sql to",
      DEFAULT_PGTAP_FOLDER,
    )
    .action(async (options: { out: string }) => {
      await context.onDatabase(async (config, db) => {
        const written = await writePgtap(config, db, options.out);
        const total = written.reduce((sum, w) => sum + w.tests, 0);
        const width = Math.max(...written.map((w) => path.basename(w.file).length));
        console.log(`wrote ${written.length} pgTAP files (${total} tests) to ${options.out}:`);
        for (const w of written) console.log(`  ${path.basename(w.file).padEnd(width)}  ${String(w.tests).padStart(5)} tests`);
        console.log(`run them (PostgreSQL with the pgtap extension available): ${pgProveLine(db.url, options.out)}`);
      });
    });
};
