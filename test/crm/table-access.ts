import type { ClientBase } from "pg";
import { attempt, type Outcome } from "../../db/testing";
import { PERSONAS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing";
import { column, persona } from "./crm-database";

/** The 17 demo personas of CRM.md, in seed order. */
export const PERSONA_NAMES = [
  "dana",
  "erin",
  "sam",
  "rita",
  "rick",
  "roy",
  "wendy",
  "ian",
  "fiona",
  "lena",
  "suki",
  "mark",
  "paul",
  "ana",
  "adam",
  "aude",
  "olga",
] as const;

export type PersonaName = (typeof PERSONA_NAMES)[number];

/** What one persona, acting in its own role, may read of one table. */
export interface TableAccess {
  /** Ids of the rows the persona sees, ascending; `null` when selecting from the table is refused (42501). */
  readonly ids: readonly number[] | null;
  /** Columns the persona may select, in table order; selecting any other column is refused with 42501. */
  readonly columns: readonly string[];
}

/** The expected read access of every demo persona to one CRM table, derived by hand from CRM.md, roles.ts and the seed. */
export interface TableExpectations {
  /** Table in schema `crm`. */
  readonly table: string;
  /** Every column of the table in table order, masked twins included. */
  readonly columns: readonly string[];
  /** Every id in the seeded table: what the superuser sees. */
  readonly ids: readonly number[];
  readonly personas: Readonly<Record<PersonaName, TableAccess>>;
}

/** No access at all: the table and every column are refused. */
export const NO_ACCESS: TableAccess = Object.freeze({ ids: null, columns: Object.freeze([]) });

/** The refusal of a statement that lacks a privilege on `table`. */
export const permissionDenied = (table: string): Outcome => ({ code: "42501", message: `permission denied for table ${table}` });

/**
 * The refusal of a written row that fails a row-level security check on `table`: no permissive policy
 * admits it, or (when named) the restrictive `policy` rejects it.
 */
export const rowSecurityViolation = (table: string, policy?: string): Outcome => ({
  code: "42501",
  message: `new row violates row-level security policy ${policy ? `"${policy}" ` : ""}for table "${table}"`,
});

/**
 * The columns of `crm.<table>` that the current role may select, out of `columns`; every other one must be
 * refused with 42501 (any other error is rethrown).
 */
export async function readableColumns(client: ClientBase, table: string, columns: readonly string[]): Promise<string[]> {
  const readable: string[] = [];
  for (const name of columns) {
    const outcome = await attempt(client, `select "${name}" from crm."${table}"`);
    if ("rows" in outcome) readable.push(name);
    else if (outcome.code !== "42501") throw new Error(`select ${name} from ${table}: ${outcome.code} ${outcome.message}`);
  }
  return readable;
}

/** Every row a query returns, as plain objects. */
export async function rows(client: ClientBase, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await client.query(text, values)).rows;
}

const list = (items: readonly (string | number)[]) => items.join(", ");

/**
 * Registers, for one table, a test of its columns and seeded ids as root, and two tests per persona: the
 * exact ids it sees (or that it is refused the table) and the exact columns it may read.
 */
export function testTableAccess(db: () => AppTestDatabase, expected: TableExpectations): void {
  const { table } = expected;
  describe(`${table}: what each persona reads`, () => {
    test(`root sees ${table} ${list(expected.ids)} with columns ${list(expected.columns)}; the expectations cover every persona`, async () => {
      const [columns, ids] = await db().root(async (c) => [
        await column<string>(
          c,
          "select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum",
          [`crm.${table}`],
        ),
        await column<number>(c, `select id::int from crm."${table}" order by id`),
      ]);
      expect(columns).toEqual(expected.columns);
      expect(ids).toEqual(expected.ids);
      expect(Object.keys(expected.personas)).toEqual(PERSONAS.map((p) => p.username));
    });

    for (const name of PERSONA_NAMES) {
      const { ids, columns } = expected.personas[name];
      const sees =
        ids === null
          ? `cannot select from ${table} at all (42501)`
          : ids.length
            ? `sees ${table} ${list(ids)} and no other`
            : `sees no ${table} row`;
      test(`${name} ${sees}`, async () => {
        const outcome = await db().as(persona(name), (c) => attempt(c, `select id::int from crm."${table}" order by id`));
        if (ids === null) expect(outcome).toEqual(permissionDenied(table));
        else expect(outcome).toEqual({ rowCount: ids.length, rows: ids.map((id) => ({ id })) });
      });

      const refused = expected.columns.filter((c) => !columns.includes(c));
      const reads = columns.length ? `reads ${list(columns)} of ${table}` : `reads no column of ${table}`;
      test(`${name} ${reads}${refused.length ? `; ${list(refused)} refused (42501)` : ""}`, async () => {
        expect(await db().as(persona(name), (c) => readableColumns(c, table, expected.columns))).toEqual(columns);
      });
    }
  });
}
