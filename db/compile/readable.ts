import type { Plan } from "./plan";
import { didYouMean } from "../policy/suggest";

/**
 * The columns an app role may select from a table or masking view of the app schema, as the compiled
 * grants give them: in table order, a masked twin in the place of the column it masks. Empty when the
 * role may read nothing there (the anonymous role included). The same list, in the same order, as
 * `<toolkit schema>.columns_for(table)` returns in the database when run as that role, computed from the plan alone.
 * Throws naming the nearest role or table when one is unknown.
 *
 * @example
 * const { plan } = compileApp(clinic, await introspect(client, clinic.schema, [clinic.toolkitSchema]));
 * readableColumns(plan, "nurse", "patients");
 * // ["id", "full_name", "phone_masked", "ward_id", "doctor_id"]
 */
export function readableColumns(plan: Plan, role: string, table: string): string[] {
  const roles = [...plan.roles.map((r) => r.name), plan.app.anonymous];
  if (!roles.includes(role)) throw new Error(`no role "${role}" in the app${didYouMean(role, roles)}`);
  const view = plan.views.find((v) => v.name === table);
  if (view) return view.roles.includes(role) ? [...view.columns] : [];
  const found = plan.tables.find((t) => t.name === table);
  if (!found) {
    const names = [...plan.tables.map((t) => t.name), ...plan.views.map((v) => v.name)];
    throw new Error(`no table "${table}" in schema ${plan.app.schema}${didYouMean(table, names)}`);
  }
  const select = new Set(found.grants.find((g) => g.role === role)?.select ?? []);
  const columns = found.columns.flatMap((column) => {
    const twin = plan.masks.find((m) => m.table === table && m.column === column && select.has(m.twin))?.twin;
    return [...(select.has(column) ? [column] : []), ...(twin ? [twin] : [])];
  });
  // the keyed hash of an encrypted column with lookup, added by the compile after the table's own columns
  const hashes = plan.encrypted.flatMap((e) => (e.table === table && e.hash && select.has(e.hash) ? [e.hash] : []));
  return [...columns, ...hashes];
}
