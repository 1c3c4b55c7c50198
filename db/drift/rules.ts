import type { ClientBase } from "pg";
import type { DriftItem } from "./check";
import { roleName } from "../compile/names";
import { sql, toDdl } from "../sql/ddl";
import { generatedRole, scopeValues, type DriftScope } from "./scope";

/** A row of the toolkit's `logins` table: a role-bound login, the app role it acts in, and whether it is disabled. */
export interface LoginRow {
  readonly login: string;
  readonly role: string;
  readonly disabled: boolean;
}

/** The role-bound logins the toolkit's `logins` table maps (none when the table does not exist yet). */
export async function readLogins(client: ClientBase, scope: DriftScope): Promise<LoginRow[]> {
  const { rows: exists } = await client.query<{ found: boolean }>(
    "select pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '.logins') is not null as found",
    [scope.toolkitSchema],
  );
  if (!exists[0]!.found) return [];
  const { rows } = await client.query<LoginRow>(
    toDdl(sql`select l.login::text as login, l.role, l.disabled_at is not null as disabled
       from ${sql.identifier(scope.toolkitSchema, "logins")} l order by 1`),
  );
  return rows;
}

interface Membership {
  readonly role: string;
  readonly member: string;
  readonly admin: boolean;
  /** PostgreSQL 16+: the membership's own inherit and set options. */
  readonly inherit: boolean | null;
  readonly set: boolean | null;
}

const describeMembership = (m: Pick<Membership, "admin" | "inherit" | "set">): string =>
  [
    "member",
    ...(m.admin ? ["with admin option"] : []),
    ...(m.inherit === null ? [] : [m.inherit ? "inherit" : "noinherit"]),
    ...(m.set === null ? [] : [m.set ? "set" : "noset"]),
  ].join(", ");

/**
 * Memberships where the role or the member is generated, against what the definitions and the logins table make:
 * the authenticator a member of every request role (no admin option; on PostgreSQL 16+ noinherit, set), each
 * role-bound login a member of its mapped role only (no admin option; inherit, set), nothing else. Checked by
 * rule: the generation grants but never revokes a membership or resets its options. A login-named role
 * (`<prefix>login_…`) this database's logins table does not map is left out: roles are cluster-wide, and it may be
 * a login of another database of the same app and prefix.
 *
 * @example
 * const items = await membershipDrift(client, scope, logins);
 */
export async function membershipDrift(client: ClientBase, scope: DriftScope, logins: readonly LoginRow[]): Promise<DriftItem[]> {
  const { rows } = await client.query<Membership>(
    `select r.rolname as role, m.rolname as member, pg_catalog.bool_or(am.admin_option) as admin,
            pg_catalog.bool_or((pg_catalog.to_jsonb(am) ->> 'inherit_option')::boolean) as inherit,
            pg_catalog.bool_or((pg_catalog.to_jsonb(am) ->> 'set_option')::boolean) as set
       from pg_catalog.pg_auth_members am
       join pg_catalog.pg_roles r on r.oid = am.roleid
       join pg_catalog.pg_roles m on m.oid = am.member
      where ${generatedRole("r", "$1", "$2")} or ${generatedRole("m", "$1", "$2")}
      group by 1, 2
      order by 1, 2`,
    [scope.roles, scope.prefix],
  );
  const ours = new Set(logins.map((l) => l.login));
  const foreignLogin = (name: string) => scope.prefix !== "" && name.startsWith(`${scope.prefix}login_`) && !ours.has(name);
  const memberships = rows.filter((m) => !foreignLogin(m.member) && !foreignLogin(m.role));
  const options = (await serverVersion(client)) >= 160000;
  const expected = new Map<string, Pick<Membership, "admin" | "inherit" | "set">>();
  const want = (member: string, role: string, inherit: boolean) =>
    expected.set(`${member} in ${role}`, { admin: false, inherit: options ? inherit : null, set: options ? true : null });
  for (const role of scope.requestRoles) want(scope.authenticator, role, false);
  for (const l of logins) want(l.login, roleName(scope.app, l.role), true);
  for (const r of scope.rawReaders) want(r.reader, r.role, true);
  const items: DriftItem[] = [];
  for (const m of memberships) {
    const object = `${m.member} in ${m.role}`;
    const wanted = expected.get(object);
    expected.delete(object);
    const actual = describeMembership(m);
    if (!wanted) items.push({ kind: "membership", object, message: "membership not in the definitions", actual });
    else if (describeMembership(wanted) !== actual)
      items.push({
        kind: "membership",
        object,
        message: "membership options differ",
        expected: describeMembership(wanted),
        actual,
      });
  }
  for (const [object, wanted] of expected)
    items.push({
      kind: "membership",
      object,
      message: "membership missing from the database",
      expected: describeMembership(wanted),
      actual: "not a member",
    });
  return items;
}

/**
 * Owners, which the generation never changes, by rule: no generated role owns a table, sequence or schema of the
 * managed schemas (invariant 1; views are compared with their generated owners instead), nor any function there;
 * and every SECURITY DEFINER function there is owned by the owner of the app schema — except a row mask function,
 * owned by its raw reader.
 *
 * @example
 * const items = await ownerDrift(client, scope);
 */
export async function ownerDrift(client: ClientBase, scope: DriftScope): Promise<DriftItem[]> {
  const { rows } = await client.query<{
    kind: "owner" | "function";
    object: string;
    owner: string;
    generated: boolean;
    definer: boolean;
    schema_owner: string;
  }>(
    `with app as (select pg_catalog.pg_get_userbyid(n.nspowner) as owner from pg_catalog.pg_namespace n where n.nspname = $4)
     select 'owner' as kind, n.nspname || '.' || c.relname as object, r.rolname as owner, true as generated, false as definer, app.owner as schema_owner
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_roles r on r.oid = c.relowner, app
      where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p', 'S', 'f', 'm') and ${generatedRole("r")}
     union all
     select 'owner', 'schema ' || n.nspname, r.rolname, true, false, app.owner
       from pg_catalog.pg_namespace n join pg_catalog.pg_roles r on r.oid = n.nspowner, app
      where n.nspname = any ($1::text[]) and ${generatedRole("r")}
     union all
     select 'function', n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
            r.rolname, ${generatedRole("r")}, p.prosecdef, app.owner
       from pg_catalog.pg_proc p
       join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       join pg_catalog.pg_roles r on r.oid = p.proowner, app
      where n.nspname = any ($1::text[]) and p.prokind in ('f', 'p')
        and (${generatedRole("r")} or (p.prosecdef and r.rolname <> app.owner))
      order by 1, 2`,
    [...scopeValues(scope), scope.appSchema],
  );
  // a row mask function is owned by its raw reader (emit/row-masks.ts)
  const readerOf = new Map(scope.rawReaders.flatMap((r) => r.functions.map((f) => [f, r.reader] as const)));
  const ownedAsPlanned = (r: (typeof rows)[number]) =>
    r.kind === "function" && readerOf.get(r.object.slice(0, r.object.indexOf("("))) === r.owner;
  return rows
    .filter((r) => !ownedAsPlanned(r))
    .map((r) => {
      const what = r.kind === "owner" ? (r.object.startsWith("schema ") ? "schema" : "relation") : "function";
      const message = r.generated
        ? `${what} owned by a generated role: no app role may own objects of the app (invariant 1)`
        : `security definer function not owned by the owner of schema ${scope.appSchema}`;
      const expected = r.definer ? `owner ${r.schema_owner}` : "owner not a generated role";
      return { kind: r.kind, object: r.object, message, expected, actual: `owner ${r.owner}` };
    });
}

/** `server_version_num`, e.g. 150004. */
async function serverVersion(client: ClientBase): Promise<number> {
  const { rows } = await client.query<{ v: string }>("select pg_catalog.current_setting('server_version_num') as v");
  return Number(rows[0]!.v);
}
