/**
 * Who sees which patients, checked in PostgreSQL itself: each test acts as a persona through the
 * authenticator, in a rolled-back transaction, and every "cannot see" is paired with a root check that
 * the row exists.
 */
import path from "node:path";
import { createAppDatabase, type AppTestDatabase } from "gatehouse-rls/testing";
import { clinic } from "../db/roles";
import { PERSONAS, seed } from "../db/seed";

const SCHEMA = path.join(__dirname, "../migrations/committed/000001-clinic-schema.sql");

let db: AppTestDatabase;
beforeAll(async () => {
  db = await createAppDatabase({ app: clinic, migrations: [SCHEMA], seed });
});
afterAll(() => db?.close());

/** A persona of the demo, acting in their first role. */
function persona(username: string): { role: string; userId: number } {
  const p = PERSONAS.find((x) => x.username === username);
  if (!p) throw new Error(`no persona ${username}`);
  return { role: p.roles[0]!, userId: p.id };
}

test("dr_ada sees her own patients, phone numbers included", async () => {
  const rows = await db.as(
    persona("dr_ada"),
    async (c) => (await c.query("select id, phone from clinic.patients order by id")).rows,
  );
  expect(rows).toEqual([
    { id: "1", phone: "+44 7700 900101" },
    { id: "3", phone: "+44 7700 900103" },
  ]);
  const others = await db.root(async (c) => (await c.query("select id from clinic.patients where id = 2")).rows);
  expect(others).toEqual([{ id: "2" }]);
});

test("nurse_ben sees the patients of his ward with phone numbers masked to the last four digits", async () => {
  const rows = await db.as(
    persona("nurse_ben"),
    async (c) => (await c.query("select id, full_name, phone_masked from clinic.patients order by id")).rows,
  );
  expect(rows).toEqual([
    { id: "1", full_name: "Ann Lee", phone_masked: "***********0101" },
    { id: "2", full_name: "Bo Chen", phone_masked: "***********0102" },
  ]);
});

test("nurse_ben cannot read a raw phone number or the notes", async () => {
  for (const column of ["phone", "notes"]) {
    const error = await db.as(persona("nurse_ben"), (c) =>
      c.query(`select ${column} from clinic.patients`).then(
        () => undefined,
        (e: { code?: string }) => e.code,
      ),
    );
    expect(error).toBe("42501");
  }
});

test("nurse_cy cannot see a patient of Ward A", async () => {
  const rows = await db.as(persona("nurse_cy"), async (c) => (await c.query("select id from clinic.patients order by id")).rows);
  expect(rows).toEqual([{ id: "3" }]);
  const wardA = await db.root(async (c) => (await c.query("select id from clinic.patients where ward_id = 1 order by id")).rows);
  expect(wardA).toEqual([{ id: "1" }, { id: "2" }]);
});
