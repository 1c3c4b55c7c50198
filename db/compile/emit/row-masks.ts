import { dollarQuoted, doBlock, lineComment, literal, sql, trusted } from "../../sql/ddl";
import { describeScope } from "../describe";
import { helperIdent, roleIdent, roleName, tableIdent } from "../names";
import { tableOf, type Plan } from "../plan";
import type { RowMask } from "../row-masks";
import type { ScopeContext } from "../scope-sql";
import { renderScope } from "../scope-sql";
import type { Statement } from "../statement";
import { maskCall } from "./masks";

const READER_OPTIONS = "nologin inherit nosuperuser nobypassrls nocreaterole nocreatedb noreplication";

/** The raw readers of a plan (unprefixed), each once, in the order their role first reads a column row by row. */
export const rawReaders = (plan: Plan): string[] => [...new Set(plan.rowMasks.map((m) => m.reader))];

/** The raw readers' roles (see {@link emitRowMasks}), created with the app roles: each a member of its app role. */
export function emitRawReaders(plan: Plan): Statement[] {
  const { app } = plan;
  return rawReaders(plan).map((reader) => {
    const role = plan.rowMasks.find((m) => m.reader === reader)!.role;
    const name = roleName(app, reader);
    return {
      kind: "role" as const,
      sql: sql`${lineComment(`raw reader of ${role}: owns the functions ${role} reads row-dependent masked columns through; no login, granted to nobody`)}
${doBlock(sql`begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = ${literal(name)}) then
    create role ${sql.identifier(name)} ${trusted(READER_OPTIONS)};
  end if;
end`)}
alter role ${sql.identifier(name)} ${trusted(READER_OPTIONS)};
grant ${roleIdent(app, role)} to ${sql.identifier(name)};`,
    };
  });
}

/**
 * Row-dependent masks (`mask(..., { unless })`). Per role that reads a column row by row:
 * - its raw reader `<prefix>raw_<role>`: NOLOGIN, INHERIT, a member of the app role, so every policy and privilege of
 *   that role applies to it as well (policies apply to members of the roles they name), granted to nobody;
 * - select on the raw columns it reads row by row, and nothing else of its own;
 * - per column, `<toolkit>.row_mask_<table>_<column>__<role>(key)`, SECURITY DEFINER owned by the raw reader and
 *   executable by the app role only: it reads the row under the app role's rules (a row the caller cannot see gives
 *   null) and returns the raw value where the mask's scope holds for the caller, the masked twin elsewhere.
 * The app role itself holds select on the twin only (invariant 2): the raw value reaches it row by row through the
 * function, never through a privilege on the column.
 */
export function emitRowMasks(plan: Plan, ctxFor: (table: string) => ScopeContext): Statement[] {
  const { app } = plan;
  const out: Statement[] = [];
  for (const reader of rawReaders(plan)) {
    const masks = plan.rowMasks.filter((m) => m.reader === reader);
    const role = masks[0]!.role;
    const name = roleName(app, reader);
    const tables = [...new Set(masks.map((m) => m.table))];
    for (const table of tables) {
      const columns = masks.filter((m) => m.table === table).map((m) => m.column);
      out.push({
        kind: "grant",
        target: table,
        sql: sql`${lineComment(`raw reader of ${role} on ${table}: the raw ${columns.join(", ")}, read only inside its row mask functions`)}
grant select (${sql.join(
          columns.map((c) => sql.identifier(c)),
          ", ",
        )}) on ${tableIdent(app, table)} to ${sql.identifier(name)};`,
      });
    }
    for (const m of masks) out.push(...rowMaskFunction(plan, m, ctxFor(m.table)));
  }
  return out;
}

function rowMaskFunction(plan: Plan, m: RowMask, ctx: ScopeContext): Statement[] {
  const { app } = plan;
  const table = tableOf(plan, m.table);
  const fn = helperIdent(app, m.fn);
  const row = sql.identifier(m.table);
  const mask = plan.masks.find((x) => x.table === m.table && x.column === m.column)!;
  const signature = sql`${fn}(${trusted(table.keyType)})`;
  return [
    {
      kind: "function",
      fn: { name: m.fn, argTypes: [table.keyType], securityDefiner: true, volatility: "stable", searchPath: true },
      sql: sql`${lineComment(`mask ${m.table}.${m.column} for ${m.role}: raw where ${describeScope(m.scope)}, ${maskCall(mask.fn)} elsewhere; null for a row ${m.role} cannot see`)}
create or replace function ${fn}(row_key ${trusted(table.keyType)}) returns text
  language sql stable security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`
select case when ${renderScope(m.scope, ctx)} then ${row}.${sql.identifier(m.column)}::text
            else ${row}.${sql.identifier(m.twin)}::text end
  from ${tableIdent(app, m.table)}
 where ${row}.${sql.identifier(table.key)} = row_key
`)};
alter function ${signature} owner to ${roleIdent(app, m.reader)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${m.fn}`],
      sql: sql`revoke all on function ${signature} from public;
grant execute on function ${signature} to ${roleIdent(app, m.role)};`,
    },
  ];
}
