import { Client } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// The public pool (publicPool("customers") in db/crm/roles.ts): reps claim unowned customers of their unit tree,
// at most 5 a day, and release their own. Pool customers 16 (East-1), 17 (East-2) and 18 (West-1).

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const RITA = persona("rita");

test("rita claims pool customer 16 of East-1: she owns it", async () => {
  const seen = await crm.as(RITA, async (c) => {
    const claimed = await column(c, "select crm.claim_customer(16)::int");
    const owner = await column(c, "select owner_id::int from crm.customers where id = 16");
    return { claimed, owner };
  });
  expect(seen).toEqual({ claimed: [16], owner: [4] });
});

test("rita cannot claim customer 18 of West-1, outside her unit tree, nor customer 4, which rick owns", async () => {
  await expect(crm.as(RITA, (c) => c.query("select crm.claim_customer(18)"))).rejects.toThrow(
    "gatehouse: customers 18 is not in the pool for you: claimed already, or not one you may claim",
  );
  await expect(crm.as(RITA, (c) => c.query("select crm.claim_customer(4)"))).rejects.toThrow(
    "gatehouse: customers 4 is not in the pool for you",
  );
  expect(await crm.root((c) => column(c, "select owner_id::int from crm.customers where id in (4, 18) order by id"))).toEqual([
    5,
    null,
  ]);
});

test("rita releases her customer 2 to the pool; she cannot release rick's customer 4", async () => {
  const owner = await crm.as(RITA, async (c) => {
    await c.query("select crm.release_customer(2)");
    return column(c, "select owner_id from crm.customers where id = 2");
  });
  expect(owner).toEqual([null]);
  await expect(crm.as(RITA, (c) => c.query("select crm.release_customer(4)"))).rejects.toThrow(
    "gatehouse: customers 4 is not yours to release",
  );
  expect(await crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 4"))).toEqual([5]);
});

test("a rep's sixth claim of the day is refused: the daily limit is 5", async () => {
  const result = await crm.as(RITA, async (c) => {
    const step = (sql: string) => c.query(sql);
    await step("select crm.release_customer(2)");
    await step("select crm.release_customer(3)");
    await step("select crm.claim_customer(2)"); // 1
    await step("select crm.claim_customer(3)"); // 2
    for (let i = 3; i <= 5; i++) {
      await step("select crm.claim_customer(16)"); // 3, 4, 5
      await step("select crm.release_customer(16)");
    }
    return step("select crm.claim_customer(16)").then(
      () => "accepted",
      (e: Error) => e.message,
    );
  });
  expect(result).toBe("gatehouse: you have claimed 5 customers today, the daily limit: claim again tomorrow");
  expect(await crm.root((c) => column(c, "select owner_id from crm.customers where id = 16"))).toEqual([null]);
});

test("sam's claims count separately, and fiona (finance) may not claim", async () => {
  expect(await crm.as(persona("sam"), (c) => column(c, "select crm.claim_customer(16)::int"))).toEqual([16]);
  await expect(crm.as(persona("fiona"), (c) => c.query("select crm.claim_customer(16)"))).rejects.toThrow(
    "permission denied for function claim_customer",
  );
});

test("of eight reps claiming customer 16 at once, on eight connections, exactly one wins", async () => {
  const reps = ["rita", "rick", "rita", "rick", "rita", "rick", "rita", "rick"].map((u) => persona(u));
  const url = (crm.pool as unknown as { options: { connectionString: string } }).options.connectionString;
  const clients = await Promise.all(
    reps.map(async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  try {
    for (const [i, c] of clients.entries()) {
      await c.query("begin");
      await c.query(`set local role "${roleName(crm.app, reps[i]!.role)}"`);
      await c.query("select set_config('jwt.claims.user_id', $1, true)", [String(reps[i]!.userId)]);
    }
    const outcomes = await Promise.all(
      clients.map((c) =>
        c.query("select crm.claim_customer(16)").then(
          async () => {
            await c.query("commit");
            return "won";
          },
          async (e: Error) => {
            await c.query("rollback");
            return e.message;
          },
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
    expect(new Set(outcomes.filter((o) => o !== "won"))).toEqual(
      new Set(["gatehouse: customers 16 is not in the pool for you: claimed already, or not one you may claim"]),
    );
    const owner = await crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 16"));
    expect([4, 5]).toContain(owner[0]);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await crm.db.pool.query("update crm.customers set owner_id = null where id = 16");
  }
});
