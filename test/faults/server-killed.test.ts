/**
 * Fault: the API server is killed (SIGKILL) in the middle of a mutation. The server runs as a process of its own
 * (`test/faults/serve.ts`, what `server/main.ts` does); adam's offboarding of rick writes several rows in one
 * transaction (rick frozen, his customers moved, his grant and membership ended, an audit row for each). The test
 * holds a lock on one of rick's customers, so the server's transaction stops half-way, with rows already written;
 * then the server is killed. As root: nothing of it is visible, then or ever; once the lock goes the orphaned backend
 * notices its client is gone and rolls back, leaving no session, lock or open transaction; the audit chain is intact
 * and the same offboarding, done again, succeeds whole.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Client } from "pg";
import { freePort, roleName, verifyAuditLog } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { APPLICATION_NAME, signDevToken } from "../../server";
import { openCrmDatabase } from "../crm/crm-database";
import { postGraphQL, TEST_AUTH } from "../server/api";

const ROOT = path.join(__dirname, "../..");
let crm: AppTestDatabase;
let server: ChildProcess | undefined;
let serverOutput = "";
let locker: Client | undefined;

beforeAll(async () => {
  crm = await openCrmDatabase();
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  await locker?.end().catch(() => {});
  await crm?.close();
}, 30_000);

/** Starts the API server as a child process on a free port; resolves with its URL once it listens. */
async function startServerProcess(): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ["-r", "tsx/cjs", path.join(__dirname, "serve.ts")], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      GATEHOUSE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: String(port),
      AUTHENTICATOR_DATABASE_URL: crm.authenticatorUrl,
      JWT_SECRET: TEST_AUTH.secret,
      JWT_AUDIENCE: TEST_AUTH.audience,
      JWT_ISSUER: TEST_AUTH.issuer,
      RURU: "off",
      FAULT_ROLE_PREFIX: crm.app.rolePrefix,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  child.stdout!.on("data", (chunk: Buffer) => (serverOutput += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (serverOutput += chunk.toString()));
  for (const deadline = Date.now() + 60_000; !serverOutput.includes("GraphQL API listening on");) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${serverOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return `http://127.0.0.1:${port}`;
}

async function asRoot<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: crm.db.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const RICK = 5;
const RITA = 4;

/** Everything adam's offboarding of rick changes, and the audit trail's length, as root sees them. */
const offboardingState = () =>
  asRoot(async (c) => ({
    rick: (await c.query("select status from crm.users where id = $1", [RICK])).rows,
    customers: (await c.query("select id, owner_id from crm.customers order by id")).rows,
    grants: (await c.query("select * from crm.access_grants order by 1")).rows,
    members: (await c.query("select * from crm.project_members order by 1, 2")).rows,
    audit: (await c.query(`select count(*)::int as rows, max(id) as last from ${crm.app.toolkitSchema}.audit_log`)).rows,
  }));

/** The server's sessions, what they wait for, and the locks they hold. */
const serverSessions = () =>
  asRoot(async (c) => ({
    sessions: (
      await c.query<{ pid: number; state: string; wait: string | null; xact: boolean }>(
        "select pid, state, wait_event_type as wait, xact_start is not null as xact from pg_stat_activity where application_name = $1 and datname = current_database()",
        [APPLICATION_NAME],
      )
    ).rows,
    locks: (
      await c.query<{ pid: number; relation: string | null; mode: string }>(
        "select l.pid, l.relation::regclass::text as relation, l.mode from pg_locks l join pg_stat_activity a using (pid) where a.application_name = $1 and l.granted",
        [APPLICATION_NAME],
      )
    ).rows,
  }));

const OFFBOARD = `mutation { offboardUser(input: { target: "${RICK}", successor: "${RITA}", reason: "left the company" }) { result } }`;

test("adam's offboarding of rick is cut off by killing the server mid-transaction: root sees nothing of it, and no session or lock is left", async () => {
  const url = await startServerProcess();
  const adam = await signDevToken(TEST_AUTH, { userId: 15, role: roleName(crm.app, "admin") });
  const before = await offboardingState();
  expect(before.rick).toEqual([{ status: "active" }]);
  expect(before.customers.filter((r) => Number(r.owner_id) === RICK).length).toBeGreaterThan(2);

  // hold one of rick's customers, so the offboarding stops half-way, after freezing him
  locker = new Client({ connectionString: crm.db.url });
  await locker.connect();
  await locker.query("begin");
  const held = (
    await locker.query("select id from crm.customers where owner_id = $1 order by id desc limit 1 for update", [RICK])
  ).rows[0].id;
  const request = postGraphQL(url, OFFBOARD, { token: adam }).then(
    () => "answered",
    (error: Error) => `failed: ${error.message}`,
  );

  let midway: Awaited<ReturnType<typeof serverSessions>> | undefined;
  for (const deadline = Date.now() + 15_000; ;) {
    const now = await serverSessions();
    if (now.sessions.some((s) => s.wait === "Lock")) {
      midway = now;
      break;
    }
    if (Date.now() > deadline) throw new Error(`the offboarding never waited for customer ${held}:\n${serverOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const writer = midway.sessions.find((s) => s.wait === "Lock")!;
  expect(writer.xact).toBe(true);
  // it has written already: rick's row (row-exclusive on crm.users) and its audit row
  const written = midway.locks.filter((l) => l.pid === writer.pid && l.mode === "RowExclusiveLock").map((l) => l.relation);
  expect(written).toEqual(expect.arrayContaining(["crm.users", `${crm.app.toolkitSchema}.audit_log`]));

  server!.kill("SIGKILL");
  await new Promise((resolve) => server!.once("exit", resolve));
  expect(await request).toMatch(/^failed: /); // the client sees the connection drop, no answer

  // uncommitted: invisible to root at once, although the orphaned backend still waits for the lock
  expect(await offboardingState()).toEqual(before);
  expect((await serverSessions()).sessions.map((s) => s.pid)).toContain(writer.pid);

  await locker.query("rollback");
  // the backend runs on, finds its client gone when it answers, and rolls back
  for (const deadline = Date.now() + 15_000; ;) {
    const left = await serverSessions();
    if (left.sessions.length === 0 && left.locks.length === 0) break;
    if (Date.now() > deadline) throw new Error(`the killed server's sessions remain: ${JSON.stringify(left)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(await offboardingState()).toEqual(before);
  expect(await asRoot((c) => c.query("select count(*)::int as n from pg_locks where not granted").then((r) => r.rows[0].n))).toBe(
    0,
  );
  expect(await asRoot((c) => verifyAuditLog(c, crm.app))).toMatchObject({ intact: true });
});

test("adam's offboarding of rick, done again afterwards, succeeds whole: nothing half-written stands in its way", async () => {
  // as the API would run it (authenticator, adam's role and claims), committed
  const authenticator = new Client({ connectionString: crm.authenticatorUrl });
  await authenticator.connect();
  try {
    await authenticator.query("begin");
    await authenticator.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', '15', true)", [
      roleName(crm.app, "admin"),
    ]);
    await authenticator.query("select crm.offboard_user($1, $2, 'left the company')", [RICK, RITA]);
    await authenticator.query("commit");
  } finally {
    await authenticator.end();
  }
  const after = await offboardingState();
  expect(after.rick).toEqual([{ status: "frozen" }]);
  expect(after.customers.filter((r) => Number(r.owner_id) === RICK)).toEqual([]);
  expect(await asRoot((c) => verifyAuditLog(c, crm.app))).toMatchObject({ intact: true });
});
