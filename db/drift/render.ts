import { paint as style } from "../cli/colour";
import type { DriftCounts, DriftItem, DriftReport } from "./check";

const COUNTED: readonly [keyof DriftCounts, string, string][] = [
  ["policies", "policy", "policies"],
  ["grants", "grant", "grants"],
  ["roles", "role", "roles"],
  ["memberships", "membership", "memberships"],
  ["views", "view", "views"],
  ["functions", "function", "functions"],
  ["triggers", "trigger", "triggers"],
  ["tables", "table", "tables"],
  ["maskedColumns", "masked column", "masked columns"],
  ["logins", "login", "logins"],
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The report's first line: `no drift: the live database matches the definitions (191 policies, … compared)`, or
 * `drift: 3 differences between the live database and the definitions`.
 *
 * @example
 * driftSummary(report) // "drift: 2 differences between the live database and the definitions"
 */
export function driftSummary(report: DriftReport): string {
  if (report.items.length === 0) {
    const counts = COUNTED.map(([key, one, many]) => plural(report.compared[key], one, many)).join(", ");
    return `no drift: the live database matches the definitions (${counts} compared)`;
  }
  return `drift: ${plural(report.items.length, "difference", "differences")} between the live database and the definitions`;
}

const lines = (sign: "-" | "+", value: string): string[] => value.split("\n").map((l) => `    ${sign} ${l}`);

/**
 * The report as text: the summary, then the items grouped by kind, each with `- expected` and `+ actual` lines
 * (red and green when `color`).
 *
 * @example
 * console.log(renderDrift(report, { color: process.stdout.isTTY && !process.env.NO_COLOR }));
 */
export function renderDrift(report: DriftReport, options: { color: boolean }): string {
  const paint = (name: "red" | "green" | "bold", text: string) => style(options.color, name, text);
  const out = [driftSummary(report)];
  const kinds = [...new Set(report.items.map((i) => i.kind))];
  for (const kind of kinds) {
    out.push("", paint("bold", kind));
    for (const item of report.items.filter((i: DriftItem) => i.kind === kind)) {
      out.push(`  ${item.object}: ${item.message}`);
      if (item.expected !== undefined) out.push(...lines("-", item.expected).map((l) => paint("red", l)));
      if (item.actual !== undefined) out.push(...lines("+", item.actual).map((l) => paint("green", l)));
    }
  }
  if (report.items.length) out.push("", "(- as the definitions make it, + as the database has it)");
  return out.join("\n");
}
