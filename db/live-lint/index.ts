import type { ClientBase } from "pg";
import type { AppDefinition } from "../policy/define";
import { bypassRls } from "./bypass-rls";
import { liveLintContext } from "./context";
import { definerFunction } from "./definer-function";
import type { LiveLintFinding } from "./finding";
import { forceRls } from "./force-rls";
import { leakproofPolicy } from "./leakproof-policy";
import type { LiveLint } from "./lint";
import { serverVersion } from "./server-version";
import { viaIndex } from "./via-index";
import { viewInvoker } from "./view-invoker";

export type { LiveLintFinding, LiveLintLevel } from "./finding";
export type { LiveLint } from "./lint";

/** Every lint `gatehouse lint` runs on a live database, in the order their findings are listed. */
export const LIVE_LINTS: readonly LiveLint[] = [
  serverVersion,
  bypassRls,
  forceRls,
  viewInvoker,
  definerFunction,
  viaIndex,
  leakproofPolicy,
];
export { ROW_SECURITY_FIXES, serverVersionFindings, type RowSecurityFix } from "./server-version";

/**
 * Runs every security lint on the live database an app is applied to, objects Gatehouse did not generate included.
 * Reads the catalog only; changes nothing. Findings come lint by lint, each naming its object and the fix.
 *
 * @example
 * const findings = await lintDatabase(client, clinic);
 * findings.filter((f) => f.level === "error"); // [] on a database as compiled
 */
export async function lintDatabase(client: ClientBase, app: AppDefinition): Promise<LiveLintFinding[]> {
  const ctx = await liveLintContext(client, app);
  const findings: LiveLintFinding[] = [];
  for (const lint of LIVE_LINTS) findings.push(...(await lint.run(ctx)));
  return findings;
}
