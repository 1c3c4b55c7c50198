import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// Exports of the marketing view, recorded and counted in the database (emit/exports.ts): gatehouse.export_start checks
// who, which view, the channel and marketing's daily quota (3 files, 100,000 rows); export_finish records the hash
// and appends an `export` row to the audit trail. The CLI side (streaming, files) is in test/cli/export.test.ts.

const HASH = "a".repeat(64);

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const exportsOnRecord = () => crm.root((c) => column<number>(c, "select count(*)::int from gatehouse.exports"));

test("mark starts and finishes an export of marketing_export; the audit row holds who, the view, the rows, the format and the hash", async () => {
  const seen = await crm.as(persona("mark"), async (c) => {
    const [id] = await column<string>(c, "select gatehouse.export_start('marketing_export', 'csv', 7)");
    await c.query("select gatehouse.export_finish($1, 7, $2)", [id, HASH]);
    await crm.actAs(c, persona("aude"));
    const { rows } = await c.query(
      "select user_id::int, acting_role, table_name, operation, row_key, old_values, new_values from gatehouse.audit_log where operation = 'export'",
    );
    return { id: Number(id), rows };
  });
  expect(seen.rows).toEqual([
    {
      user_id: persona("mark").userId,
      acting_role: roleName(crm.app, "marketing"),
      table_name: "marketing_export",
      operation: "export",
      row_key: { export_id: seen.id },
      old_values: null,
      new_values: { rows: 7, format: "csv", sha256: HASH },
    },
  ]);
});

test("rita (sales_rep, not granted the view) cannot start an export of marketing_export", async () => {
  await expect(
    crm.as(persona("rita"), (c) => c.query("select gatehouse.export_start('marketing_export', 'csv', 1)")),
  ).rejects.toThrow("permission denied for function export_start");
  // a superuser reads no row through the owner-run view (it has no app identity): the root check reads the table
  expect(
    await crm.root((c) =>
      column(c, "select count(*)::int from crm.customers where consent_marketing and deleted_at is null and archived_at is null"),
    ),
  ).not.toEqual([0]);
});

test("mark cannot start an export on the mobile channel: a clear refusal, not an empty export", async () => {
  await expect(
    crm.as(persona("mark", { channel: "mobile" }), (c) => c.query("select gatehouse.export_start('marketing_export', 'csv', 0)")),
  ).rejects.toMatchObject({ code: "42501", message: "gatehouse: exports of marketing_export are refused on the mobile channel" });
  expect(
    await crm.as(persona("mark", { channel: "web" }), (c) =>
      column(c, "select gatehouse.export_start('marketing_export', 'csv', 0) > 0"),
    ),
  ).toEqual([true]);
});

test("mark's 4th export of the day is refused with the limit, what is used and when it resets", async () => {
  const refusal = await crm.as(persona("mark"), async (c) => {
    for (let i = 0; i < 3; i++) {
      const [id] = await column<string>(c, "select gatehouse.export_start('marketing_export', 'jsonl', 1)");
      await c.query("select gatehouse.export_finish($1, 1, $2)", [id, HASH]);
    }
    return c.query("select gatehouse.export_start('marketing_export', 'jsonl', 1)").then(
      () => undefined,
      (error: Error & { code?: string }) => ({ code: error.code, message: error.message }),
    );
  });
  expect(refusal).toEqual({
    code: "42501",
    message: expect.stringMatching(
      /^gatehouse: marketing may export 3 files a day; 3 used today; the quota resets at \d{4}-\d\d-\d\d 00:00 UTC$/,
    ),
  });
});

test("mark cannot start an export that would pass 100,000 rows today", async () => {
  const refusal = await crm.as(persona("mark"), async (c) => {
    const [id] = await column<string>(c, "select gatehouse.export_start('marketing_export', 'csv', 99990)");
    await c.query("select gatehouse.export_finish($1, 99990, $2)", [id, HASH]);
    return c.query("select gatehouse.export_start('marketing_export', 'csv', 11)").catch((e: Error) => e.message);
  });
  expect(refusal).toMatch(
    /^gatehouse: marketing may export 100000 rows a day; 99990 used today and this export has 11; the quota resets at .* UTC$/,
  );
});

test("a rolled-back export of mark is not recorded and uses no quota", async () => {
  await crm.as(persona("mark"), async (c) => {
    const [id] = await column<string>(c, "select gatehouse.export_start('marketing_export', 'csv', 100000)");
    await c.query("select gatehouse.export_finish($1, 100000, $2)", [id, HASH]);
  });
  expect(await exportsOnRecord()).toEqual([0]);
  expect(
    await crm.as(persona("mark"), (c) => column(c, "select gatehouse.export_start('marketing_export', 'csv', 100000) > 0")),
  ).toEqual([true]);
});

test("mark cannot finish an export with another row count than it started with, nor one he did not start", async () => {
  await expect(
    crm.as(persona("mark"), async (c) => {
      const [id] = await column<string>(c, "select gatehouse.export_start('marketing_export', 'csv', 5)");
      await c.query("select gatehouse.export_finish($1, 6, $2)", [id, HASH]);
    }),
  ).rejects.toThrow(/^gatehouse: export \d+ was started for 5 rows, not 6$/);
  await expect(crm.as(persona("mark"), (c) => c.query("select gatehouse.export_finish(424242, 5, $1)", [HASH]))).rejects.toThrow(
    "gatehouse: export 424242 is not one you started in this transaction",
  );
});

test("mark gets a clear error for an unknown view or format", async () => {
  await expect(
    crm.as(persona("mark"), (c) => c.query("select gatehouse.export_start('customers', 'csv', 1)")),
  ).rejects.toMatchObject({
    code: "22023",
    message: "gatehouse: no view customers to export; the views are marketing_export",
  });
  await expect(
    crm.as(persona("mark"), (c) => c.query("select gatehouse.export_start('marketing_export', 'xlsx', 1)")),
  ).rejects.toMatchObject({ code: "22023", message: "gatehouse: no export format xlsx; the formats are csv, jsonl" });
});
