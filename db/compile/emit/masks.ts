import type { MaskFunction } from "../../policy/masks";
import { doBlock, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { helperIdent, tableIdent } from "../names";
import type { MaskPlan, Plan } from "../plan";
import type { Statement } from "../statement";

/** One IMMUTABLE mask function (an overload): its parameters, result type and body, a fixed pg-sql2 fragment. */
interface MaskFunctionSql {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: string }[];
  readonly returns: string;
  readonly body: SQL;
}

/** A mask kind: its functions, and how a value of the masked column's type is masked with them. */
interface MaskKind<K extends MaskFunction["kind"]> {
  readonly functions: readonly MaskFunctionSql[];
  /** `value` as it is; `asText` the value cast to text unless the column is textual; `fn` names a mask function. */
  apply(
    f: Extract<MaskFunction, { kind: K }>,
    value: { readonly value: SQL; readonly asText: SQL },
    fn: (name: string) => SQL,
  ): { expression: SQL; type: string };
}

const value = (type: string) => ({ name: "value", type });

/** Every mask kind, by kind; the functions are created in this order. Bodies hold no user input. */
const MASK_KINDS: { readonly [K in MaskFunction["kind"]]: MaskKind<K> } = {
  keep_first: {
    functions: [
      {
        name: "mask_keep_first",
        params: [value("text"), { name: "n", type: "integer" }],
        returns: "text",
        body: sql`case when length(value) <= n then repeat('*', length(value)) else left(value, n) || repeat('*', length(value) - n) end`,
      },
    ],
    apply: (f, { asText }, fn) => ({ expression: sql`${fn("mask_keep_first")}(${asText}, ${literal(f.n)})`, type: "text" }),
  },
  keep_last: {
    functions: [
      {
        name: "mask_keep_last",
        params: [value("text"), { name: "n", type: "integer" }],
        returns: "text",
        body: sql`case when length(value) <= n then repeat('*', length(value)) else repeat('*', length(value) - n) || right(value, n) end`,
      },
    ],
    apply: (f, { asText }, fn) => ({ expression: sql`${fn("mask_keep_last")}(${asText}, ${literal(f.n)})`, type: "text" }),
  },
  email_domain: {
    functions: [
      {
        name: "mask_email_domain",
        params: [value("text")],
        returns: "text",
        body: sql`case when position('@' in value) > 0 then '***' || substr(value, position('@' in value)) else '***' end`,
      },
    ],
    apply: (_f, { asText }, fn) => ({ expression: sql`${fn("mask_email_domain")}(${asText})`, type: "text" }),
  },
  redact: {
    functions: [{ name: "mask_redact", params: [value("text")], returns: "text", body: sql`'[redacted]'` }],
    apply: (_f, { asText }, fn) => ({ expression: sql`${fn("mask_redact")}(${asText})`, type: "text" }),
  },
  date_to_month: {
    functions: [
      {
        name: "mask_date_to_month",
        params: [value("timestamptz")],
        returns: "date",
        body: sql`date_trunc('month', value at time zone 'UTC')::date`,
      },
      { name: "mask_date_to_month", params: [value("timestamp")], returns: "date", body: sql`date_trunc('month', value)::date` },
      { name: "mask_date_to_month", params: [value("date")], returns: "date", body: sql`date_trunc('month', value)::date` },
    ],
    apply: (_f, { value: raw }, fn) => ({ expression: sql`${fn("mask_date_to_month")}(${raw})`, type: "date" }),
  },
  number_to_range: {
    functions: [
      {
        name: "mask_number_to_range",
        params: [value("numeric"), { name: "step", type: "numeric" }],
        returns: "text",
        body: sql`(floor(value / step) * step)::text || '-' || (floor(value / step) * step + step - 1)::text`,
      },
    ],
    apply: (f, { value: raw }, fn) => ({
      expression: sql`${fn("mask_number_to_range")}(${raw}::numeric, ${literal(f.step)})`,
      type: "text",
    }),
  },
};

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
  const kind = MASK_KINDS[mask.fn.kind] as MaskKind<MaskFunction["kind"]>;
  const asText = textual(mask.sourceType) ? value : sql`${value}::text`;
  return kind.apply(mask.fn, { value, asText }, (name) => helperIdent(plan.app, name));
}

/** Whether the mask's column is encrypted: its twin is then an ordinary column the encryption trigger fills. */
export const isSealed = (plan: Plan, mask: MaskPlan): boolean =>
  plan.encrypted.some((e) => e.table === mask.table && e.column === mask.column);

/** The comment on a twin, which records the mask that made it (and, for an encrypted column, that a trigger fills it). */
export const describeMask = (mask: MaskPlan, sealed = false): string =>
  `gatehouse mask: ${maskCall(mask.fn)} of ${mask.column}${sealed ? " (encrypted: filled by trigger gatehouse_encrypt)" : ""}`;

/** A mask function as written in the comments and the access matrix, e.g. `keep_last(4)`. */
export const maskCall = (f: MaskFunction): string => `${f.kind}${"n" in f ? `(${f.n})` : "step" in f ? `(${f.step})` : "()"}`;

/** The mask functions themselves: IMMUTABLE, so stored generated columns may call them. */
export function emitMaskFunctions(plan: Plan): Statement[] {
  return Object.values(MASK_KINDS)
    .flatMap((k) => k.functions)
    .map((m) => ({
      kind: "function" as const,
      fn: {
        name: m.name,
        argTypes: m.params.map((p) => p.type),
        securityDefiner: false,
        volatility: "immutable" as const,
        searchPath: true,
      },
      sql: sql`create or replace function ${helperIdent(plan.app, m.name)}(${sql.join(
        m.params.map((p) => sql`${trusted(p.name)} ${trusted(p.type)}`),
        ", ",
      )}) returns ${trusted(m.returns)}
  language sql immutable strict parallel safe
  set search_path = pg_catalog, pg_temp
  return ${m.body};`,
    }));
}

/**
 * Masked twins: a stored generated column per mask. A twin whose mask changed is dropped and
 * re-added (the comment on the column records which mask made it). The twin of an encrypted column is an
 * ordinary column that the encryption trigger fills from the plaintext (a generated one would mask the ciphertext).
 */
export function emitMaskTwins(plan: Plan): Statement[] {
  return plan.masks.map((mask) => {
    const table = tableIdent(plan.app, mask.table);
    const twin = sql.identifier(mask.twin);
    const sealed = isSealed(plan, mask);
    const marker = describeMask(mask, sealed);
    const { expression, type } = maskExpression(plan, mask);
    const column = sealed ? trusted(type) : sql`${trusted(type)} generated always as (${expression}) stored`;
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
alter table ${table} add column if not exists ${twin} ${column};
comment on column ${table}.${twin} is ${literal(marker)};`,
    };
  });
}
