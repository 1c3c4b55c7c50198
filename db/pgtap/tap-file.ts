import { literal, sql, toDdl, type SQL } from "../sql/ddl";

/** One statement of a pgTAP file: a test (it counts towards the plan) or a step between tests (a role switch). */
export interface TapStep {
  readonly sql: SQL;
  readonly test: boolean;
}

/** A pgTAP file: its name in the output folder, what it checks (one sentence, for its header) and its statements in order. */
export interface TapFile {
  readonly name: string;
  readonly about: string;
  readonly steps: readonly TapStep[];
}

/** A pgTAP assertion, e.g. `tapTest(sql\`ok(true, 'fine')\`)`; written as `select <assertion>;`. */
export const tapTest = (assertion: SQL): TapStep => ({ sql: sql`select ${assertion};`, test: true });

/** A statement that is not a test (written as given, `;` included). */
export const tapStep = (statement: SQL): TapStep => ({ sql: statement, test: false });

/** The number of tests in a file: its plan. */
export const testCount = (file: TapFile): number => file.steps.filter((s) => s.test).length;

/**
 * The search path every file (and the reference it was written from) reads the catalog with: PostgreSQL deparses a
 * policy's expression relative to it, and pgTAP's functions live in `public` (where the file creates the extension).
 */
export const TAP_SEARCH_PATH = "public";

/**
 * The text of a file `pg_prove` runs: `header` and the file's `about` as comments, then one transaction that creates
 * pgTAP if the database lacks it, plans its tests, runs them and rolls back, so nothing is left behind (the extension
 * included, when the file created it).
 *
 * @example
 * renderTapFile({ name: "row-security.sql", about: "Row security.", steps: [tapTest(sql`ok(true, 'fine')`)] }, "Generated.");
 * // -- Generated.\n-- Row security.\nbegin;\ncreate extension if not exists pgtap;\n… select plan(1);\nselect ok(true, 'fine');\n…rollback;
 */
export function renderTapFile(file: TapFile, header: string): string {
  const statements = [
    sql`begin;`,
    sql`create extension if not exists pgtap;`,
    sql`set local search_path to ${sql.identifier(TAP_SEARCH_PATH)};`,
    sql`select plan(${literal(testCount(file))});`,
    ...file.steps.map((s) => s.sql),
    sql`select * from finish();`,
    sql`rollback;`,
  ];
  const comment = [header, file.about]
    .join("\n")
    .split("\n")
    .map((line) => `-- ${line}`)
    .join("\n");
  return `${comment}\n${statements.map((s) => toDdl(s)).join("\n")}\n`;
}
