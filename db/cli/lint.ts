import { LIVE_LINTS, lintDatabase, type LiveLintFinding } from "../live-lint";
import { withClient } from "../runtime/client";
import { colourOn, paint as style } from "./colour";
import type { CliCommand } from "./command";
import { requireMigrated } from "./database-state";

/**
 * Findings as `gatehouse lint` prints them: one line each (`error  force-rls  table clinic.patients: …`), then a
 * summary; levels coloured when `colour`.
 *
 * @example
 * formatFindings([], false, 7); // "no findings: 7 lints passed"
 */
export function formatFindings(findings: readonly LiveLintFinding[], colour: boolean, lints: number): string {
  const paint = (level: LiveLintFinding["level"], text: string) =>
    style(colour, level === "error" ? ["red", "bold"] : "yellow", text);
  const errors = findings.filter((f) => f.level === "error").length;
  const warnings = findings.length - errors;
  const lines = findings.map((f) => `${paint(f.level, f.level.padEnd(7))}  ${f.lint}  ${f.object}: ${f.message}`);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  lines.push(
    findings.length === 0
      ? `no findings: ${lints} lints passed`
      : `${count(errors, "error")}, ${count(warnings, "warning")} from ${lints} lints`,
  );
  return lines.join("\n");
}

/** `gatehouse lint [--json]`: security lints on the live database; exit 1 on any error-level finding. */
export const lintCommand: CliCommand = (program, context) => {
  program
    .command("lint")
    .description(
      "security lints on the live database, objects Gatehouse did not generate included: exit 1 on any error-level finding",
    )
    .option("--json", "print the findings as a JSON array")
    .action(async (options: { json?: boolean }) => {
      const findings = await context.onDatabase(async (config, db) => {
        await requireMigrated(config.app, db.url, db.embedded ? "the embedded cluster" : "DATABASE_URL");
        return withClient(db.url, (client) => lintDatabase(client, config.app));
      });
      console.log(
        options.json ? JSON.stringify(findings, null, 2) : formatFindings(findings, colourOn(process.stdout), LIVE_LINTS.length),
      );
      if (findings.some((f) => f.level === "error")) process.exitCode = 1;
    });
};
