import type { MaskFunction } from "../../policy/masks";
import { doBlock, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { helperIdent, tableIdent } from "../names";
import type { MaskPlan, Plan } from "../plan";
import type { Statement } from "../statement";

interface MaskSql {
  readonly name: string;
  readonly args: string;
  readonly returns: string;
  readonly body: string;
}

/** The IMMUTABLE mask functions; bodies are fixed text with no user input. */
const MASK_FUNCTIONS: readonly MaskSql[] = [
  {
    name: "mask_keep_first",
    args: "value text, n integer",
    returns: "text",
    body: "case when length(value) <= n then repeat('*', length(value)) else left(value, n) || repeat('*', length(value) - n) end",
  },
  {
    name: "mask_keep_last",
    args: "value text, n integer",
    returns: "text",
    body: "case when length(value) <= n then repeat('*', length(value)) else repeat('*', length(value) - n) || right(value, n) end",
  },
  {
    name: "mask_email_domain",
    args: "value text",
    returns: "text",
    body: "case when position('@' in value) > 0 then '***' || substr(value, position('@' in value)) else '***' end",
  },
  { name: "mask_redact", args: "value text", returns: "text", body: "'[redacted]'" },
  {
    name: "mask_date_to_month",
    args: "value timestamptz",
    returns: "date",
    body: "date_trunc('month', value at time zone 'UTC')::date",
  },
  { name: "mask_date_to_month", args: "value timestamp", returns: "date", body: "date_trunc('month', value)::date" },
  { name: "mask_date_to_month", args: "value date", returns: "date", body: "date_trunc('month', value)::date" },
  {
    name: "mask_number_to_range",
    args: "value numeric, step numeric",
    returns: "text",
    body: "(floor(value / step) * step)::text || '-' || (floor(value / step) * step + step - 1)::text",
  },
];

const textual = (type: string) => !/^(timestamp|date|numeric|integer|bigint|smallint|real|double)/.test(type);

/**
 * A mask applied to a value of the masked column's type, and the result's type: the raw column itself for
 * the twin's generated-column expression, or any expression of that type (the audit trail's copy of a row).
 *
 * @example
 * maskExpression(plan, phoneMask) // → { expression: "gatehouse"."mask_keep_last"("phone", 4), type: "text" }
 */
export function maskExpression(
  plan: Plan,
  mask: MaskPlan,
  value: SQL = sql.identifier(mask.column),
): { expression: SQL; type: string } {
  const fn = (name: string) => helperIdent(plan.app, name);
  const asText = textual(mask.sourceType) ? value : sql`${value}::text`;
  const f: MaskFunction = mask.fn;
  switch (f.kind) {
    case "keep_first":
      return { expression: sql`${fn("mask_keep_first")}(${asText}, ${literal(f.n)})`, type: "text" };
    case "keep_last":
      return { expression: sql`${fn("mask_keep_last")}(${asText}, ${literal(f.n)})`, type: "text" };
    case "email_domain":
      return { expression: sql`${fn("mask_email_domain")}(${asText})`, type: "text" };
    case "redact":
      return { expression: sql`${fn("mask_redact")}(${asText})`, type: "text" };
    case "date_to_month":
      return { expression: sql`${fn("mask_date_to_month")}(${value})`, type: "date" };
    case "number_to_range":
      return { expression: sql`${fn("mask_number_to_range")}(${value}::numeric, ${literal(f.step)})`, type: "text" };
  }
}

export const describeMask = (mask: MaskPlan): string => {
  const f = mask.fn;
  const arg = "n" in f ? `(${f.n})` : "step" in f ? `(${f.step})` : "()";
  return `gatehouse mask: ${f.kind}${arg} of ${mask.column}`;
};

/** The mask functions themselves: IMMUTABLE, so stored generated columns may call them. */
export function emitMaskFunctions(plan: Plan): Statement[] {
  return MASK_FUNCTIONS.map((m) => ({
    kind: "function" as const,
    fn: {
      name: m.name,
      argTypes: m.args.split(", ").map((arg) => arg.split(" ")[1]!),
      securityDefiner: false,
      volatility: "immutable" as const,
      searchPath: true,
    },
    sql: sql`create or replace function ${helperIdent(plan.app, m.name)}(${trusted(m.args)}) returns ${trusted(m.returns)}
  language sql immutable strict parallel safe
  set search_path = pg_catalog, pg_temp
  return ${trusted(m.body)};`,
  }));
}

/**
 * Masked twins: a stored generated column per mask. A twin whose mask changed is dropped and
 * re-added (the comment on the column records which mask made it).
 */
export function emitMaskTwins(plan: Plan): Statement[] {
  return plan.masks.map((mask) => {
    const table = tableIdent(plan.app, mask.table);
    const twin = sql.identifier(mask.twin);
    const marker = describeMask(mask);
    const { expression, type } = maskExpression(plan, mask);
    return {
      kind: "column" as const,
      target: mask.table,
      sql: sql`${lineComment(`${mask.table}.${mask.twin}: ${marker.replace("gatehouse mask: ", "")}, readable by roles that may see ${mask.column} only masked`)}
${doBlock(sql`begin
  if exists (
    select 1
      from pg_catalog.pg_attribute a
      join pg_catalog.pg_class c on c.oid = a.attrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${literal(plan.app.schema)} and c.relname = ${literal(mask.table)}
       and a.attname = ${literal(mask.twin)} and not a.attisdropped
       and pg_catalog.col_description(c.oid, a.attnum) is distinct from ${literal(marker)}
  ) then
    alter table ${table} drop column ${twin};
  end if;
end`)}
alter table ${table} add column if not exists ${twin} ${trusted(type)} generated always as (${expression}) stored;
comment on column ${table}.${twin} is ${literal(marker)};`,
    };
  });
}
