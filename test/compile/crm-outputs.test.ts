import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PoolClient } from "pg";
import { compileAgainst, changesSince, renderChanges, toUnits, readCommittedGeneration, toDdl } from "../../db";
import type { CompileResult } from "../../db";
import { crm } from "../../db/crm/roles";
import { createTestDatabase, type TestDatabase } from "../../db/testing";

const ROOT = path.resolve(__dirname, "../..");
const SCHEMA = "migrations/committed/000001-crm-schema.sql";
const SQL_FILE = "migrations/fixtures/crm-security.sql";
const MATRIX_FILE = "generated/access-matrix.md";
const CHANGES_FILE = "migrations/fixtures/crm-security.changes.sql";

let db: TestDatabase;
let client: PoolClient;
/** The CRM compiled with its own `crm_` prefix against a fresh database holding only its schema; nothing applied. */
let compiled: CompileResult;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  await client.query(await readFile(path.join(ROOT, SCHEMA), "utf8"));
  compiled = await compileAgainst(client, crm);
});
afterAll(async () => {
  client?.release();
  await db?.drop();
});

/** Why `committed` differs from `fresh`, with the first line that differs; undefined when they are equal. */
function staleness(file: string, committed: string | undefined, fresh: string | undefined): string | undefined {
  if (committed === fresh) return undefined;
  const fix = "run `npm run gatehouse -- compile` (or `npx gatehouse compile`) and commit the result";
  if (committed === undefined) return `${file} is missing: ${fix}`;
  if (fresh === undefined) return `${file} should be gone (nothing changed since the last committed migration): ${fix}`;
  const a = committed.split("\n");
  const b = fresh.split("\n");
  let at = 0;
  while (a[at] === b[at]) at++;
  return `${file} is stale: ${fix}. First difference at line ${at + 1}: committed ${JSON.stringify(a[at])}, compiled ${JSON.stringify(b[at])}`;
}

test("the committed CRM security SQL, its changes since the last committed migration and the access matrix are exactly what the role definitions compile to", async () => {
  const units = toUnits(
    compiled.statements,
    compiled.statements.map((s) => toDdl(s.sql)),
  );
  const committedGeneration = await readCommittedGeneration(path.join(ROOT, "migrations"), "crm");
  const files: [string, string | undefined][] = [
    [SQL_FILE, compiled.sql],
    [MATRIX_FILE, compiled.matrix],
    [CHANGES_FILE, renderChanges("crm", changesSince(committedGeneration, units), "crm-security.sql")],
  ];
  const stale: string[] = [];
  for (const [file, fresh] of files) {
    const committed = await readFile(path.join(ROOT, file), "utf8").catch(() => undefined);
    const why = staleness(file, committed, fresh);
    if (why) stale.push(why);
  }
  expect(stale).toEqual([]);
});

test("migrations/current.sql includes the changes exactly when there are some", async () => {
  const current = await readFile(path.join(ROOT, "migrations/current.sql"), "utf8");
  const changes = await readFile(path.join(ROOT, CHANGES_FILE), "utf8").catch(() => undefined);
  expect(current.split("\n").includes("--!include crm-security.changes.sql")).toBe(changes !== undefined);
  expect(current).not.toContain("--!include crm-security.sql");
});

/** The lines of the matrix's section for `table`, from its heading to the next one. */
function section(table: string): string[] {
  const lines = compiled.matrix.split("\n");
  const start = lines.indexOf(`## ${table}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start, end === -1 ? undefined : end);
}

describe("the access matrix for customers", () => {
  test("says in words what sales_rep may select, insert, update and delete", () => {
    expect(section("customers")).toContain(
      "| sales_rep | rows they own (owner_id) or the unowned pool (owner_id is null) or rows granted to them by a live temporary grant or rows in open project customers they belong to | new rows: rows they own (owner_id) and rows of their unit (unit_id) | rows they own (owner_id) or rows granted to them by a live temporary grant | — |",
    );
  });

  test("says what each restriction leaves sales_rep", () => {
    const lines = section("customers");
    const forSalesRep = (heading: string) => {
      const start = lines.indexOf(heading);
      expect(start).toBeGreaterThan(-1);
      return lines.slice(start, lines.indexOf("", start + 2)).find((l) => l.startsWith("- sales_rep: "));
    };
    expect(forSalesRep("Restriction **vip** hides tier is 'vip' (select, insert, update, delete):")).toBe(
      "- sales_rep: keeps rows they own (owner_id)",
    );
    expect(forSalesRep("Restriction **soft_deleted** hides deleted_at is set (select, insert, update, delete):")).toBe(
      "- sales_rep: loses them all",
    );
    expect(forSalesRep("Restriction **archived** hides archived_at is set (select, insert, update, delete):")).toBe(
      "- sales_rep: loses them all",
    );
  });

  // deleted_by and deleted_reason: added by softDelete, read only by the roles that see soft-deleted rows
  test("has a column table: sales_rep sets owner and unit on insert only and reads the tier; only admin and auditor read who deleted and why", () => {
    const lines = section("customers");
    const header = lines.indexOf(
      "| role | id | name | industry | region | tier | stage | owner_id | unit_id | consent_marketing | last_contacted_at | archived_at | deleted_at | created_at | deleted_by | deleted_reason |",
    );
    expect(header).toBeGreaterThan(-1);
    expect(lines[header + 1]).toBe("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    expect(lines.slice(header + 2).filter((l) => /^\| (sales_rep|support|partner|analyst|admin) /.test(l))).toEqual([
      "| sales_rep | R | W | W | W | R | W | I | I | W | W | R | R | R | · | · |",
      "| support | R | R | R | R | R | R | · | · | · | · | · | · | · | · | · |",
      "| partner | · | R | R | R | · | R | · | · | · | · | · | · | · | · | · |",
      "| analyst | R | · | R | R | R | R | · | R | R | R | R | R | R | · | · |",
      "| admin | W | W | W | W | W | W | W | W | W | W | W | R | W | R | R |",
    ]);
  });

  test("says that a delete only marks a customer, who still sees marked ones, and who may restore them", () => {
    expect(section("customers")).toContainEqual(
      expect.stringMatching(
        /^\| admin \| every row \| new rows: every row \| every row \| marks deleted \(soft\): every row \|$/,
      ),
    );
    expect(section("Soft delete")).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^- \*\*customers\*\*: a delete sets deleted_at, deleted_by \(who\), deleted_reason \(why\)\. May delete: (.+, )?admin; with a reason: `gatehouse\.delete_customers\(row_id, reason\)`\.$/,
        ),
        "  Still sees marked rows: admin, auditor.",
        "  Restores with `crm.restore_customers(row_id)`: supervisor (rows of their unit and its sub-units (unit_id)), regional_manager (rows of their unit and its sub-units (unit_id)), director (rows of their unit and its sub-units (unit_id)), admin (every row).",
        "  Purge: `gatehouse.purge_customers(older_than interval default '365 days')`, the owner only.",
      ]),
    );
  });

  // marketing has no table rules: it holds nothing on customers, and the export view runs as its own owner
  test("gives marketing no row, no restriction and no column of customers; the export view is described with its owner", () => {
    expect(section("customers").filter((line) => /\bmarketing\b/.test(line))).toEqual([]);
    expect(section("Masking views")).toEqual(
      expect.arrayContaining([
        "- **marketing_export** for marketing: id, region, industry, tier, stage, created_month of customers where deleted_at is empty and archived_at is empty and consent_marketing is true and requests not through mobile.",
        "  Runs as `crm_view_marketing_export`, which holds select on customers (id, industry, region, tier, stage, consent_marketing, archived_at, deleted_at, created_month), bound by the restrictions vip, archived, soft_deleted.",
      ]),
    );
  });
});
