/**
 * Attack suite, SQL level: one pooled connection of the authenticator serves request after request, as the API server
 * does. State a request leaves on it — prepared statements and their cached plans, cursors, session settings — must not
 * carry one persona's rows or identity into another's request. Every test fails if the attack works; KNOWN LIMIT names
 * what PostgreSQL keeps on a connection by design.
 */
import type { PoolClient } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { ids, refused } from "./sql-support";

let crm: AppTestDatabase;
const RITA = customerExpectation("rita").ids;
const ROY = customerExpectation("roy").ids;

beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const role = (r: string) => roleName(crm.app, r);

/** One connection of the authenticator's pool, thrown away afterwards (its state is what the tests change). */
async function onOneConnection(fn: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await crm.pool.connect();
  try {
    await fn(client);
  } finally {
    await client.query("rollback").catch(() => undefined);
    client.release(true);
  }
}

/** Runs `fn` as one request of `who` on `client`: its own transaction, rolled back. */
async function request<T>(client: PoolClient, who: ReturnType<typeof persona>, fn: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    await crm.actAs(client, who);
    return await fn();
  } finally {
    await client.query("rollback");
  }
}

test("S-POOL-01 a statement prepared in rita's request and executed in roy's next request on the same connection shows roy's rows", async () => {
  await onOneConnection(async (c) => {
    const mine = await request(c, persona("rita"), async () => {
      await c.query("prepare customers_page as select id from crm.customers order by id");
      return ids(c, "execute customers_page");
    });
    expect(mine).toEqual(RITA);
    expect(await request(c, persona("roy"), () => ids(c, "execute customers_page"))).toEqual(ROY);
    // and with the driver's own named statements, as PostGraphile prepares them
    const named = { name: "attack_named", text: "select id from crm.customers order by id" };
    expect(
      await request(c, persona("rita"), () =>
        ids(c, named.text).then(() => c.query(named).then((r) => r.rows.map((x) => Number(x.id)))),
      ),
    ).toEqual(RITA);
    expect(await request(c, persona("roy"), () => c.query(named).then((r) => r.rows.map((x) => Number(x.id))))).toEqual(ROY);
  });
});

test("S-POOL-02 a generic plan cached over six of rita's executions is not reused for roy: roy's request shows roy's rows", async () => {
  await onOneConnection(async (c) => {
    await c.query("set plan_cache_mode = force_generic_plan");
    await request(c, persona("rita"), () =>
      c.query("prepare by_stage(text) as select id from crm.customers where stage <> $1 order by id"),
    );
    for (let i = 0; i < 6; i++)
      expect(await request(c, persona("rita"), () => ids(c, "execute by_stage('nothing')"))).toEqual(RITA);
    expect(await request(c, persona("roy"), () => ids(c, "execute by_stage('nothing')"))).toEqual(ROY);
    expect(await request(c, persona("rita"), () => ids(c, "execute by_stage('nothing')"))).toEqual(RITA);
  });
});

test("S-POOL-03 a statement prepared by rita selecting the name, executed in ana's analyst request, is refused: privileges are checked at execution", async () => {
  await onOneConnection(async (c) => {
    await request(c, persona("rita"), async () => {
      await c.query("prepare with_names as select id, name from crm.customers order by id");
      expect((await c.query("execute with_names")).rows.length).toBe(RITA.length);
    });
    const refusal = await request(c, persona("ana"), () => refused(c, "execute with_names"));
    expect(refusal).toEqual({ code: "42501", message: "permission denied for table customers" });
  });
});

test("S-POOL-04 a statement prepared in rita's request, executed after switching to roy within the same transaction, shows roy's rows", async () => {
  await onOneConnection(async (c) => {
    await c.query("begin");
    await crm.actAs(c, persona("rita"));
    await c.query("prepare same_tx as select id from crm.customers order by id");
    expect(await ids(c, "execute same_tx")).toEqual(RITA);
    await crm.actAs(c, persona("roy"));
    expect(await ids(c, "execute same_tx")).toEqual(ROY);
    await c.query("rollback");
  });
});

test("S-POOL-05 a cursor rita declares but has not read, read after switching to roy in the same transaction, shows roy's rows, not hers", async () => {
  await onOneConnection(async (c) => {
    await c.query("begin");
    await crm.actAs(c, persona("rita"));
    await c.query("declare pending cursor for select id from crm.customers order by id");
    await crm.actAs(c, persona("roy"));
    const fetched = await ids(c, "fetch all from pending");
    await c.query("rollback");
    expect(fetched).not.toEqual(expect.arrayContaining([1]));
    expect(fetched).toEqual(ROY);
  });
});

test("S-POOL-06 KNOWN LIMIT: a cursor WITH HOLD that rita's request filled keeps her rows on the connection after commit; DISCARD ALL (or CLOSE ALL) ends it before roy's request", async () => {
  await onOneConnection(async (c) => {
    await c.query("begin");
    await crm.actAs(c, persona("rita"));
    await c.query("declare held cursor with hold for select id from crm.customers order by id");
    await c.query("commit");
    // what is left: rows materialised as rita at her commit; the server declares no cursor, and this is why
    await c.query("begin");
    await crm.actAs(c, persona("roy"));
    expect(await ids(c, "fetch 2 from held")).toEqual(RITA.slice(0, 2));
    await c.query("rollback");
    await c.query("discard all");
    await c.query("begin");
    await crm.actAs(c, persona("roy"));
    expect(await refused(c, "fetch 1 from held")).toEqual({ code: "34000", message: 'cursor "held" does not exist' });
    await c.query("rollback");
  });
});

test("S-POOL-07 claims and role of rita's request end with it: the next transaction on the connection is the bare authenticator, which reads nothing", async () => {
  await onOneConnection(async (c) => {
    await request(c, persona("rita"), async () => expect(await ids(c, "select id from crm.customers order by id")).toEqual(RITA));
    const { rows } = await c
      .query(
        "select current_user::text as u, coalesce(current_setting('jwt.claims.user_id', true), '') as claim, gatehouse.current_user_id(current_user) as id",
      )
      .catch((e: { code: string; message: string }) => ({ rows: [{ code: e.code, message: e.message }] }));
    expect(rows).toEqual([{ code: "42501", message: "permission denied for function current_user_id" }]);
    expect(
      (await c.query("select current_user::text as u, coalesce(current_setting('jwt.claims.user_id', true), '') as claim")).rows,
    ).toEqual([{ u: role("authenticator"), claim: "" }]);
    expect(await refused_outside(c, "select id from crm.customers")).toEqual({
      code: "42501",
      message: "permission denied for schema crm",
    });
  });
});

test("S-POOL-08 a claim left at session level on the connection (dana's id, set without is_local) is overridden by the next request's own claims", async () => {
  await onOneConnection(async (c) => {
    await c.query("select set_config('jwt.claims.user_id', '1', false)");
    expect(await request(c, persona("rita"), () => ids(c, "select id from crm.customers order by id"))).toEqual(RITA);
    // and a request that set no claim of its own (a bug in a server) finds dana's id but not her role: it sees nothing as rita's role
    await c.query("begin");
    await c.query(`set local role "${role("sales_rep")}"`);
    expect(await ids(c, "select id from crm.customers")).toEqual([]);
    await c.query("rollback");
  });
});

async function refused_outside(c: PoolClient, text: string) {
  await c.query("begin");
  try {
    return await refused(c, text);
  } finally {
    await c.query("rollback");
  }
}
