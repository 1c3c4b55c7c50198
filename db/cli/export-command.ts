import { Option } from "commander";
import { EXPORT_FORMATS } from "../compile/emit/exports";
import { handleSignalsYourself } from "../runtime/embedded";
import type { CliCommand } from "./command";
import { ExportInterrupted, exportView, type ExportFormat } from "./export";

/**
 * `gatehouse export <view> --as <username>`: a masking view, exported under that user's rules.
 *
 * @example
 * exportCommand(program, context);
 */
export const exportCommand: CliCommand = (program, context) => {
  program
    .command("export")
    .description(
      "export a masking view as a user, under their rules: streamed, written atomically, refused off-channel or over the daily quota, recorded in the audit trail",
    )
    .argument("<view>", "the masking view, e.g. a view of the app's definitions")
    .requiredOption("--as <username>", "the user (username in the identity users table) the export runs as")
    .option("--role <role>", "the app role to act in, when the user holds several")
    .option("--channel <channel>", "request channel claim, e.g. mobile")
    .addOption(new Option("--format <format>", "file format").choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption("--out <file>", "the file to write (replaced only when the export succeeds)")
    .action(async (view: string, options: { as: string; role?: string; channel?: string; format: ExportFormat; out: string }) => {
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      await context.onDatabase(async (config, db) => {
        handleSignalsYourself();
        process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
        try {
          const outcome = await exportView(
            config,
            db,
            { view, ...options },
            { signal: interrupt.signal, progress: Boolean(process.stderr.isTTY) },
          );
          console.log(
            `exported ${outcome.rows} rows of ${outcome.view} as ${outcome.username} to ${outcome.file} (sha256 ${outcome.sha256})`,
          );
        } catch (error) {
          if (!(error instanceof ExportInterrupted)) throw error;
          console.error(`gatehouse: ${error.message}`);
          process.exitCode = 130;
        } finally {
          process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
        }
      });
    });
};
