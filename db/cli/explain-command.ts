import { Option } from "commander";
import { Client } from "pg";
import { roleName } from "../compile/names";
import { explainAccess, type ExplainRequest } from "../explain/explain";
import { paintFor, renderExplanation } from "../explain/render";
import { COMMANDS, type Command } from "../policy/roles";
import { withClient } from "../runtime/client";
import { explainConnectionError } from "../runtime/connection-errors";
import { authenticatorUrl } from "./authenticator";
import type { CliCommand } from "./command";
import { requireMigrated } from "./database-state";

interface ExplainOptions {
  user: string;
  table: string;
  row: string;
  command: Command;
  column?: string;
  role?: string;
  channel?: string;
  json?: boolean;
}

/**
 * `gatehouse explain --user <u> --table <t> --row <id>`: why a user may or may not see (or change) one row,
 * evaluated in the database as that user.
 *
 * @example
 * explainCommand(program, context);
 */
export const explainCommand: CliCommand = (program, context) => {
  program
    .command("explain")
    .description(
      "why a user can or cannot see (or insert, update, delete) one row: each policy and arm that applies, evaluated in the database as that user, and the column grants",
    )
    .requiredOption("--user <username>", "the user (username in the identity users table)")
    .requiredOption("--table <table>", "a table of the app schema")
    .requiredOption("--row <id>", "the row's primary key")
    .addOption(new Option("--command <command>", "what the user would do").choices(COMMANDS).default("select"))
    .option("--column <column>", "one column to explain; all, briefly, when left out")
    .option("--role <role>", "one of the user's app roles; every one they hold when left out")
    .option("--channel <channel>", "request channel claim, e.g. mobile")
    .option("--json", "the explanation as json")
    .action(async (options: ExplainOptions) => {
      await context.onDatabase(async (config, db) => {
        await requireMigrated(config.app, db.url, "DATABASE_URL");
        const request: ExplainRequest = {
          user: options.user,
          table: options.table,
          row: options.row,
          command: options.command,
          ...(options.column !== undefined ? { column: options.column } : {}),
          ...(options.role !== undefined ? { role: options.role } : {}),
          ...(options.channel !== undefined ? { channel: options.channel } : {}),
        };
        const explanation = await withClient(db.url, async (owner) => {
          const { rows } = await owner.query<{ superuser: boolean }>(
            "select rolsuper as superuser from pg_catalog.pg_roles where rolname = current_user",
          );
          if (rows[0]?.superuser) return explainAccess(owner, config.app, request);
          // not a superuser: act as the user through the authenticator's own login, as the API server does
          const url = await authenticatorUrl(config, db, {
            who: "gatehouse explain",
            otherwise: `set AUTHENTICATOR_DATABASE_URL to a URL that logs in as ${roleName(config.app, config.app.authenticator)}, or run it as a superuser`,
          });
          const asUser = new Client({ connectionString: url });
          await asUser.connect().catch((error: unknown) => {
            throw explainConnectionError(
              error,
              "the authenticator's URL (AUTHENTICATOR_DATABASE_URL or AUTHENTICATOR_PASSWORD)",
              url,
            );
          });
          try {
            return await explainAccess(owner, config.app, request, { asUser });
          } finally {
            await asUser.end().catch(() => undefined);
          }
        });
        console.log(
          options.json ? JSON.stringify(explanation, null, 2) : renderExplanation(explanation, paintFor(process.stdout)),
        );
      });
    });
};
