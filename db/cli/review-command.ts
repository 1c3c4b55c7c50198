import { writeFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { readAlerts, type AlertReport } from "../review/alerts";
import { alertRule, reviewDocument } from "../review/document";
import { failures, parseFailOn } from "../review/findings";
import { renderHtml, renderMarkdown } from "../review/render";
import { checkDrift } from "../drift/check";
import { readReview } from "../review/review";
import { alertSettings, parseLimits, type AlertSettingsInput } from "../review/settings";
import { withClient } from "../runtime/client";
import { positive } from "./arguments";
import { colourOn, paint } from "./colour";
import type { CliCommand } from "./command";

interface ThresholdFlags {
  window?: string;
  multiple?: string;
  minimum?: string;
  bulkRows?: number;
  limit?: string[];
}

/** The alert threshold flags, shared by `review` and `alerts`. */
function thresholdOptions(command: Command): Command {
  return command
    .option("--window <window>", "how far back alerts count: 30min, 24h, 7d (default 24h, or alerts.window in the config)")
    .option("--multiple <n>", "flag a user above n × the median of their role's users (default 5)")
    .option("--minimum <n>", "…from this volume on (default 10)")
    .option(
      "--bulk-rows <n>",
      "a bulk update: one transaction updating or deleting more rows of one table than n (default 100)",
      positive,
    )
    .option(
      "--limit <metric=n...>",
      "absolute limits, e.g. exports=20 reveals=5 (metrics: requests, exports, reveals, claims, bulk_updates)",
    );
}

function thresholdInput(flags: ThresholdFlags): AlertSettingsInput {
  const number = (value: string | undefined, what: string) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, not "${value}"`);
    return n;
  };
  const multiple = number(flags.multiple, "--multiple");
  const minimum = number(flags.minimum, "--minimum");
  return {
    ...(flags.window !== undefined ? { window: flags.window } : {}),
    ...(multiple !== undefined ? { multiple } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
    ...(flags.bulkRows !== undefined ? { bulkRows: flags.bulkRows } : {}),
    ...(flags.limit ? { limits: parseLimits(flags.limit) } : {}),
  };
}

const red = (text: string) => paint(colourOn(process.stdout), "red", text);

/** `gatehouse alerts` as text: the rule, then one line per alert, or that there is none. */
function alertsText(report: AlertReport): string {
  const lines = [
    report.alerts.length
      ? `${report.alerts.length} alert${report.alerts.length === 1 ? "" : "s"} in the last ${report.settings.window}:`
      : `no alerts in the last ${report.settings.window}`,
    ...report.alerts.map((a) => red(`  ${a.metric}: ${a.message}`)),
    alertRule({ alerts: report }),
    ...report.unavailable.map((u) => `not counted: ${u.metric} (${u.why})`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * `gatehouse review` (the periodic access review, Markdown or HTML) and `gatehouse alerts` (anomalies in the
 * window; exit 1 on any).
 *
 * @example
 * reviewCommands(program, context);
 */
export const reviewCommands: CliCommand = (program, context) => {
  thresholdOptions(
    program
      .command("review")
      .description(
        "the periodic access review: users by role and unit, frozen users with access, inactive users, temporary grants, personal data readers, logins, drift, alerts",
      )
      .addOption(new Option("--format <format>", "md or html (a self-contained page)").choices(["md", "html"]).default("md"))
      .option("--out <file>", "write to a file instead of stdout")
      .option("--inactive-days <n>", "a user with no activity for more than n days is inactive", positive, 90)
      .option(
        "--fail-on <findings>",
        "exit 1 when any of these is found: drift, frozen-login, frozen-grant, inactive, expiring-grants, alerts",
      ),
  ).action(async (options: ThresholdFlags & { format: "md" | "html"; out?: string; inactiveDays: number; failOn?: string }) => {
    const failOn = options.failOn === undefined ? [] : parseFailOn(options.failOn);
    const alerts = alertSettings(context.config().alerts, thresholdInput(options));
    const review = await context.onDatabase((config, db) =>
      withClient(db.url, async (client) =>
        readReview(client, config.app, {
          inactiveDays: options.inactiveDays,
          alerts,
          drift: await checkDrift(client, config.app),
        }),
      ),
    );
    const doc = reviewDocument(review);
    const text = options.format === "html" ? renderHtml(doc) : renderMarkdown(doc);
    if (options.out) {
      await writeFile(options.out, text);
      console.log(`wrote the access review to ${options.out}`);
    } else process.stdout.write(text);
    const failed = failures(review, failOn);
    if (failed.length) {
      console.error(`review: found ${failed.map((f) => `${f.finding} (${f.count})`).join(", ")}`);
      process.exitCode = 1;
    }
  });

  thresholdOptions(
    program
      .command("alerts")
      .description(
        "flag users whose API requests, exports, reveals, pool claims or bulk updates in the window are far above their role's median, or above a limit; exit 1 on any",
      )
      .option("--json", "print the alerts as JSON"),
  ).action(async (options: ThresholdFlags & { json?: boolean }) => {
    const settings = alertSettings(context.config().alerts, thresholdInput(options));
    const report = await context.onDatabase((config, db) =>
      withClient(db.url, (client) => readAlerts(client, config.app, settings)),
    );
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : alertsText(report));
    if (report.alerts.length) process.exitCode = 1;
  });
};
