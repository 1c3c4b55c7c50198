/**
 * The API reads a page's row-dependent masks (`mask(..., { unless })`) in one call of the role's many-row mask
 * function, whatever masked fields the query asks for, and never calls the one-row form: counted by PostgreSQL
 * itself (`track_functions`) while the server serves the page.
 */
import { openCrmDatabase } from "../crm/crm-database";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmApi } from "./api";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
  // before the server connects: its sessions count the calls of plpgsql functions
  const { rows } = await crm.db.pool.query<{ db: string }>("select current_database() as db");
  await crm.db.pool.query(`alter database "${rows[0]!.db}" set track_functions = 'pl'`);
});
afterAll(() => crm?.close());

/** Calls of rita's two row mask functions on contacts so far, as the statistics have them. */
async function calls(): Promise<{ one: number; many: number }> {
  const { rows } = await crm.db.pool.query<{ funcname: string; calls: string }>(
    `select funcname, calls from pg_catalog.pg_stat_user_functions
      where schemaname = 'gatehouse' and funcname in ('row_mask_contacts__sales_rep', 'row_masks_contacts__sales_rep')`,
  );
  const of = (name: string) => Number(rows.find((r) => r.funcname === name)?.calls ?? 0);
  return { one: of("row_mask_contacts__sales_rep"), many: of("row_masks_contacts__sales_rep") };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("rita's page of five contacts reads their phone and email in one call of her many-row mask function, none per row", async () => {
  const before = await calls();
  const api = await openCrmApi({ crm });
  try {
    const { data, errors } = await api.query<{ allContacts: { nodes: { rowId: string; phone: string; email: string }[] } }>(
      "{ allContacts(orderBy: PRIMARY_KEY_ASC) { nodes { rowId phone email } } }",
      { token: await api.token("rita") },
    );
    expect(errors).toBeUndefined();
    expect(data!.allContacts.nodes.map((n) => n.rowId)).toEqual(["1", "2", "3", "4", "12"]);
    expect(data!.allContacts.nodes.every((n) => n.phone !== null && n.email !== null)).toBe(true);
  } finally {
    // a session reports its counts when it ends (an idle one only after ten seconds): end the server's
    await api.close();
  }
  for (let waited = 0; waited < 10_000 && (await calls()).many === before.many; waited += 100) await sleep(100);
  const after = await calls();
  expect({ one: after.one - before.one, many: after.many - before.many }).toEqual({ one: 0, many: 1 });
});
