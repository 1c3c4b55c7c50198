import type { CliCommand } from "./command";
import { checkProject, driftText } from "./check";
import { colourOn } from "./colour";
import { errorLine } from "./error-line";

/**
 * `gatehouse check [--json]`: the live database against the definitions. Exit 0 when they match, 1 on drift, 2 when
 * the check itself failed.
 *
 * @example
 * checkCommand(program, context);
 */
export const checkCommand: CliCommand = (program, context) => {
  program
    .command("check")
    .description(
      "compare the live database with the definitions (policies by deparsed expression, roles, memberships, grants, masked columns, views, row security, functions, triggers, logins): exit 0 when they match, 1 on drift, 2 on an error; takes a migration's locks briefly and always rolls back",
    )
    .option("--json", "print the report as JSON")
    .action(async (options: { json?: boolean }) => {
      try {
        await context.onDatabase(async (config, db) => {
          const report = await checkProject(config, db.url);
          console.log(
            options.json
              ? JSON.stringify({ drift: report.items.length > 0, ...report }, null, 2)
              : driftText(config, report, { color: colourOn(process.stdout) }),
          );
          process.exitCode = report.items.length ? 1 : 0;
        });
      } catch (error) {
        console.error(errorLine(error));
        process.exitCode = 2;
      }
    });
};
