import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Pool } from "pg";
import type { CodegenSettings, GatehouseConfig } from "../db";
import { roleSchemaFiles } from "./schemas";

/**
 * The generated API files of a project: every role's SDL (built against the database at `url`, as each role)
 * in `config.schema.folder` (default `generated`), and, when the config names a graphql-codegen configuration
 * (`schema.codegen`), what graphql-codegen makes from them. File name → content.
 *
 * @example
 * const files = await apiFiles(loadConfig(), process.env.DATABASE_URL!);
 */
export async function apiFiles(config: GatehouseConfig, url: string): Promise<Map<string, string>> {
  const pool = new Pool({ connectionString: url, max: 2 });
  let files: Map<string, string>;
  try {
    files = await roleSchemaFiles(config.app, pool, config.schema?.folder);
  } finally {
    await pool.end();
  }
  const codegen = config.schema?.codegen;
  if (codegen) for (const [file, content] of await typedClientFiles(codegen, files)) files.set(file, content);
  return files;
}

/**
 * Runs graphql-codegen with `codegen` and the role schemas given instead of the files on disk, and returns
 * what it would write.
 *
 * @example
 * await typedClientFiles(codegenConfig, await roleSchemaFiles(app, pool)); // Map { "generated/graphql/nurse.ts" => "..." }
 */
export async function typedClientFiles(
  codegen: CodegenSettings,
  schemas: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  // graphql-codegen is the project's own (development) dependency: loaded only when generating
  const { generate } = await import("@graphql-codegen/cli").catch(() => {
    throw new Error(
      "schema.codegen is set in the config but @graphql-codegen/cli is not installed: npm install -D @graphql-codegen/cli",
    );
  });
  const generates = Object.fromEntries(
    Object.entries(codegen.generates).map(([file, target]) => {
      const { schema, ...rest } = target as { schema: string };
      return [file, { ...rest, schema: schemas.get(schema) ?? schema }];
    }),
  );
  const outputs = (await generate({ ...(codegen as object), generates, cwd: process.cwd() }, false)) as {
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
 * const stale = await writeApiSchemas(loadConfig(), url, { check: true }); // [] when up to date
 */
export async function writeApiSchemas(
  config: GatehouseConfig,
  url: string,
  options: { check?: boolean } = {},
): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, content] of await apiFiles(config, url)) {
    if ((await readFile(file, "utf8").catch(() => undefined)) === content) continue;
    stale.push(file);
    if (options.check) continue;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return stale;
}
