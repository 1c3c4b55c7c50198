import { Client } from "pg";
import { ROW_SECURITY_FIXES, serverVersionFindings } from "../../db";
import { createTestDatabase, type TestDatabase } from "../../db/testing";

const cves = (num: number) => serverVersionFindings(num).map((f) => [f.level, f.message.split(" ")[4]]);

test("a server of 15.13 is warned of the one row-security fix it lacks, 15.14 and 17.6 of none", () => {
  expect(cves(150013)).toEqual([["warning", "CVE-2025-8713"]]);
  expect(serverVersionFindings(150014)).toEqual([]);
  expect(serverVersionFindings(170006)).toEqual([]);
  expect(serverVersionFindings(180000)).toEqual([]);
});

test("a server of 15.2 lacks every fix since 15.0; of 16.2 the statistics and role-switch fixes; of 17.0 two and the statistics one", () => {
  expect(cves(150002)).toEqual(ROW_SECURITY_FIXES.map((f) => ["warning", f.cve]));
  expect(cves(160002)).toEqual([
    ["warning", "CVE-2024-4317"],
    ["warning", "CVE-2024-10976"],
    ["warning", "CVE-2024-10978"],
    ["warning", "CVE-2025-8713"],
  ]);
  expect(cves(170000)).toEqual([
    ["warning", "CVE-2024-10976"],
    ["warning", "CVE-2024-10978"],
    ["warning", "CVE-2025-8713"],
  ]);
  expect(serverVersionFindings(150013)[0]).toEqual({
    lint: "server-version",
    level: "warning",
    object: "server PostgreSQL 15.13",
    message:
      "lacks the fix for CVE-2025-8713 (optimizer statistics expose sampled values of rows hidden by row security, through views, partitions and child tables), first in 15.14; upgrade to the latest 15.x minor release",
  });
});

test("a PostgreSQL 14 server is an error: the generated views need security_invoker", () => {
  expect(serverVersionFindings(140012).map((f) => [f.level, f.message])).toEqual([
    ["error", "PostgreSQL 14 has no security_invoker views, which the generated views rely on; upgrade to 15 or later"],
  ]);
});

describe("on the server the tests run on", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  test("the test server has every row-security fix of its major", async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const num = Number((await client.query("select current_setting('server_version_num') as n")).rows[0].n);
      expect(serverVersionFindings(num)).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
