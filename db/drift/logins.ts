import type { ClientBase } from "pg";
import { roleSchemaName } from "../compile/names";
import type { DriftItem } from "./check";
import type { LoginRow } from "./rules";
import type { DriftScope } from "./scope";
import { roleAttributes } from "./snapshot";

interface LoginRole {
  readonly name: string;
  readonly superuser: boolean;
  readonly inherit: boolean;
  readonly createrole: boolean;
  readonly createdb: boolean;
  readonly login: boolean;
  readonly replication: boolean;
  readonly bypassrls: boolean;
  readonly connlimit: number;
  /** `name=value` settings, the ones for this database after (overriding) the ones for every database. */
  readonly settings: readonly string[];
}

/** Timeouts `gatehouse login create` always sets; 0 (no limit) or unset is drift. */
const TIMEOUTS = ["statement_timeout", "idle_in_transaction_session_timeout"];

const isZero = (value: string) => /^0+(\.0*)?\s*[a-z]*$/i.test(value.trim());

const unquote = (path: string) =>
  path
    .split(",")
    .map((s) => s.trim().replace(/^"(.*)"$/, "$1"))
    .join(", ");

/**
 * Each role-bound login of the toolkit's `logins` table against what `gatehouse login create` made it: the role
 * exists; LOGIN unless disabled, INHERIT, and none of superuser, createrole, createdb, replication, bypassrls; a
 * connection limit; `search_path` its role's `select *` schema then the app schema; `default_transaction_read_only`
 * set (on or off: the config and the command's flags choose, and neither is recorded); `statement_timeout`,
 * `idle_in_transaction_session_timeout` and, on PostgreSQL 17+, `transaction_timeout` set and not 0. Memberships are
 * checked with every other membership.
 *
 * @example
 * const items = await loginDrift(client, scope, await readLogins(client, scope));
 */
export async function loginDrift(client: ClientBase, scope: DriftScope, logins: readonly LoginRow[]): Promise<DriftItem[]> {
  if (logins.length === 0) return [];
  const { rows } = await client.query<LoginRole & { version: number }>(
    `select r.rolname as name, r.rolsuper as superuser, r.rolinherit as inherit, r.rolcreaterole as createrole,
            r.rolcreatedb as createdb, r.rolcanlogin as login, r.rolreplication as replication, r.rolbypassrls as bypassrls,
            r.rolconnlimit as connlimit, pg_catalog.current_setting('server_version_num')::int as version,
            array(select x from pg_catalog.pg_db_role_setting s cross join pg_catalog.unnest(s.setconfig) with ordinality as u (x, i)
                   where s.setrole = r.oid
                     and s.setdatabase in (0, (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()))
                   order by s.setdatabase, u.i)::text[] as settings
       from pg_catalog.pg_roles r where r.rolname = any ($1::text[])`,
    [logins.map((l) => l.login)],
  );
  const items: DriftItem[] = [];
  for (const login of logins) {
    const role = rows.find((r) => r.name === login.login);
    const item = (message: string, expected: string, actual: string) =>
      items.push({ kind: "login", object: login.login, message, expected, actual });
    if (!role) {
      item(
        `mapped in ${scope.toolkitSchema}.logins to role ${login.role}, but no such database role exists`,
        "a login role",
        "missing",
      );
      continue;
    }
    const wanted = roleAttributes({ inherit: true, login: !login.disabled });
    const actual = roleAttributes(role);
    if (wanted !== actual)
      item(login.disabled ? "attributes differ (the login is disabled)" : "attributes differ", wanted, actual);
    if (role.connlimit < 0) item("no connection limit", "a connection limit", "unlimited");
    const settings = new Map(role.settings.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]));
    const path = `${roleSchemaName(scope.app, login.role)}, ${scope.appSchema}`;
    const searchPath = settings.get("search_path");
    if (searchPath === undefined || unquote(searchPath) !== path)
      item("search_path differs", `search_path = ${path}`, searchPath === undefined ? "not set" : `search_path = ${searchPath}`);
    if (!settings.has("default_transaction_read_only"))
      item("default_transaction_read_only is not set", "default_transaction_read_only set (on or off)", "not set");
    for (const name of [...TIMEOUTS, ...(role.version >= 170000 ? ["transaction_timeout"] : [])]) {
      const value = settings.get(name);
      if (value === undefined || isZero(value))
        item(
          `${name} is ${value === undefined ? "not set" : "0 (no limit)"}`,
          `${name} above 0`,
          value === undefined ? "not set" : `${name} = ${value}`,
        );
    }
  }
  return items;
}
