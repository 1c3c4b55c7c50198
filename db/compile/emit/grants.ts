import { lineComment, sql, type SQL } from "../../sql/ddl";
import { requestRoles, roleIdent, tableIdent, viewOwner } from "../names";
import type { GrantNode, Plan, TablePlan } from "../plan";
import type { Statement } from "../statement";
import { rawReaders } from "./row-masks";

const columns = (names: readonly string[]): SQL =>
  sql.join(
    names.map((n) => sql.identifier(n)),
    ", ",
  );

/** Every role the app manages (view owners included), plus PUBLIC: table privileges are revoked from all before granting. */
export const managedRoles = (plan: Plan): SQL =>
  sql.join(
    [
      sql`public`,
      ...[...requestRoles(plan), plan.app.authenticator, ...plan.views.map((v) => viewOwner(v.name)), ...rawReaders(plan)].map(
        (r) => roleIdent(plan.app, r),
      ),
    ],
    ", ",
  );

/** Usage on the app and toolkit schemas for every app role. */
export function emitSchemaGrants(plan: Plan): Statement[] {
  const roles = sql.join(
    requestRoles(plan).map((r) => roleIdent(plan.app, r)),
    ", ",
  );
  return [
    {
      kind: "grant",
      sql: sql`${lineComment("app roles may look up objects in the app and toolkit schemas; privileges on each object follow")}
revoke create on schema ${sql.identifier(plan.app.schema)} from public;
grant usage on schema ${sql.identifier(plan.app.schema)}, ${sql.identifier(plan.app.toolkitSchema)} to ${roles};`,
    },
  ];
}

function grantStatements(plan: Plan, node: GrantNode): SQL[] {
  const t = tableIdent(plan.app, node.table);
  const role = roleIdent(plan.app, node.role);
  const lines: SQL[] = [];
  if (node.select.length) lines.push(sql`grant select (${columns(node.select)}) on ${t} to ${role};`);
  if (node.insert.length) lines.push(sql`grant insert (${columns(node.insert)}) on ${t} to ${role};`);
  if (node.update.length) lines.push(sql`grant update (${columns(node.update)}) on ${t} to ${role};`);
  if (node.delete) lines.push(sql`grant delete on ${t} to ${role};`);
  return lines;
}

/** Column grants for one table: revoke everything the app's roles hold, then grant what each role's definition names. */
export function emitTableGrants(plan: Plan, table: TablePlan): Statement[] {
  const t = tableIdent(plan.app, table.name);
  const out: Statement[] = [
    { kind: "grant", target: table.name, sql: sql`revoke all on table ${t} from ${managedRoles(plan)};` },
  ];
  for (const node of table.grants) {
    const lines = grantStatements(plan, node);
    if (lines.length === 0) continue;
    const masked = Object.entries(node.access)
      .filter(([, a]) => a === "masked")
      .map(([c]) => c);
    const why = `${node.role} on ${table.name}: columns from ${node.sources.join(", ")}${masked.length ? `; ${masked.join(", ")} only masked` : ""}`;
    out.push({ kind: "grant", target: table.name, sql: sql`${lineComment(why)}\n${sql.join(lines, "\n")}` });
  }
  return out;
}
