/** What explain reads from the live database as the owner: the table and its key, the row, the policies and privileges. */
import type { ClientBase } from "pg";
import { AUDIT } from "../compile/emit/audit";
import { roleName } from "../compile/names";
import type { AppDefinition } from "../policy/define";
import type { Command } from "../policy/roles";
import { didYouMean } from "../policy/suggest";
import { sql, toDdl, trusted } from "../sql/ddl";
import type { ColumnVerdict } from "./explain";

const POLCMD: Record<string, Command | "all"> = { r: "select", a: "insert", w: "update", d: "delete", "*": "all" };
/** The privilege each command needs. */
export const PRIVILEGE: Record<Command, string> = { select: "SELECT", insert: "INSERT", update: "UPDATE", delete: "DELETE" };

/** A live policy of the table, as PostgreSQL holds it. */
export interface LivePolicy {
  readonly name: string;
  readonly permissive: boolean;
  readonly command: Command | "all";
  readonly using: string | null;
  readonly check: string | null;
}

/** A live table of the app schema with its single-column primary key. */
export interface LiveTable {
  readonly name: string;
  readonly oid: number;
  readonly rls: boolean;
  readonly force: boolean;
  readonly owner: string;
  readonly columns: readonly string[];
  readonly key: string;
  readonly keyType: string;
}

/** The table `name` of the app schema, its columns and single-column key; did-you-mean when there is none. */
export async function liveTable(client: ClientBase, app: AppDefinition, name: string): Promise<LiveTable> {
  const { rows } = await client.query<{ oid: number; rls: boolean; force: boolean; owner: string }>(
    `select c.oid::int as oid, c.relrowsecurity as rls, c.relforcerowsecurity as force, pg_catalog.pg_get_userbyid(c.relowner) as owner
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
    [app.schema, name],
  );
  const found = rows[0];
  if (!found) {
    const known = await client.query<{ name: string }>(
      `select c.relname as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind in ('r', 'p') order by 1`,
      [app.schema],
    );
    const names = known.rows.map((r) => r.name);
    throw new Error(
      `no table "${name}" in schema ${app.schema}${didYouMean(name, names)}; its tables are ${names.join(", ") || "none"}`,
    );
  }
  const columns = await client.query<{ name: string }>(
    "select attname as name from pg_catalog.pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum",
    [found.oid],
  );
  const key = await client.query<{ name: string; type: string }>(
    `select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
       from pg_catalog.pg_index i
       join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
      where i.indrelid = $1 and i.indisprimary
      order by pg_catalog.array_position(i.indkey::int2[], a.attnum)`,
    [found.oid],
  );
  if (key.rows.length === 0)
    throw new Error(`${app.schema}.${name} has no primary key, and explain names a row by its primary key: give the table one`);
  if (key.rows.length > 1)
    throw new Error(
      `${app.schema}.${name} has a composite primary key (${key.rows.map((k) => k.name).join(", ")}); explain names a row by a single-column key`,
    );
  return { ...found, name, columns: columns.rows.map((c) => c.name), key: key.rows[0]!.name, keyType: key.rows[0]!.type };
}

/** The row's values as json, read by the owner (past row security); a clear error when the key does not parse or no row has it. */
export async function rowValues(client: ClientBase, app: AppDefinition, table: LiveTable, row: string): Promise<string> {
  const { name } = table;
  const { rows } = await client
    .query<{ row: string }>(
      toDdl(
        sql`select pg_catalog.to_jsonb(t)::text as row from ${sql.identifier(app.schema, name)} t where t.${sql.identifier(table.key)} = $1::${trusted(table.keyType)}`,
      ),
      [row],
    )
    .catch((error: Error & { code?: string }) => {
      if (error.code?.startsWith("22"))
        throw new Error(`row "${row}" is not a ${table.keyType}, the type of ${name}'s key ${table.key}: ${error.message}`);
      throw error;
    });
  if (!rows[0]) throw new Error(`no row of ${app.schema}.${name} has ${table.key} ${row}`);
  return rows[0].row;
}

/** Acting as the authenticator with `set session authorization` needs a superuser. */
export async function mustBeSuperuser(client: ClientBase): Promise<void> {
  const { rows } = await client.query<{ superuser: boolean }>(
    "select rolsuper as superuser from pg_catalog.pg_roles where rolname = current_user",
  );
  if (!rows[0]?.superuser)
    throw new Error(
      "explain acts as the user through set session authorization, which needs a superuser connection: use the migration owner's URL, or give a connection that logs in as the authenticator",
    );
}

/** The role's privilege for the command, whether it bypasses row security, and its column privileges. */
export async function roleFacts(
  client: ClientBase,
  app: AppDefinition,
  table: LiveTable,
  role: string,
  command: Command,
  column: string | undefined,
): Promise<{ privilege: boolean; bypass: boolean; columns: ColumnVerdict[] }> {
  const databaseRole = roleName(app, role);
  const { rows } = await client.query<{ privilege: boolean; bypass: boolean }>(
    `select case when $3 = 'DELETE' then pg_catalog.has_table_privilege($1, $2::oid, $3)
                 else pg_catalog.has_any_column_privilege($1, $2::oid, $3) end as privilege,
            coalesce((select rolbypassrls or rolsuper from pg_catalog.pg_roles where rolname = $1), false) as bypass`,
    [databaseRole, table.oid, PRIVILEGE[command]],
  );
  const twins = new Map(app.masks.filter((m) => m.table === table.name).map((m) => [m.column, m.twin]));
  const twinNames = new Set(twins.values());
  const wanted = column !== undefined ? [column] : table.columns.filter((c) => !twinNames.has(c));
  const columns: ColumnVerdict[] = [];
  for (const name of wanted) {
    const twin = twins.get(name);
    const { rows: privileges } = await client.query<{ select: boolean; twin: boolean; insert: boolean; update: boolean }>(
      `select pg_catalog.has_column_privilege($1, $2::oid, $3, 'SELECT') as select,
              $4::text is not null and pg_catalog.has_column_privilege($1, $2::oid, $4, 'SELECT') as twin,
              pg_catalog.has_column_privilege($1, $2::oid, $3, 'INSERT') as insert,
              pg_catalog.has_column_privilege($1, $2::oid, $3, 'UPDATE') as update`,
      [databaseRole, table.oid, name, twin !== undefined && table.columns.includes(twin) ? twin : null],
    );
    const p = privileges[0]!;
    columns.push({
      column: name,
      select: p.select ? "granted" : p.twin ? "masked" : "none",
      ...(p.twin && !p.select ? { twin } : {}),
      insert: p.insert,
      update: p.update,
    });
  }
  return { privilege: rows[0]!.privilege, bypass: rows[0]!.bypass, columns };
}

/** The table's policies that apply to the role: to it, to a role it has the privileges of, or to PUBLIC. */
export async function livePolicies(client: ClientBase, oid: number, databaseRole: string): Promise<LivePolicy[]> {
  const { rows } = await client.query<{
    name: string;
    permissive: boolean;
    cmd: string;
    using: string | null;
    check: string | null;
  }>(
    `select p.polname as name, p.polpermissive as permissive, p.polcmd as cmd,
            pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_catalog.pg_policy p
      where p.polrelid = $1
        and (0::oid = any (p.polroles) or exists (select from pg_catalog.unnest(p.polroles) r where pg_catalog.pg_has_role($2, r, 'USAGE')))
      order by p.polpermissive desc, p.polname`,
    [oid, databaseRole],
  );
  return rows.map((r) => ({ name: r.name, permissive: r.permissive, command: POLCMD[r.cmd]!, using: r.using, check: r.check }));
}

/** `pg_trigger.tgtype` bit of each write. */
const TRIGGER_EVENT: Record<Command, number> = { select: 0, insert: 4, delete: 8, update: 16 };

/**
 * Enabled triggers that fire on the command's write to the table (the audit trail's left out: it records, never
 * refuses): row security does not show what they refuse or change.
 */
export async function writeTriggers(client: ClientBase, table: LiveTable, command: Command): Promise<string[]> {
  if (command === "select") return [];
  const { rows } = await client.query<{ name: string }>(
    `select tgname as name from pg_catalog.pg_trigger
      where tgrelid = $1 and not tgisinternal and tgenabled <> 'D' and (tgtype & $2) <> 0 and tgname <> all ($3::name[])
      order by tgname`,
    [table.oid, TRIGGER_EVENT[command], [AUDIT.rowTrigger, AUDIT.statementTrigger]],
  );
  return rows.map((r) => r.name);
}
