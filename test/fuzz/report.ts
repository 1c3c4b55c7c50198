import type { Tables } from "./reference/data";
import type { Disagreement } from "./compare";
import { rowsOfWorld, type WorldSpec } from "./world";

/** The world's non-empty tables, one row a line, so a reproduction reads like a seed file. */
export function describeWorld(spec: WorldSpec): string {
  const tables: Tables = rowsOfWorld(spec);
  const lines: string[] = [];
  for (const [table, rows] of Object.entries(tables)) {
    if (rows.length === 0) continue;
    lines.push(`  ${table}:`);
    for (const row of rows) lines.push(`    ${JSON.stringify(row)}`);
  }
  return lines.join("\n");
}

/** A disagreement on a minimal world, printed so it can be replayed by hand (times are hours from now). */
export function describeFailure(spec: WorldSpec, disagreements: readonly Disagreement[], seed?: number): string {
  const shown = disagreements
    .slice(0, 5)
    .map(
      (d) =>
        `  persona ${JSON.stringify(d.persona)}, table ${d.table}: ${d.asked}\n` +
        `    PostgreSQL: ${JSON.stringify(d.database)}\n    reference:  ${JSON.stringify(d.reference)}`,
    );
  return [
    `PostgreSQL and the reference evaluator disagree${seed === undefined ? "" : ` (seed ${seed})`}:`,
    ...shown,
    disagreements.length > 5 ? `  … and ${disagreements.length - 5} more` : "",
    "minimal world (times are hours from now):",
    describeWorld(spec),
    `replay: npm run fuzz -- --replay '${JSON.stringify(spec)}'`,
  ]
    .filter((l) => l !== "")
    .join("\n");
}
