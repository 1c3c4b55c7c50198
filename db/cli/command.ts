import type { Command } from "commander";
import type { GatehouseConfig } from "../config";
import type { ProjectDatabase } from "./database";

/** What a command of the `gatehouse` program may use: the project's configuration and database. */
export interface CliContext {
  /** The project's configuration, from `--config` (default `gatehouse.config.ts`). */
  config(): GatehouseConfig;
  /** Runs `fn` against the project database (`DATABASE_URL`, else the embedded cluster), stopping an embedded server afterwards. */
  onDatabase<T>(fn: (config: GatehouseConfig, db: ProjectDatabase) => Promise<T>): Promise<T>;
}

/**
 * Adds one or more commands to the program. The toolkit's commands are written this way, and so are the
 * server's (`start`, `serve`, `token`, `schema`), which `createProgram(extraCommands)` takes from outside.
 *
 * @example
 * const hello: CliCommand = (program, context) =>
 *   program.command("hello").action(() => console.log(`schema ${context.config().app.schema}`));
 */
export type CliCommand = (program: Command, context: CliContext) => void;
