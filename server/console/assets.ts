import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

/** The console's files as the server sends them: the page, its script (bundled) and its style sheet. */
export interface ConsoleAssets {
  readonly html: string;
  readonly script: string;
  readonly style: string;
}

/**
 * The folder of the console's sources (`console/` at the package root), from the server's sources or from the built
 * package (`dist/server/console`).
 */
export function consoleSourceFolder(): string {
  const candidates = [path.resolve(__dirname, "../../console"), path.resolve(__dirname, "../../../console")];
  const found = candidates.find((folder) => existsSync(path.join(folder, "main.ts")));
  if (!found)
    throw new Error(
      `the access console's sources are missing (looked in ${candidates.join(" and ")}): reinstall the package, or restore console/`,
    );
  return found;
}

/**
 * Builds the access console once: its TypeScript modules bundled by esbuild into one browser script (ES2020, no
 * source map, nothing fetched from elsewhere), with its page and style sheet read beside it.
 *
 * @example
 * const { html, script, style } = await buildConsoleAssets();
 */
export async function buildConsoleAssets(folder = consoleSourceFolder()): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: [path.join(folder, "main.ts")],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2020",
    minify: true,
    logLevel: "silent",
  });
  const [html, style] = await Promise.all([
    readFile(path.join(folder, "index.html"), "utf8"),
    readFile(path.join(folder, "console.css"), "utf8"),
  ]);
  return { html, script: result.outputFiles[0]!.text, style };
}
