import type { CatalogColumn } from "../catalog/introspect";
import type { ColumnAccess } from "../policy/columns";
import type { AppDefinition } from "../policy/define";
import type { RoleDefinition } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import type { SoftDeleteDefinition } from "../policy/soft-delete";
import { ancestorsOf } from "./lineage";
import { anyOf } from "./simplify";

/** One column a soft delete writes: when (`at`), who (`by`) or why (`reason`), with the type the compile adds it with. */
export interface SoftDeleteMarker {
  readonly name: string;
  readonly what: "at" | "by" | "reason";
  readonly type: string;
}

/** The soft delete declared on `table`, if any. */
export const softDeleteOf = (app: AppDefinition, table: string): SoftDeleteDefinition | undefined =>
  app.softDeletes?.find((d) => d.table === table);

/**
 * The marker columns of a soft-delete table (none for another table): the compile adds those the table lacks,
 * and no role may write them — only a delete sets them and only a restore clears them.
 *
 * @example
 * softDeleteMarkers(clinic, "patients", "bigint") // deleted_at timestamptz, deleted_by bigint, deleted_reason text
 */
export function softDeleteMarkers(app: AppDefinition, table: string, userIdType: string): SoftDeleteMarker[] {
  const d = softDeleteOf(app, table);
  if (!d) return [];
  return [
    { name: d.column, what: "at" as const, type: "timestamp with time zone" },
    ...(d.by ? [{ name: d.by, what: "by" as const, type: userIdType }] : []),
    ...(d.reason ? [{ name: d.reason, what: "reason" as const, type: "text" }] : []),
  ];
}

/** A table's columns with the markers it does not have yet appended, in the order the compile adds them. */
export const withMarkers = (columns: readonly CatalogColumn[], markers: readonly SoftDeleteMarker[]): CatalogColumn[] => [
  ...columns,
  ...markers
    .filter((m) => !columns.some((c) => c.name === m.name))
    .map((m) => ({ name: m.name, type: m.type, generated: false })),
];

/**
 * Column access to the markers, adjusted in place: they are read-only for every role (`write` and `insert`
 * become `read`), and who and why (`by`, `reason`) are hidden from a role that never sees a marked row — one not
 * in `visibleTo` — unless its definition names the column.
 *
 * @example
 * markerAccess(clinic, doctor, "patients", access, markers); // deleted_at read, deleted_by and deleted_reason hidden
 */
export function markerAccess(
  app: AppDefinition,
  role: RoleDefinition,
  table: string,
  access: Record<string, ColumnAccess>,
  markers: readonly SoftDeleteMarker[],
): void {
  const d = softDeleteOf(app, table);
  if (!d) return;
  const lineage = [role, ...ancestorsOf(role)];
  const sees = d.visibleTo.some(([r]) => lineage.includes(r));
  for (const m of markers) {
    const named = lineage.some((r) => r.tables[table]?.columns?.[m.name] !== undefined);
    if (m.what !== "at" && !sees && !named) access[m.name] = "hidden";
    else if (access[m.name] === "write" || access[m.name] === "insert") access[m.name] = "read";
  }
}

/** A role that may restore rows of a soft-delete table, within `scope`; `via` names the listed role it inherits this from. */
export interface Restorer {
  readonly role: string;
  readonly scope: Scope;
  readonly via: readonly string[];
}

/**
 * Every app role that may restore rows of a soft-delete table, in definition order: the roles listed in
 * `restore` and every role extending one of them (inheritance is flattened, as for rules and exemptions), each
 * with the union of the scopes it reaches.
 *
 * @example
 * restorers(clinic, softDeleteOf(clinic, "patients")!) // [{ role: "chief", scope: unitTree("ward_id") }, …, { role: "medical_director", scope: all() }]
 */
export function restorers(app: AppDefinition, d: SoftDeleteDefinition): Restorer[] {
  return app.roles.flatMap((r: RoleDefinition): Restorer[] => {
    const lineage = [r, ...ancestorsOf(r)];
    const entries = d.restore.filter(([listed]) => lineage.includes(listed));
    const scope = anyOf(entries.map(([, s]) => s));
    return scope ? [{ role: r.name, scope, via: [...new Set(entries.map(([listed]) => listed.name))] }] : [];
  });
}
