import type { Catalog } from "../catalog/introspect";
import type { AppDefinition } from "../policy/define";
import { didYouMean } from "../policy/suggest";
import { SOFT_DELETE } from "./emit/soft-delete";
import { softDeleteMarkers } from "./soft-delete";
import { walkScope } from "./walk";

const TIMESTAMP = /^timestamp with(out)? time zone$/;
const TEXT = /^(text|character varying(\(\d+\))?)$/;

/**
 * What a compile with `softDeletes` needs from the live schema: the table, with a single-column primary key;
 * marker columns of the right type where they exist (missing ones are added); restore scopes on the table's own
 * columns, without `via()` (a restore runs as the owner, where the parent's row security would not apply); and
 * names that fit in 63 characters. Each problem names the fix.
 *
 * @example
 * softDeleteProblems(app, catalog); // ["softDelete patients: deleted_by must be bigint like staff.id, not text: …"]
 */
export function softDeleteProblems(app: AppDefinition, catalog: Catalog): string[] {
  const problems: string[] = [];
  const tables = [...catalog.tables.values()].filter((t) => t.kind === "table");
  const userType = catalog.tables.get(app.identity.users.table)?.columns.find((c) => c.name === app.identity.users.id)?.type;
  for (const d of app.softDeletes ?? []) {
    const who = `softDelete ${d.table}`;
    const table = catalog.tables.get(d.table);
    if (!table || table.kind !== "table") {
      problems.push(
        `${who}: schema ${app.schema} has no table "${d.table}"${didYouMean(
          d.table,
          tables.map((t) => t.name),
        )}`,
      );
      continue;
    }
    if (table.primaryKey.length !== 1)
      problems.push(`${who}: table ${d.table} needs a single-column primary key: delete, restore and purge name a row by it`);
    const markers = softDeleteMarkers(app, d.table, userType ?? "bigint");
    if (new Set(markers.map((m) => m.name)).size !== markers.length)
      problems.push(`${who}: column, by and reason must be three different columns`);
    for (const m of markers) {
      const existing = table.columns.find((c) => c.name === m.name);
      if (!existing) continue;
      const fits =
        m.what === "at"
          ? TIMESTAMP.test(existing.type)
          : m.what === "reason"
            ? TEXT.test(existing.type)
            : existing.type === m.type;
      if (!fits || existing.generated) {
        const wanted =
          m.what === "at"
            ? "a timestamp"
            : m.what === "reason"
              ? "text"
              : `${m.type} like ${app.identity.users.table}.${app.identity.users.id}`;
        problems.push(
          `${who}: ${d.table}.${m.name} must be ${wanted}, not ${existing.generated ? "a generated column" : existing.type}: name another column, or change its type`,
        );
      }
      if (app.masks.some((x) => x.table === d.table && x.twin === m.name))
        problems.push(`${who}: ${d.table}.${m.name} is a masked twin: name another column`);
    }
    const columns = new Set([...table.columns.map((c) => c.name), ...markers.map((m) => m.name)]);
    for (const [r, scope] of d.restore) {
      walkScope(scope, (s) => {
        if (s.kind === "via")
          problems.push(
            `${who}: restore scope of ${r.name} uses via(${s.column}, ${s.parent}): a restore runs as the owner, where ${s.parent}'s row security would not apply; use a column of ${d.table}`,
          );
        else if ("column" in s && !columns.has(s.column))
          problems.push(
            `${who}: restore scope of ${r.name}: table ${d.table} has no column "${s.column}"${didYouMean(s.column, columns)}`,
          );
      });
    }
    if (d.restore.length === 0) problems.push(`${who}: no role may restore: list at least one in restore`);
    const longest = Math.max(...Object.values(SOFT_DELETE).map((f) => (typeof f === "function" ? f(d.table).length : 0)));
    if (longest > 63) problems.push(`${who}: ${SOFT_DELETE.triggerFunction(d.table)} would be longer than 63 characters`);
  }
  return problems;
}
