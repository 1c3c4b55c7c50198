import type { ClientBase } from "pg";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { crm } from "../../db/crm/roles";
import { attempt } from "./attempt";
import { ident, sqlValue } from "./load";
import type { Disagreement, Tally } from "./outcome";
import { rowsOf, type Tables, type Value } from "./reference/data";
import type { Reference, WriteOutcome } from "./reference/evaluator";
import { changesOf, newRow, type WriteSpec } from "./world";

const tableName = (t: string) => `${ident(crm.schema)}.${ident(t)}`;

/** A write to try: who tries it, the statement in words, what the evaluator expects, and how to run it. */
interface PlannedWrite {
  readonly ref: Reference;
  readonly statement: string;
  readonly expected: WriteOutcome;
  readonly run: () => Promise<WriteOutcome>;
}

/** Acts as the evaluator's persona inside the open transaction. */
const actAsPersona = (db: AppTestDatabase, client: ClientBase, ref: Reference) =>
  db.actAs(client, {
    role: ref.persona.role,
    userId: ref.persona.userId,
    ...(ref.persona.channel ? { channel: ref.persona.channel } : {}),
  });

/**
 * Turns a write spec into a statement: half the writes (`row` even) are aimed — a persona who is someone and may
 * write the table, a row they see, a column they may change — the rest come from anyone on any row.
 */
function planWrite(
  db: AppTestDatabase,
  client: ClientBase,
  refs: readonly Reference[],
  tables: Tables,
  now: number,
  w: WriteSpec,
): PlannedWrite | undefined {
  const aimed = w.row % 2 === 0;
  const writers = refs.filter((r) => {
    const p = r.columns(w.table);
    return r.who.uid !== null && p.update.size + p.insert.size > 0;
  });
  const from = aimed && writers.length > 0 ? writers : refs;
  const ref = from[w.persona % from.length]!;
  if (w.kind === "insert") {
    const made = newRow(tables, w.table, w.pick, w.row);
    if (!made) return undefined;
    const columns = Object.keys(made.sent);
    return {
      ref,
      statement: `insert into ${w.table} ${JSON.stringify(made.sent)}`,
      expected: ref.insert(w.table, made.sent, made.full),
      run: async () => {
        const r = await client.query(
          `insert into ${tableName(w.table)} (${columns.map(ident).join(", ")}) values (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
          columns.map((c) => sqlValue(made.sent[c] ?? null, now)),
        );
        return r.rowCount === 1 ? "changed" : "untouched";
      },
    };
  }
  const rows = rowsOf(tables, w.table);
  if (rows.length === 0) return undefined;
  const seen = aimed ? rows.filter((r) => ref.sees(w.table, r)) : [];
  // a third of the aimed writes take a row the persona reaches only through a grant or a membership, when there is one
  const borrowed = w.pick % 3 === 0 ? seen.filter((r) => !ref.sees(w.table, r, false)) : [];
  const candidates = borrowed.length > 0 ? borrowed : seen.length > 0 ? seen : rows;
  const row = candidates[Math.floor(w.row / 2) % candidates.length]!;
  if (w.kind === "update") {
    const all = changesOf(tables, w.table, w.pick);
    const writable = all.filter((c) => Object.keys(c).every((k) => ref.columns(w.table).update.has(k)));
    const changes = aimed && writable.length > 0 ? writable : all;
    if (changes.length === 0) return undefined;
    const change = changes[w.pick % changes.length]!;
    const [column, value] = Object.entries(change)[0]!;
    return {
      ref,
      statement: `update ${w.table} set ${column} = ${JSON.stringify(value)} where id = ${row.id}`,
      expected: ref.update(w.table, row, change),
      run: async () => {
        const r = await client.query(`update ${tableName(w.table)} set ${ident(column)} = $1 where id = $2`, [
          sqlValue(value, now),
          row.id,
        ]);
        return (r.rowCount ?? 0) > 0 ? "changed" : "untouched";
      },
    };
  }
  // a delete of a soft-delete table reports no row: whether it did anything is read as root, before and after
  const again = () => actAsPersona(db, client, ref);
  return {
    ref,
    statement: `delete from ${w.table} where id = ${row.id}`,
    expected: ref.delete(w.table, row),
    run: async () => {
      const before = await asRootRead(client, w.table, row.id ?? null, again);
      await client.query(`delete from ${tableName(w.table)} where id = $1`, [row.id]);
      const after = await asRootRead(client, w.table, row.id ?? null, again);
      return before === after ? "untouched" : "changed";
    },
  };
}

/** Tries each write of the world as its persona, each undone before the next, and compares how it ended. */
export async function compareWrites(
  db: AppTestDatabase,
  client: ClientBase,
  refs: readonly Reference[],
  tables: Tables,
  now: number,
  writes: readonly WriteSpec[],
  out: Disagreement[],
  tally: Tally,
): Promise<void> {
  for (const w of writes) {
    const planned = planWrite(db, client, refs, tables, now, w);
    if (!planned) continue;
    const { ref, statement, expected, run } = planned;
    await actAsPersona(db, client, ref);
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
}

/** Root's view of one row by key, as json (null when gone). */
async function rootRow(client: ClientBase, table: string, key: Value): Promise<string | null> {
  const { rows } = await client.query(`select to_jsonb(t)::text as j from ${tableName(table)} t where id = $1`, [key]);
  return rows[0]?.j ?? null;
}

/** Reads a row as root from inside a persona's statement sequence, then acts as the persona again. */
async function asRootRead(client: ClientBase, table: string, key: Value, again: () => Promise<void>): Promise<string | null> {
  await backToRoot(client);
  const j = await rootRow(client, table, key);
  await again();
  return j;
}
