/**
 * Fault: the database restarts while the API server runs. The file runs its own PostgreSQL 17 cluster (in both legs
 * of the suite: the test must stop it), loads the CRM into it and starts the API server in this process. While the
 * database is down a request gets HTTP 503, `Retry-After` and one short error; after the restart the same server,
 * never restarted, answers again with the persona's rows: the pool dropped the connections that died.
 */
import { Client } from "pg";
import { APPLICATION_NAME } from "../../server";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "../server/api";
import { onCluster, startOwnCluster, type OwnCluster } from "./own-cluster";

let pg: OwnCluster;
let crm: AppTestDatabase;
let api: CrmApi;
const logged: unknown[] = [];

beforeAll(async () => {
  pg = await startOwnCluster();
  crm = await onCluster(pg.adminUrl, () => openCrmDatabase());
  // the test's own pools lose their idle connections at each stop too
  crm.pool.on("error", () => {});
  crm.db.pool.on("error", () => {});
  api = await openCrmApi({ crm, log: (_reference, error) => logged.push(error) });
}, 60_000);

afterAll(async () => {
  await api?.server.close().catch(() => {});
  if (pg?.running) await crm?.close().catch(() => {});
  await pg?.remove();
}, 30_000);

const RITAS_PAGE = "{ allCustomers(orderBy: ROW_ID_ASC) { nodes { rowId name } } }";
const RENAME =
  'mutation { updateCustomerByRowId(input: { rowId: "2", customerPatch: { industry: "Bakery" } }) { customer { rowId industry } } }';

/** The raw HTTP answer, headers and body text included. */
async function post(query: string, token: string) {
  const res = await fetch(`${api.server.url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    type: res.headers.get("content-type"),
    body: await res.text(),
  };
}

const UNAVAILABLE = {
  status: 503,
  retryAfter: "5",
  type: "application/json; charset=utf-8",
  body: JSON.stringify({
    errors: [{ message: "the database is unavailable; try again shortly", extensions: { code: "UNAVAILABLE" } }],
  }),
};

async function apiSessions(): Promise<number> {
  const admin = new Client({ connectionString: pg.adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name = $1",
      [APPLICATION_NAME],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}

test("rita's request while the database is down gets 503 with a short message, and her next one after the restart sees her rows", async () => {
  const rita = await api.token("rita");
  const before = await api.query(RITAS_PAGE, { token: rita });
  expect(before.status).toBe(200);
  const ritasRows = before.data!.allCustomers.nodes as { rowId: string }[];
  expect(ritasRows.map((r) => r.rowId)).toEqual(expect.arrayContaining(["1", "2", "3"]));
  expect(await apiSessions()).toBeGreaterThan(0); // idle connections in the pool, about to die

  await pg.stop("fast"); // pg_ctl stop -m fast: every session ends with 57P01 admin_shutdown
  for (let i = 0; i < 3; i++) expect(await post(RITAS_PAGE, rita)).toEqual(UNAVAILABLE);
  // a write is answered the same way
  expect(await post(RENAME, await api.token("adam"))).toEqual(UNAVAILABLE);
  const health = await fetch(`${api.server.url}/health`);
  expect({ status: health.status, body: await health.json() }).toEqual({
    status: 503,
    body: { status: "unavailable", database: "unreachable" },
  });
  expect(logged).toEqual([]); // not an internal error: nothing to look up in the log

  await pg.start();
  expect(await api.query(RITAS_PAGE, { token: rita })).toEqual({ status: 200, data: { allCustomers: { nodes: ritasRows } } });
  expect((await fetch(`${api.server.url}/health`)).status).toBe(200);
});

test("rita's request in flight when the database crashes gets 503, the server lives on, and after the restart adam's write and her read succeed", async () => {
  const rita = await api.token("rita");
  const adam = await api.token("adam");
  expect((await api.query(RITAS_PAGE, { token: rita })).status).toBe(200);

  // hold a lock rita's read must wait for, so her request is inside the database when it goes down
  const locker = new Client({ connectionString: crm.db.url });
  locker.on("error", () => {});
  await locker.connect();
  await locker.query("begin");
  await locker.query("lock table crm.customers in access exclusive mode");
  const inFlight = post(RITAS_PAGE, rita);
  for (const deadline = Date.now() + 10_000; ;) {
    const { rows } = await locker.query(
      "select count(*)::int as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
      [APPLICATION_NAME],
    );
    if (rows[0].n > 0) break;
    if (Date.now() > deadline) throw new Error("rita's request never waited for the lock");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  await pg.stop("immediate"); // pg_ctl stop -m immediate: a crash, every backend gone at once
  expect(await inFlight).toEqual(UNAVAILABLE);
  expect(await post(RITAS_PAGE, rita)).toEqual(UNAVAILABLE);
  await locker.end().catch(() => {});

  await pg.start(); // crash recovery, then the same server answers
  const renamed = await api.query(RENAME, { token: adam });
  expect(renamed).toEqual({ status: 200, data: { updateCustomerByRowId: { customer: { rowId: "2", industry: "Bakery" } } } });
  const after = await api.query(RITAS_PAGE, { token: rita });
  expect(after.status).toBe(200);
  expect((after.data!.allCustomers.nodes as { rowId: string }[]).map((r) => r.rowId)).toEqual(
    expect.arrayContaining(["1", "2", "3"]),
  );
  expect(logged).toEqual([]);
});
