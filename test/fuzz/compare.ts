import type { ClientBase } from "pg";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { crm } from "../../db/crm/roles";
import { isHours, rowsOf, type Row, type Schema, type Tables, type Value } from "./reference/data";
import { Reference, type WriteOutcome } from "./reference/evaluator";
import type { Persona } from "./reference/identity";
import { masked } from "./reference/masks";
import { attempt } from "./attempt";
import { ident, loadWorld, sqlValue } from "./load";
import { changesOf, newRow, personasOf, rowsOfWorld, type WorldSpec } from "./world";

/** One place where PostgreSQL and the reference evaluator answer differently. */
export interface Disagreement {
  readonly persona: Persona;
  readonly table: string;
  /** What was asked: `select`, or the write statement. */
  readonly asked: string;
  readonly database: unknown;
  readonly reference: unknown;
}

/** How many answers a run compared, by kind: evidence that the worlds exercise both sides of each rule. */
export interface Tally {
  /** Rows a persona saw, and rows of a table they may read that they did not see. */
  seen: number;
  hidden: number;
  /** Reads refused outright (no column privilege). */
  refusedReads: number;
  writes: Record<"changed" | "untouched" | "refused", number>;
}

export const emptyTally = (): Tally => ({
  seen: 0,
  hidden: 0,
  refusedReads: 0,
  writes: { changed: 0, untouched: 0, refused: 0 },
});

/** Tables whose reads are compared (the grants table's own policies are not modelled by the evaluator). */
const READ_TABLES = [
  "customers",
  "contacts",
  "follow_ups",
  "quotes",
  "contracts",
  "service_tickets",
  "projects",
  "project_members",
  "project_customers",
  "partner_shares",
  "org_units",
  "users",
  "user_roles",
] as const;

const SCHEMA = crm.schema;
const tableName = (t: string) => `${ident(SCHEMA)}.${ident(t)}`;

/**
 * The columns of a table a persona's reads are compared on: each column the evaluator says they may select and
 * whose value it knows from the world (a raw value the world sets, or a masked twin of one), with how to get it.
 */
function comparedColumns(ref: Reference, table: string): { name: string; value: (row: Row) => Value }[] {
  const selectable = ref.columns(table).select;
  const rows = rowsOf(ref.tables, table);
  const inWorld = (c: string) => rows.length > 0 && c in rows[0]!;
  const out: { name: string; value: (row: Row) => Value }[] = [];
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
async function compareReads(client: ClientBase, ref: Reference, out: Disagreement[], tally: Tally): Promise<void> {
  const asked: { table: string; columns: { name: string; value: (row: Row) => Value }[]; time: boolean[] }[] = [];
  for (const table of READ_TABLES) {
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
    const values = a.columns.length === 0 ? "1" : a.columns.map((c) => ident(c.name)).join(", ");
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
        asked: `select ${a.columns.map((c) => c.name).join(", ") || "1"} from ${a.table}`,
        database: actual,
        reference: expected,
      });
    }
  }
}

/** Root's view of one row by key, as json (null when gone). */
async function rootRow(client: ClientBase, table: string, key: Value): Promise<string | null> {
  const { rows } = await client.query(`select to_jsonb(t)::text as j from ${tableName(table)} t where id = $1`, [key]);
  return rows[0]?.j ?? null;
}

/** Runs one world: loads it, compares every persona's reads and the world's writes, rolls back. */
export async function checkWorld(
  db: AppTestDatabase,
  client: ClientBase,
  schema: Schema,
  spec: WorldSpec,
  tally: Tally = emptyTally(),
): Promise<Disagreement[]> {
  const tables: Tables = rowsOfWorld(spec);
  const personas = personasOf(spec);
  const out: Disagreement[] = [];
  await client.query("begin");
  try {
    const now = await loadWorld(db.app, client, SCHEMA, tables);
    const refs = personas.map((p) => new Reference(crm, schema, tables, p));
    for (const ref of refs) {
      await db.actAs(client, {
        role: ref.persona.role,
        userId: ref.persona.userId,
        ...(ref.persona.channel ? { channel: ref.persona.channel } : {}),
      });
      await compareReads(client, ref, out, tally);
      await backToRoot(client);
    }
    for (const w of spec.writes) {
      // half the writes come from a persona who is someone and may write the table: the rest from anyone
      const aimed = w.row % 2 === 0;
      const writers = refs.filter((r) => {
        const p = r.columns(w.table);
        return r.who.uid !== null && p.update.size + p.insert.size > 0;
      });
      const ref = (aimed && writers.length > 0 ? writers : refs)[
        w.persona % (aimed && writers.length > 0 ? writers : refs).length
      ]!;
      const asPersona = () =>
        db.actAs(client, {
          role: ref.persona.role,
          userId: ref.persona.userId,
          ...(ref.persona.channel ? { channel: ref.persona.channel } : {}),
        });
      const rows = rowsOf(tables, w.table);
      let expected: WriteOutcome;
      let statement: string;
      let run: () => Promise<WriteOutcome>;
      if (w.kind === "insert") {
        const made = newRow(tables, w.table, w.pick, w.row);
        if (!made) continue;
        const columns = Object.keys(made.sent);
        statement = `insert into ${w.table} ${JSON.stringify(made.sent)}`;
        expected = ref.insert(w.table, made.sent, made.full);
        run = async () => {
          const r = await client.query(
            `insert into ${tableName(w.table)} (${columns.map(ident).join(", ")}) values (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
            columns.map((c) => sqlValue(made.sent[c] ?? null, now)),
          );
          return r.rowCount === 1 ? "changed" : "untouched";
        };
      } else {
        if (rows.length === 0) continue;
        // an aimed write takes a row the persona sees and a column they may change
        const seen = aimed ? rows.filter((r) => ref.sees(w.table, r)) : [];
        const candidates = seen.length > 0 ? seen : rows;
        const row = candidates[Math.floor(w.row / 2) % candidates.length]!;
        if (w.kind === "update") {
          const all = changesOf(tables, w.table, w.pick);
          const writable = all.filter((c) => Object.keys(c).every((k) => ref.columns(w.table).update.has(k)));
          const changes = aimed && writable.length > 0 ? writable : all;
          if (changes.length === 0) continue;
          const change = changes[w.pick % changes.length]!;
          const [column, value] = Object.entries(change)[0]!;
          statement = `update ${w.table} set ${column} = ${JSON.stringify(value)} where id = ${row.id}`;
          expected = ref.update(w.table, row, change);
          run = async () => {
            const r = await client.query(`update ${tableName(w.table)} set ${ident(column)} = $1 where id = $2`, [
              sqlValue(value, now),
              row.id,
            ]);
            return (r.rowCount ?? 0) > 0 ? "changed" : "untouched";
          };
        } else {
          statement = `delete from ${w.table} where id = ${row.id}`;
          expected = ref.delete(w.table, row);
          run = async () => {
            const before = await asRootRead(client, w.table, row.id ?? null, asPersona);
            await client.query(`delete from ${tableName(w.table)} where id = $1`, [row.id]);
            const after = await asRootRead(client, w.table, row.id ?? null, asPersona);
            return before === after ? "untouched" : "changed";
          };
        }
      }
      await asPersona();
      const got = await attempt(client, run, true);
      await backToRoot(client);
      const actual = "error" in got ? "refused" : got.ok;
      tally.writes[expected]++;
      if (actual !== expected) {
        out.push({
          persona: ref.persona,
          table: w.table,
          asked: statement,
          database: "error" in got ? `refused: ${got.error}` : actual,
          reference: expected,
        });
      }
    }
  } finally {
    await client.query("rollback");
  }
  return out;
}

/** Reads a row as root from inside a persona's statement sequence, then acts as the persona again. */
async function asRootRead(client: ClientBase, table: string, key: Value, again: () => Promise<void>): Promise<string | null> {
  await backToRoot(client);
  const j = await rootRow(client, table, key);
  await again();
  return j;
}
