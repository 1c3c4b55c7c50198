import type { ClientBase } from "pg";
import { crm } from "../../db/crm/roles";
import { CRM_TABLES } from "../crm/crm-database";
import { attempt } from "./attempt";
import { ident } from "./load";
import type { Disagreement, Tally } from "./outcome";
import { isHours, rowsOf, type Row, type Value } from "./reference/data";
import type { Reference } from "./reference/evaluator";
import { masked } from "./reference/masks";

const tableName = (t: string) => `${ident(crm.schema)}.${ident(t)}`;

/** A compared column: its name, the SQL that reads it (the column itself unless said), its expected value per row. */
interface ComparedColumn {
  readonly name: string;
  readonly sql?: string;
  readonly value: (row: Row) => Value;
}

/**
 * The columns of a table a persona's reads are compared on: each column the evaluator says they may select and
 * whose value it knows from the world (a raw value the world sets, or a masked twin of one), with how to get it.
 */
function comparedColumns(ref: Reference, table: string): ComparedColumn[] {
  const selectable = ref.columns(table).select;
  const rows = rowsOf(ref.tables, table);
  const inWorld = (c: string) => rows.length > 0 && c in rows[0]!;
  const out: ComparedColumn[] = [];
  const [key] = ref.shape(table).primaryKey;
  // a column read row by row: through the role's row mask function, raw where its scope holds, masked elsewhere
  for (const { mask, scopes } of ref.rowMasked(table)) {
    if (!key || !selectable.has(key) || !inWorld(mask.column)) continue;
    if (!rows.every((r) => masked(mask.fn, r[mask.column] ?? null) !== undefined)) continue;
    const fn = `row_mask_${table}__${ref.persona.role}`;
    out.push({
      name: mask.column,
      sql: `(${ident(crm.toolkitSchema)}.${ident(fn)}(${ident(key)}) ->> '${mask.column}')`,
      value: (r) =>
        ref.readsRaw(table, r, scopes) ? (r[mask.column] ?? null) : (masked(mask.fn, r[mask.column] ?? null) ?? null),
    });
  }
  for (const { name } of ref.shape(table).columns) {
    if (!selectable.has(name)) continue;
    const mask = crm.masks.find((m) => m.table === table && m.twin === name);
    if (mask) {
      if (inWorld(mask.column) && rows.every((r) => masked(mask.fn, r[mask.column] ?? null) !== undefined))
        out.push({ name, value: (r) => masked(mask.fn, r[mask.column] ?? null) ?? null });
    } else if (inWorld(name)) out.push({ name, value: (r) => r[name] ?? null });
  }
  return out;
}

/** A value as compared: times only as set or not (the world holds them relative to the clock), the rest as text. */
const normal = (v: unknown, worldTime: boolean): string | null =>
  v === null || v === undefined ? null : worldTime ? "set" : String(v);

const asRows = (values: unknown[][]) => values.map((r) => JSON.stringify(r)).sort();

/**
 * What the persona sees of each table they may read, in one statement: every row as the compared columns' values,
 * sorted, against the evaluator's. Tables the evaluator says they may not read at all are left to the column test.
 */
export async function compareReads(client: ClientBase, ref: Reference, out: Disagreement[], tally: Tally): Promise<void> {
  const asked: { table: string; columns: ComparedColumn[]; time: boolean[] }[] = [];
  for (const table of CRM_TABLES) {
    if (ref.columns(table).select.size === 0) {
      tally.refusedReads++;
      continue;
    }
    const columns = comparedColumns(ref, table);
    const rows = rowsOf(ref.tables, table);
    asked.push({
      table,
      columns,
      time: columns.map((c) =>
        rows.some((r) => {
          const v = c.value(r);
          return v !== null && isHours(v);
        }),
      ),
    });
  }
  const select = (a: (typeof asked)[number]) => {
    const values = a.columns.length === 0 ? "1" : a.columns.map((c) => c.sql ?? ident(c.name)).join(", ");
    return `select coalesce(json_agg(json_build_array(${values})), '[]') from ${tableName(a.table)}`;
  };
  const all = await attempt(client, async () => {
    if (asked.length === 0) return {} as Record<string, unknown[][]>;
    const { rows } = await client.query(
      `select json_build_object(${asked.map((a) => `'${a.table}', (${select(a)})`).join(", ")}) as seen`,
    );
    return rows[0].seen as Record<string, unknown[][]>;
  });
  for (const a of asked) {
    const visible = ref.visible(a.table);
    tally.seen += visible.length;
    tally.hidden += rowsOf(ref.tables, a.table).length - visible.length;
    const expected = asRows(
      visible.map((r) => (a.columns.length === 0 ? [1] : a.columns.map((c, i) => normal(c.value(r), a.time[i]!)))),
    );
    let actual: string[] | string;
    if ("ok" in all)
      actual = asRows(
        (all.ok[a.table] ?? []).map((r) => (a.columns.length === 0 ? [1] : r.map((v, i) => normal(v, a.time[i]!)))),
      );
    else {
      const one = await attempt(client, async () => (await client.query(select(a))).rows[0].coalesce as unknown[][]);
      actual =
        "ok" in one
          ? asRows(one.ok.map((r) => (a.columns.length === 0 ? [1] : r.map((v, i) => normal(v, a.time[i]!)))))
          : `refused: ${one.error}`;
    }
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      out.push({
        persona: ref.persona,
        table: a.table,
        asked: `select ${a.columns.map((c) => c.sql ?? c.name).join(", ") || "1"} from ${a.table}`,
        database: typeof actual === "string" ? actual : actual.map((r) => JSON.parse(r) as unknown),
        reference: expected.map((r) => JSON.parse(r) as unknown),
      });
    }
  }
}
