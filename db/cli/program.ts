import { Command } from "commander";
import type { CliCommand, CliContext } from "./command";
import { checkCommand } from "./check-command";
import { loadConfig } from "./config";
import { openProjectDatabase } from "./database";
import { errorLine } from "./error-line";
import { explainCommand } from "./explain-command";
import { exportCommand } from "./export-command";
import { keysCommands } from "./keys-command";
import { lintCommand } from "./lint";
import { loginCommands } from "./login-command";
import { pgtapCommand } from "./pgtap";
import { projectCommands } from "./project-commands";
import { reviewCommands } from "./review-command";

export type { CliCommand, CliContext } from "./command";

/**
 * The `gatehouse` program: the toolkit's commands (init, compile, migrate, seed, generate, audit,
 * authenticator-password, login, export, check, lint, pgtap, review, alerts, explain, keys) and the `extraCommands` given, which is how the server side adds
 * `start`, `serve`, `token` and `schema` without the toolkit importing it.
 *
 * @example
 * await runProgram(createProgram([serverCommands]));
 */
export function createProgram(extraCommands: readonly CliCommand[] = []): Command {
  const program = new Command("gatehouse")
    .description(
      "Row- and column-level security for PostgreSQL, written once in TypeScript.\nEvery command uses DATABASE_URL when set, else the project's embedded PostgreSQL 17.",
    )
    .option("-c, --config <file>", "project configuration", "gatehouse.config.ts")
    .showHelpAfterError();
  const context: CliContext = {
    config: () => loadConfig(program.opts<{ config: string }>().config),
    onDatabase: async (fn) => {
      const config = context.config();
      const db = await openProjectDatabase(config);
      try {
        return await fn(config, db);
      } finally {
        await db.stop();
      }
    },
  };
  for (const add of [
    projectCommands,
    loginCommands,
    checkCommand,
    exportCommand,
    lintCommand,
    pgtapCommand,
    reviewCommands,
    explainCommand,
    keysCommands,
    ...extraCommands,
  ])
    add(program, context);
  return program;
}

/**
 * Runs the program on `argv` and prints an error the way the CLI does (refusals from generated SQL already
 * start with `gatehouse: `), exiting 1.
 *
 * @example
 * await runProgram(createProgram());
 */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    console.error(errorLine(error));
    process.exit(1);
  }
}
