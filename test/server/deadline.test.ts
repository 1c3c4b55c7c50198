/**
 * The per-request deadline (REQUEST_TIMEOUT_MS): one request's statements together stop at the deadline, whatever
 * each statement's own timeout, and other users' requests go on.
 */
import { Client, Pool } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { deadlineClient, withDeadline } from "../../server";
import { column, openCrmDatabase } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmApi, type CrmApi } from "./api";

let crm: AppTestDatabase;
let api: CrmApi;
const DEADLINE_MS = 1_200;
const STATEMENT_MS = 5_000;

beforeAll(async () => {
  crm = await openCrmDatabase();
  // a report that takes `seconds`, only the admin may run it; `tag` makes each alias its own statement
  await crm.db.pool.query(`create function crm.pause(seconds float8, tag integer) returns integer language sql stable
      as 'select tag from pg_sleep(seconds)';
    revoke all on function crm.pause(float8, integer) from public;
    grant execute on function crm.pause(float8, integer) to "${roleName(crm.app, "admin")}"`);
  api = await openCrmApi({ crm, poolMax: 4, limits: { requestTimeoutMs: DEADLINE_MS, statementTimeoutMs: STATEMENT_MS } });
});
afterAll(async () => {
  await api?.close();
  await crm?.close();
});

const timed = async <T>(fn: () => Promise<T>) => {
  const started = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - started };
};
const codes = (errors: { extensions?: Record<string, unknown> }[] | undefined) =>
  [...new Set((errors ?? []).map((e) => e.extensions?.code))].sort();

test("adam's single three-second report stops at the 1.2 s request deadline, not at its 5 s statement timeout", async () => {
  const adam = await api.token("adam");
  const report = await timed(() => api.query("{ pause(seconds: 3, tag: 1) }", { token: adam }));
  expect(report.result.data).toEqual({ pause: null });
  expect(report.result.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    [`the request ran past its deadline of ${DEADLINE_MS} ms and was stopped`, "REQUEST_TIMEOUT"],
  ]);
  expect(report.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
  expect(report.ms).toBeLessThan(2_800);
});

test("adam's bomb of twenty slow aliases is stopped at the deadline as a whole; rita's page answers meanwhile", async () => {
  // four connections, twenty one-second statements: five rounds, 5 s without the deadline
  const bomb = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: pause(seconds: 1, tag: ${i})`).join(" ")} }`;
  const [adam, rita] = await Promise.all([api.token("adam"), api.token("rita")]);
  const [stopped, page] = await Promise.all([
    timed(() => api.query<Record<string, number | null>>(bomb, { token: adam })),
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return timed(() =>
        api.query<{ allCustomers: { nodes: { rowId: string }[] } }>("{ allCustomers { nodes { rowId } } }", { token: rita }),
      );
    })(),
  ]);
  expect(stopped.ms).toBeLessThan(DEADLINE_MS + 1_800);
  const answered = Object.values(stopped.result.data!).filter((v) => v !== null);
  expect(answered.length).toBeLessThanOrEqual(8);
  expect(codes(stopped.result.errors)).toEqual(["REQUEST_TIMEOUT"]);
  expect(stopped.result.errors!.length).toBe(20 - answered.length);
  expect(page.result.errors).toBeUndefined();
  expect(page.result.data!.allCustomers.nodes.map((n) => Number(n.rowId)).sort((a, b) => a - b)).toEqual(
    customerExpectation("rita").ids,
  );
  expect(page.ms).toBeLessThan(DEADLINE_MS + 1_800);
});

test("after a stopped request every connection of the server is back in the pool, none left in a transaction", async () => {
  await api.query("{ a: pause(seconds: 2, tag: 1) b: pause(seconds: 2, tag: 2) }", { token: await api.token("adam") });
  const states = await crm.root((c) =>
    column<string>(c, "select coalesce(state, '') from pg_stat_activity where application_name = 'gatehouse-api' order by 1"),
  );
  expect(states.filter((s) => s !== "idle")).toEqual([]);
  const { data } = await api.query<{ allCustomers: { totalCount: number } }>("{ allCustomers { totalCount } }", {
    token: await api.token("rita"),
  });
  expect(data).toEqual({ allCustomers: { totalCount: customerExpectation("rita").ids.length } });
});

describe("the deadline client, on a connection of its own", () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: crm.db.url, max: 1, Client: deadlineClient(Client) });
  });
  afterAll(() => pool?.end());

  test("a statement started with 300 ms left is cancelled then; the next is refused unsent; rollback still runs", async () => {
    const client = await pool.connect();
    try {
      const outcome = await withDeadline({ ms: 300, statementMs: STATEMENT_MS }, async () => {
        await client.query("begin");
        await client.query("select set_config('statement_timeout', '5000', true)");
        const sleep = await timed(() =>
          client.query("select pg_sleep(3)").then(
            () => "ran",
            (e: Error) => e.message,
          ),
        );
        const next = await client.query("select 1").then(
          () => "ran",
          (e: Error) => e.message,
        );
        await client.query("rollback");
        return { sleep, next };
      });
      expect(outcome.sleep.result).toBe("the request ran past its deadline of 300 ms and was stopped");
      expect(outcome.sleep.ms).toBeLessThan(2_000);
      expect(outcome.next).toBe("the request ran past its deadline of 300 ms and was stopped");
      const after = await client.query(
        "select current_setting('statement_timeout') as t, pg_catalog.txid_current_if_assigned() as x",
      );
      expect(after.rows).toEqual([{ t: "0", x: null }]);
    } finally {
      client.release();
    }
  });

  test("outside a request the client sends its statements as they are", async () => {
    const { rows } = await pool.query("select 1 as one from pg_sleep(0.4)");
    expect(rows).toEqual([{ one: 1 }]);
  });
});
