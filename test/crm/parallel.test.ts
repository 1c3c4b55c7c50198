/**
 * The identity helpers are `parallel safe`, so a large read under the rules may run in parallel
 * workers (issue 11: the marketing export and the large counts went serial under the rules while the
 * same reads by hand ran with two workers). These tests make parallel plans free, so the planner
 * puts even the seed's small tables into workers — the helpers then run there, with the request's
 * claims and role restored by PostgreSQL — and require exactly the rows each persona reads normally. They also pin down the claim check that replaced the helper's
 * exception block (a subtransaction, which PostgreSQL 15 and 16 refuse during a parallel query).
 */
import type { ClientBase, PoolClient } from "pg";
import { PERSONAS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing";
import { attempt } from "../../db/testing";
import { column, CRM_TABLES, openCrmDatabase, persona } from "./crm-database";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

/** The ids the current role reads from every crm table it may read, or the refusal's code. */
async function everyTable(c: ClientBase): Promise<Record<string, number[] | string>> {
  const seen: Record<string, number[] | string> = {};
  for (const table of CRM_TABLES) {
    const key =
      table === "user_roles" ? "user_id" : table === "project_customers" || table === "project_members" ? "project_id" : "id";
    const outcome = await attempt(c, `select ${key}::int as id from crm.${table} order by 1`);
    seen[table] = "rows" in outcome ? outcome.rows.map((r) => r.id as number) : outcome.code;
  }
  return seen;
}

/** Parallel plans made free, so the planner runs even the seed's small tables in workers where it can. */
const PARALLEL_FREE = ["parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"] as const;

const inWorkers = async <T>(c: PoolClient, read: () => Promise<T>): Promise<T> => {
  for (const setting of PARALLEL_FREE) await c.query(`select set_config('${setting}', '0', true)`);
  try {
    return await read();
  } finally {
    for (const setting of PARALLEL_FREE) await c.query(`reset ${setting}`);
  }
};

describe("reads under the rules run in parallel workers with the same answer", () => {
  test("rita's count of her customers runs in parallel workers, in a savepoint as the other tests read, and counts her 7 customers", async () => {
    await crm.as(persona("rita"), async (c) => {
      const plan = await inWorkers(c, () => attempt(c, "explain (costs off) select count(*) from crm.customers"));
      expect("rows" in plan && plan.rows.map((r) => r["QUERY PLAN"] as string).join("\n")).toMatch(/Gather/);
      expect(await inWorkers(c, () => column<number>(c, "select count(*)::int from crm.customers"))).toEqual([7]);
    });
  });

  test.each(PERSONAS.map((p) => [p.username, p.roles[0]!] as const))(
    "%s (%s) reads exactly the same rows of every crm table in parallel workers as without them",
    async (username) => {
      await crm.as(persona(username), async (c) => {
        const serial = await everyTable(c);
        expect(await inWorkers(c, () => everyTable(c))).toEqual(serial);
      });
    },
  );

  test("olga, frozen, still reads no customer in parallel workers, where rita reads hers", async () => {
    await crm.as(persona("olga"), async (c) => {
      expect(await inWorkers(c, () => column<number>(c, "select count(*)::int from crm.customers"))).toEqual([0]);
    });
    expect(await crm.root((c) => column<number>(c, "select count(*)::int from crm.customers where owner_id = 17"))).toEqual([2]);
  });
});

describe("a user id claim the authenticator passes on is checked, not cast blindly", () => {
  const claimed = (claim: string) =>
    crm.as(persona("rita"), async (c) => {
      await c.query("select set_config('jwt.claims.user_id', $1, true)", [claim]);
      return column<number | null>(c, "select gatehouse.current_user_id(current_user)::int");
    });

  test("rita's own id gives her identity, in parallel workers too", async () => {
    const id = persona("rita").userId;
    expect(await claimed(String(id))).toEqual([id]);
    expect(
      await crm.as(persona("rita"), (c) =>
        inWorkers(c, () => column<number>(c, "select gatehouse.current_user_id(current_user)::int")),
      ),
    ).toEqual([id]);
  });

  test.each([
    ["empty", ""],
    ["not a number", "rita"],
    ["an injection attempt", "15; drop table crm.customers"],
    ["negative", "-15"],
    ["padded", " 15"],
    ["past bigint", "99999999999999999999"],
    ["a decimal", "15.0"],
  ])("a claim that is %s gives no identity and no error", async (_what, claim) => {
    expect(await claimed(claim)).toEqual([null]);
  });
});
