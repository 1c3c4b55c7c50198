import type { GatehouseConfig } from "../config";
import { checkDrift, type DriftReport } from "../drift/check";
import { renderDrift } from "../drift/render";
import { withClient } from "../runtime/client";
import { requireMigrated } from "./database-state";

/**
 * Checks the project's database against its definitions (see `checkDrift`), as the owner the CLI connects as.
 * Refuses a database the migrations have not reached.
 *
 * @example
 * const report = await checkProject(config, db.url);
 */
export async function checkProject(config: GatehouseConfig, url: string): Promise<DriftReport> {
  await requireMigrated(config.app, url, "DATABASE_URL");
  return withClient(url, (client) => checkDrift(client, config.app));
}

/**
 * The report as the CLI prints it: the diff, and on drift what to do about it.
 *
 * @example
 * console.log(driftText(config, report, { color: colourOn(process.stdout) }));
 */
export function driftText(config: GatehouseConfig, report: DriftReport, options: { color: boolean }): string {
  const text = renderDrift(report, options);
  if (report.items.length === 0) return text;
  return `${text}\nTo restore what the generation manages, apply ${config.output.sql} again (gatehouse compile first if it is stale), e.g. psql "$DATABASE_URL" -1 -v ON_ERROR_STOP=1 -f ${config.output.sql}; undo the rest (memberships, owners, logins, grants the generation does not revoke) by hand.`;
}
