import { doBlock, lineComment, literal, sql, trusted } from "../../sql/ddl";
import { requestRoles, roleIdent, roleName, viewOwner } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";
import { emitRawReaders } from "./row-masks";

const guardedCreate = (name: string, options: string) =>
  doBlock(
    sql`begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = ${literal(name)}) then
    create role ${sql.identifier(name)} ${trusted(options)};
  end if;
end`,
  );

/**
 * Roles: one `nologin` role per app role, one owner role per masking view (never granted to anyone) (created only if missing, so replays and shadow databases in
 * the same cluster work), the anonymous role, and the `noinherit` authenticator that may become each.
 */
export function emitRoles(plan: Plan): Statement[] {
  const { app } = plan;
  const out: Statement[] = [];
  for (const r of [
    ...plan.roles,
    { name: app.anonymous, description: "requests without identity; can read nothing", inherits: [] },
  ]) {
    const name = roleName(app, r.name);
    out.push({
      kind: "role",
      sql: sql`${lineComment(`role ${r.name}: ${r.description || "app role"}`)}\n${guardedCreate(name, "nologin noinherit")}`,
    });
    out.push({ kind: "role", sql: sql`alter role ${sql.identifier(name)} nologin noinherit nobypassrls;` });
  }
  for (const v of plan.views) {
    const name = roleName(app, viewOwner(v.name));
    const options = "nologin noinherit nosuperuser nobypassrls nocreaterole nocreatedb noreplication";
    out.push({
      kind: "role",
      sql: sql`${lineComment(`owner of masking view ${v.name}: the view runs as it; no login, granted to nobody, so no request or login can act as it`)}
${guardedCreate(name, options)}`,
    });
    out.push({ kind: "role", sql: sql`alter role ${sql.identifier(name)} ${trusted(options)};` });
  }
  out.push(...emitRawReaders(plan));
  const authenticator = roleName(app, app.authenticator);
  out.push({
    kind: "role",
    sql: sql`${lineComment("authenticator: the API server logs in as it; noinherit, so it holds no privilege until it sets a role")}
${guardedCreate(authenticator, "login noinherit")}`,
  });
  out.push({ kind: "role", sql: sql`alter role ${sql.identifier(authenticator)} login noinherit nobypassrls;` });
  const members = requestRoles(plan).map((r) => roleIdent(app, r));
  out.push({
    kind: "role",
    sql: sql`${lineComment("the authenticator may switch to every app role (set local role) per request")}
grant ${sql.join(members, ", ")} to ${sql.identifier(authenticator)};`,
  });
  return out;
}
