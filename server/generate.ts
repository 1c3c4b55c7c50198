import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Pool } from "pg";
import type { AppDefinition } from "../db/policy/define";
import config from "../codegen";
import { roleSchemaFiles } from "./schemas";

/**
 * The generated API files: every role's SDL (built against the database at `url`, as each role) and the typed
 * client that graphql-codegen makes from them and generated/operations. File name → content.
 *
 * @example
 * const files = await apiFiles(crm, process.env.DATABASE_URL!);
 */
export async function apiFiles(app: AppDefinition, url: string): Promise<Map<string, string>> {
  const pool = new Pool({ connectionString: url, max: 2 });
  let files: Map<string, string>;
  try {
    files = await roleSchemaFiles(app, pool);
  } finally {
    await pool.end();
  }
  for (const [file, content] of await typedClientFiles(files)) files.set(file, content);
  return files;
}

/**
 * Runs graphql-codegen (codegen.ts) with the role schemas given instead of the files on disk, and returns
 * what it would write.
 *
 * @example
 * await typedClientFiles(await roleSchemaFiles(crm, pool)); // Map { "generated/graphql/finance.ts" => "..." }
 */
export async function typedClientFiles(schemas: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  // graphql-codegen is a development dependency: loaded only when generating
  const { generate } = await import("@graphql-codegen/cli");
  const generates = Object.fromEntries(
    Object.entries(config.generates).map(([file, target]) => {
      const { schema, ...rest } = target as { schema: string };
      return [file, { ...rest, schema: schemas.get(schema) ?? schema }];
    }),
  );
  const outputs = (await generate({ ...config, generates, cwd: process.cwd() }, false)) as {
    filename: string;
    content: string;
  }[];
  return new Map(outputs.map((o) => [path.relative(process.cwd(), path.resolve(o.filename)), o.content]));
}

/**
 * Writes the generated API files that differ from the ones on disk and returns their names; with `check`,
 * writes nothing and returns the stale ones.
 *
 * @example
 * const stale = await writeApiSchemas(crm, url, { check: true }); // [] when up to date
 */
export async function writeApiSchemas(app: AppDefinition, url: string, options: { check?: boolean } = {}): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, content] of await apiFiles(app, url)) {
    if ((await readFile(file, "utf8").catch(() => undefined)) === content) continue;
    stale.push(file);
    if (options.check) continue;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return stale;
}
