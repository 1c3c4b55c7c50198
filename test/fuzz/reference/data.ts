/**
 * The data the reference evaluator reads: every table of a world as plain rows, and the facts about the schema
 * (columns, keys, foreign keys) it needs to follow `via()` and to decide column privileges. No security here.
 */

/** A time relative to the database's clock, in hours: negative is the past, positive the future. */
export interface Hours {
  readonly hours: number;
}

/** One column's value: what the generator writes and the evaluator compares. */
export type Value = string | number | boolean | null | Hours;

export type Row = Readonly<Record<string, Value>>;

/** Every table's rows, by table name (tables left out are empty). */
export type Tables = Readonly<Record<string, readonly Row[]>>;

export const isHours = (v: Value): v is Hours => typeof v === "object" && v !== null;

/** One column of a table as the catalog has it. */
export interface ColumnShape {
  readonly name: string;
  /** A stored generated column (a masked twin): never writable. */
  readonly generated: boolean;
}

/** A table as the catalog has it. */
export interface TableShape {
  readonly name: string;
  readonly columns: readonly ColumnShape[];
  readonly primaryKey: readonly string[];
  /** Single-column foreign keys: `column` references `parent.key`. */
  readonly foreignKeys: readonly { readonly column: string; readonly parent: string; readonly key: string }[];
}

export type Schema = ReadonlyMap<string, TableShape>;

export const rowsOf = (tables: Tables, table: string): readonly Row[] => tables[table] ?? [];

/** A row's primary key as one comparable string, e.g. `[3]` or `[1,4]`. */
export const keyOf = (shape: TableShape, row: Row): string => JSON.stringify(shape.primaryKey.map((c) => row[c] ?? null));
