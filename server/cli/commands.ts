import type { Command } from "commander";
import {
  DEV_AUTHENTICATOR_PASSWORD,
  findUser,
  openProjectDatabase,
  positive,
  requireMigrated,
  type CliCommand,
  type CliContext,
  withClient,
} from "../../db";
import { writeApiSchemas } from "../generate";
import { serveUntilSignal } from "../main";
import { startDemo } from "./start";
import { devToken } from "./token";

/** `gatehouse start`: the demo on the embedded PostgreSQL, with the API and a token per persona. */
function start(program: Command, context: CliContext): void {
  program
    .command("start")
    .description(
      "the demo: embedded PostgreSQL 17, migrations, seed data, the GraphQL API with Ruru, and a token and query per persona",
    )
    .option("--port <port>", "port of the embedded PostgreSQL", positive)
    .option("--api-port <port>", "port of the GraphQL API (default PORT or 5678)", positive)
    .option("--no-api", "do not start the GraphQL API")
    .action(async (options: { port?: number; apiPort?: number; api: boolean }) => {
      await startDemo(context.config(), options);
    });
}

/** `gatehouse serve`: the GraphQL API alone, on a migrated database. */
function serve(program: Command, context: CliContext): void {
  program
    .command("serve")
    .description("the GraphQL API alone, on a migrated database (configured by the environment: see README)")
    .action(async () => {
      const config = context.config();
      const db = process.env.AUTHENTICATOR_DATABASE_URL ? undefined : await openProjectDatabase(config);
      try {
        await requireMigrated(
          config.app,
          db?.url ?? process.env.AUTHENTICATOR_DATABASE_URL!,
          db ? "DATABASE_URL" : "AUTHENTICATOR_DATABASE_URL",
        );
      } catch (error) {
        await db?.stop();
        throw error;
      }
      const env = db
        ? {
            ...process.env,
            DATABASE_URL: db.url,
            // the demo password is only ever set in the demo's own embedded cluster
            ...(db.embedded ? { AUTHENTICATOR_PASSWORD: process.env.AUTHENTICATOR_PASSWORD ?? DEV_AUTHENTICATOR_PASSWORD } : {}),
          }
        : process.env;
      try {
        await serveUntilSignal(config.app, env, async () => db?.stop(), config.alerts ? { alerts: config.alerts } : undefined);
      } catch (error) {
        await db?.stop();
        throw error;
      }
    });
}

/** `gatehouse token`: a development token for a persona of the config, or for a user of the database. */
function token(program: Command, context: CliContext): void {
  program
    .command("token")
    .description("print a development token for a persona or a user of the database (refused in production)")
    .requiredOption(
      "--user <username>",
      "a persona of the config, else a user of the database (e.g. one `gatehouse generate` made), with their roles there",
    )
    .option("--role <role>", "act in this app role (default: the user's first role)")
    .option("--channel <channel>", "request channel claim, e.g. mobile")
    .option("--expires <span>", "lifetime: 15m, 1h, 7d", "1h")
    .action(async (options: { user: string; role?: string; channel?: string; expires: string }) => {
      const { token, warning } = await devToken(context.config(), options, process.env, (username) =>
        context.onDatabase((config, db) => withClient(db.url, (client) => findUser(client, config.app, { username }))),
      );
      if (warning) console.error(`warning: ${warning}`);
      console.log(token);
    });
}

/** `gatehouse schema`: every role's GraphQL SDL and, when the config names one, graphql-codegen's output. */
function schema(program: Command, context: CliContext): void {
  program
    .command("schema")
    .description(
      "write schema.<role>.graphql for every role (as each role sees the database) and, with schema.codegen in the config, the typed client",
    )
    .option("--check", "write nothing; exit 1 if a generated file is stale")
    .action(async (options: { check?: boolean }) => {
      const stale = await context.onDatabase((config, db) => writeApiSchemas(config, db.url, options));
      if (options.check && stale.length) {
        console.error(`stale: ${stale.join(", ")}: run gatehouse schema and commit the result`);
        process.exitCode = 1;
      } else
        console.log(
          options.check
            ? "API schemas are up to date"
            : stale.length
              ? `wrote ${stale.join(", ")}`
              : "API schemas were already up to date",
        );
    });
}

/**
 * The server's commands for the `gatehouse` program: `start`, `serve`, `token` and `schema`.
 *
 * @example
 * await runProgram(createProgram([serverCommands]));
 */
export const serverCommands: CliCommand = (program, context) => {
  for (const add of [start, serve, token, schema]) add(program, context);
};
