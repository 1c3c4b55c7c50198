import { dollarQuoted, doBlock, lineComment, literal, sql, trusted } from "../../sql/ddl";
import { describeScope } from "../describe";
import { scopeKey } from "../simplify";
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
 * - per table, `<toolkit>.row_masks_<table>__<role>(keys[])`, plpgsql (its plan is kept for the session; a
 *   SQL-language definer function is planned again on every call), SECURITY DEFINER owned by the raw reader and
 *   executable by the app role only: in one statement it reads the rows of those keys under the app role's rules (a
 *   row the caller cannot see is left out) and returns per row its key and a jsonb object with, per column, the raw
 *   value where the mask's scope holds for the caller and the masked twin elsewhere
 *   (`(3, {"phone": "+1-555-0103", "email": "bea@…"})`). A page's masks cost one statement, whose helpers run once;
 * - per table, `<toolkit>.row_mask_<table>__<role>(key)`: the same on one key (null for a row the caller cannot see),
 *   an invoker function, for a `select *` view's or a SQL user's per-row call.
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
    for (const table of tables)
      out.push(
        ...rowMaskFunction(
          plan,
          masks.filter((m) => m.table === table),
          // the scopes test the one row the function read: a via probes its parent, it lists no keys
          { ...ctxFor(table), functionBody: true },
        ),
      );
  }
  return out;
}

/**
 * One role's row mask functions on one table: the many-row form reads the rows once under the role's rules, each
 * distinct scope once per row; the one-row form is the many-row form on one key.
 */
function rowMaskFunction(plan: Plan, masks: readonly RowMask[], ctx: ScopeContext): Statement[] {
  const { app } = plan;
  const first = masks[0]!;
  const table = tableOf(plan, first.table);
  const keyType = table.keyType;
  const rowsFn = helperIdent(app, first.rowsFn);
  const fn = helperIdent(app, first.fn);
  const row = sql.identifier(first.table);
  const scopes = [...new Map(masks.map((m) => [scopeKey(m.scope), m.scope])).entries()];
  const holds = (m: RowMask) => sql.identifier(`raw_${scopes.findIndex(([k]) => k === scopeKey(m.scope))}`);
  const rowsSignature = sql`${rowsFn}(${trusted(keyType)}[])`;
  const signature = sql`${fn}(${trusted(keyType)})`;
  const how = masks
    .map(
      (m) =>
        `${m.column} raw where ${describeScope(m.scope)}, ${maskCall(plan.masks.find((x) => x.table === m.table && x.column === m.column)!.fn)} elsewhere`,
    )
    .join("; ");
  return [
    {
      kind: "function",
      fn: { name: first.rowsFn, argTypes: [`${keyType}[]`], securityDefiner: true, volatility: "stable", searchPath: true },
      sql: sql`${lineComment(`masks of ${first.table} for ${first.role}, by row, for many rows in one statement: ${how}; rows ${first.role} cannot see are left out`)}
create or replace function ${rowsFn}(row_keys ${trusted(keyType)}[]) returns table (row_key ${trusted(keyType)}, masks jsonb)
  language plpgsql stable security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  return query
  select r.${ROW_KEY}, pg_catalog.jsonb_build_object(${sql.join(
    masks.map(
      (m) =>
        sql`${literal(m.column)}, case when r.${holds(m)} then r.${sql.identifier(m.column)} else r.${sql.identifier(m.twin)} end`,
    ),
    ",\n      ",
  )})
    from (select ${sql.join(
      [
        sql`${row}.${sql.identifier(table.key)} as ${ROW_KEY}`,
        ...masks.flatMap((m) => [
          sql`${row}.${sql.identifier(m.column)}::text as ${sql.identifier(m.column)}`,
          sql`${row}.${sql.identifier(m.twin)}::text as ${sql.identifier(m.twin)}`,
        ]),
        ...scopes.map(([, scope], i) => sql`${renderScope(scope, ctx)} as ${sql.identifier(`raw_${i}`)}`),
      ],
      ",\n                 ",
    )}
            from ${tableIdent(app, first.table)}
           where ${row}.${sql.identifier(table.key)} = any (row_keys)
          offset 0) as r;
end`)};
alter function ${rowsSignature} owner to ${roleIdent(app, first.reader)};`,
    },
    {
      kind: "function",
      fn: { name: first.fn, argTypes: [keyType], securityDefiner: false, volatility: "stable", searchPath: true },
      // owned by whoever applies the generation: before the many-row form it was the raw reader's own definer function
      sql: sql`${lineComment(`masks of one row of ${first.table} for ${first.role}: ${first.rowsFn} on one key; null for a row ${first.role} cannot see`)}
create or replace function ${fn}(row_key ${trusted(keyType)}) returns jsonb
  language plpgsql stable security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  return (select m.masks from ${rowsFn}(array[row_key]) as m);
end`)};
alter function ${signature} owner to current_user;`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${first.rowsFn}`, `${app.toolkitSchema}.${first.fn}`],
      sql: sql`revoke all on function ${rowsSignature} from public;
grant execute on function ${rowsSignature} to ${roleIdent(app, first.role)};
revoke all on function ${signature} from public;
grant execute on function ${signature} to ${roleIdent(app, first.role)};`,
    },
  ];
}

/** The key column of the many-row form's result (its name is the function's output column). */
const ROW_KEY = sql.identifier("row_key");
