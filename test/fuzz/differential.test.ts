/**
 * Differential fuzzing (issue 12): random CRM worlds, every persona's reads and a sample of writes, PostgreSQL's
 * answer against the reference evaluator's (test/fuzz/reference/), which reads only the definitions. A fixed seed
 * keeps CI repeatable; `npm run fuzz -- --worlds 10000` runs the long version.
 */
import type { AppTestDatabase } from "../../db/testing";
import { crm } from "../../db/crm/roles";
import { openCrmDatabase } from "../crm/crm-database";
import { fuzz } from "./fuzz";
import { comparePrivileges } from "./privileges";
import { readSchema } from "./schema";

const SEED = 20_261_130;
const WORLDS = 150;

let db: AppTestDatabase;
beforeAll(async () => {
  db = await openCrmDatabase();
}, 120_000);
afterAll(() => db?.close());

test(`every persona of ${WORLDS} random worlds sees exactly the rows and column values the reference evaluator allows, and each write ends as it says`, async () => {
  const result = await fuzz(db, { worlds: WORLDS, seed: SEED });
  if (result.failure) throw new Error(result.failure);
  expect(result.worlds).toBe(WORLDS);
  // not vacuous: rows both seen and hidden, and writes of every outcome
  const { seen, hidden, writes } = result.tally;
  expect(Math.min(seen, hidden, writes.changed, writes.untouched, writes.refused)).toBeGreaterThan(0);
}, 300_000);

test("every role holds on every table exactly the column privileges the reference evaluator derives from its definitions", async () => {
  const disagreements = await db.root(async (c) => comparePrivileges(c, crm, db.app, await readSchema(c, crm.schema), []));
  expect(disagreements).toEqual([]);
});
