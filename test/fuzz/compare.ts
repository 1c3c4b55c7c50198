import type { ClientBase } from "pg";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { crm } from "../../db/crm/roles";
import { rowsOf, type Row, type Schema, type Tables, type Value } from "./reference/data";
import { Reference, type WriteOutcome } from "./reference/evaluator";
import type { Persona } from "./reference/identity";
import { ident, loadWorld, sqlValue } from "./load";
import { CHANGES, newRow, personasOf, rowsOfWorld, type WorldSpec } from "./world";

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
 * The columns that name a visible row for a persona: the primary key when they may select all of it, else the first
 * column they may select whose values are unique in the world; undefined when they may select no column.
 */
function identifying(ref: Reference, table: string): string[] | "count" | undefined {
  const selectable = ref.columns(table).select;
  if (selectable.size === 0) return undefined;
  const shape = ref.shape(table);
  if (shape.primaryKey.every((c) => selectable.has(c))) return [...shape.primaryKey];
  const rows = rowsOf(ref.tables, table);
  for (const c of shape.columns.map((x) => x.name).filter((x) => selectable.has(x))) {
    const values = rows.map((r) => r[c]);
    if (values.every((v) => v !== null && v !== undefined && typeof v !== "object") && new Set(values).size === values.length)
      return [c];
  }
  return "count";
}

const render = (row: Row, columns: readonly string[]) => JSON.stringify(columns.map((c) => String(row[c] ?? null)));

async function attempt<T>(client: ClientBase, fn: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  await client.query("savepoint fuzz_attempt");
  try {
    const ok = await fn();
    await client.query("release savepoint fuzz_attempt");
    return { ok };
  } catch (error) {
    await client.query("rollback to savepoint fuzz_attempt");
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** What the persona sees of each table: the identifying values, sorted, or `refused`. */
async function compareReads(client: ClientBase, ref: Reference, out: Disagreement[], tally: Tally): Promise<void> {
  for (const table of READ_TABLES) {
    const columns = identifying(ref, table);
    if (columns === undefined) tally.refusedReads++;
    else {
      const seen = ref.visible(table).length;
      tally.seen += seen;
      tally.hidden += rowsOf(ref.tables, table).length - seen;
    }
    const expected =
      columns === undefined
        ? "refused"
        : columns === "count"
          ? ref.visible(table).length
          : ref
              .visible(table)
              .map((r) => render(r, columns))
              .sort();
    const list = columns === undefined || columns === "count" ? "1" : columns.map(ident).join(", ");
    const got = await attempt(client, async () => (await client.query(`select ${list} from ${tableName(table)}`)).rows as Row[]);
    const actual =
      "error" in got
        ? "refused"
        : columns === "count" || columns === undefined
          ? got.ok.length
          : got.ok.map((r) => render(r, columns)).sort();
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      out.push({
        persona: ref.persona,
        table,
        asked: `select ${list} from ${table}`,
        database: "error" in got ? got.error : actual,
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
    const now = await loadWorld(client, SCHEMA, schema, tables);
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
      const ref = refs[w.persona % refs.length]!;
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
        const row = rows[w.row % rows.length]!;
        if (w.kind === "update") {
          const change = CHANGES[w.table]![w.pick % CHANGES[w.table]!.length]!;
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
      const got = await attempt(client, run);
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
