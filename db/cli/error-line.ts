import { CompileError } from "../compile";

/**
 * An error as the CLI prints it: a compile error's own lines, else `gatehouse: <message>` (refusals from generated
 * SQL already start with `gatehouse: `).
 *
 * @example
 * console.error(errorLine(new Error("no user \"ritaa\""))); // gatehouse: no user "ritaa"
 */
export const errorLine = (error: unknown): string =>
  error instanceof CompileError
    ? error.message
    : error instanceof Error
      ? `gatehouse: ${error.message.replace(/^gatehouse: /, "")}`
      : String(error);
