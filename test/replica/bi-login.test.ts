/**
 * BI logins on a streaming replica (issue 12, item 6; issue 11, item 6). The test owns a primary cluster and a hot
 * standby made from a base backup of it (`streaming-replica.ts`), loads the CRM — schema, compiled security, demo
 * seed — into the primary, creates role-bound logins (the toolkit's `createRoleBoundLogin`, default settings: read
 * only, SCRAM password) for six personas, and connects the same logins to both servers. Shown here: the replica
 * serves each login exactly the rows and column values the primary does, refuses every write, replays a freeze and
 * an ended grant (the identity helpers read the live tables there too, and write nothing), and refuses a login
 * disabled on the primary. The primary cannot end that login's sessions already open on the replica
 * (`pg_terminate_backend` reaches its own backends only): they live on until ended there, and see no row once the
 * disable is replayed, because `current_user_id` maps a disabled login to no one.
 */
import { Client } from "pg";
import { connectionUrl, createRoleBoundLogin, disableLogin, loginName } from "../../db";
import { PERSONAS } from "../../db/crm/seed";
import { TEST_ADMIN_URL_ENV, type AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import type { PersonaName } from "../crm/table-access";
import { readRelations, relationsIn } from "./relation-reads";
import { startStreamingPair, type StreamingPair } from "./streaming-replica";

/** The BI logins: the analyst, two reps (rick holds a temporary grant), a supervisor, finance and marketing. */
const LOGINS = [
  { username: "ana", role: "analyst" },
  { username: "rita", role: "sales_rep" },
  { username: "rick", role: "sales_rep" },
  { username: "sam", role: "supervisor" },
  { username: "fiona", role: "finance" },
  { username: "mark", role: "marketing" },
] as const;
type Username = (typeof LOGINS)[number]["username"];

const userId = (username: string) => PERSONAS.find((p) => p.username === username)!.id;
const password = (username: Username) => `replica-${username}-not-a-secret`;

let pair: StreamingPair;
let crm: AppTestDatabase;
const open: Client[] = [];

/** The test cluster's major version: the replica runs the same one when this machine has its binaries. */
async function testClusterMajor(): Promise<number> {
  const client = new Client({ connectionString: process.env[TEST_ADMIN_URL_ENV] });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    return Math.floor(Number(rows[0]!.v) / 10_000);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  pair = await startStreamingPair(await testClusterMajor());
  const testCluster = process.env[TEST_ADMIN_URL_ENV];
  process.env[TEST_ADMIN_URL_ENV] = pair.primary.url(); // openCrmDatabase creates its database on the primary
  try {
    crm = await openCrmDatabase();
  } finally {
    process.env[TEST_ADMIN_URL_ENV] = testCluster;
  }
  const admin = await crm.db.pool.connect();
  try {
    for (const l of LOGINS)
      await createRoleBoundLogin(admin, crm.app, {
        username: l.username,
        userId: userId(l.username),
        role: l.role,
        password: password(l.username),
      });
  } finally {
    admin.release();
  }
  await pair.caughtUp();
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((c) => c.end().catch(() => {})));
  await crm?.close();
  await pair?.stop();
});

/** Connects a persona's login to one of the two servers. */
async function connect(server: "primary" | "replica", username: Username): Promise<Client> {
  const client = new Client({
    connectionString: connectionUrl(pair[server].url(crm.db.name), {
      user: loginName(crm.app, username),
      password: password(username),
    }),
  });
  client.on("error", () => {}); // a session ended by the server
  await client.connect();
  open.push(client);
  return client;
}

/** The superuser on one server, in the CRM database. */
async function superuser(server: "primary" | "replica"): Promise<Client> {
  const client = new Client({ connectionString: pair[server].url(crm.db.name) });
  await client.connect();
  open.push(client);
  return client;
}

const customerIds = async (client: Client) =>
  (await client.query<{ id: number }>("select id::int as id from crm.customers order by id")).rows.map((r) => r.id);

const sqlState = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code?: string }) => error.code ?? String(error),
  );

test("the replica is a hot standby streaming from the primary, with the CRM and the logins on it", async () => {
  const replica = await superuser("replica");
  expect((await replica.query("select pg_is_in_recovery() as r")).rows).toEqual([{ r: true }]);
  const primary = await superuser("primary");
  const { rows } = await primary.query("select state, application_name from pg_stat_replication");
  expect(rows).toEqual([{ state: "streaming", application_name: "gatehouse_replica" }]);
  const logins = await replica.query<{ login: string }>(`select login from ${crm.app.toolkitSchema}.logins order by login`);
  expect(logins.rows.map((r) => r.login)).toEqual(LOGINS.map((l) => loginName(crm.app, l.username)).sort());
});

describe.each(LOGINS.map((l) => [l.username, l.role] as const))("%s's login (%s)", (username, role) => {
  test("reads exactly the rows and column values on the replica that it reads on the primary, in every table and view", async () => {
    const admin = await superuser("primary");
    const { rows: schemas } = await admin.query<{ name: string }>(
      "select nspname as name from pg_namespace where nspname = any($1) or nspname like $2",
      [[crm.app.schema, crm.app.toolkitSchema], `${crm.app.schema}\\_%`],
    );
    const relations = await relationsIn(
      admin,
      schemas.map((s) => s.name),
    );
    const onPrimary = await readRelations(await connect("primary", username), relations);
    const onReplica = await readRelations(await connect("replica", username), relations);
    expect(onReplica).toEqual(onPrimary);
    // not an empty comparison: the login reads rows somewhere, and the customers are those the persona may see
    const withRows = Object.values(onPrimary).filter((r) => "rows" in r && r.rows.length > 0);
    expect(withRows.length).toBeGreaterThan(0);
    const expected = customerExpectation(username as PersonaName);
    const replica = await connect("replica", username);
    const { rows } = await replica.query<{ id: number }>(`select id::int as id from ${expected.relation} order by id`);
    expect(rows.map((r) => r.id)).toEqual(expected.ids);
    expect(role).toBe(PERSONAS.find((p) => p.username === username)!.roles[0]);
  });
});

test("the replica refuses every write, even in a transaction the login asks to be read-write", async () => {
  const primary = await connect("primary", "rita");
  await primary.query("begin read write");
  await primary.query("rollback"); // on the primary the login's read-only default is a default
  const replica = await connect("replica", "rita");
  await expect(replica.query("begin read write")).rejects.toThrow("cannot set transaction read-write mode during recovery");
  await replica.query("rollback");
  expect(await sqlState(replica.query("update crm.customers set name = name where id = 2"))).toBe("25006");
  expect(await sqlState(replica.query("insert into crm.follow_ups (customer_id, author_id, body) values (2, 4, 'x')"))).toBe(
    "25006",
  );
  const admin = await superuser("replica");
  expect(await sqlState(admin.query("update crm.customers set name = name where id = 2"))).toBe("25006");
});

test("the identity and column helpers answer on the replica inside a read-only transaction: they write nothing", async () => {
  const replica = await connect("replica", "ana");
  const gatehouse = crm.app.toolkitSchema;
  await replica.query("begin isolation level repeatable read read only");
  const { rows } = await replica.query(
    `select ${gatehouse}.current_user_id(current_user)::int as user_id, ${gatehouse}.current_unit_id(current_user)::int as unit_id,
            (select count(*) from ${gatehouse}.columns_for('customers')) > 0 as has_columns`,
  );
  await replica.query("commit");
  expect(rows).toEqual([{ user_id: 14, unit_id: 2, has_columns: true }]);
});

test("a freeze committed on the primary empties the login's open replica session once replayed; the thaw restores it", async () => {
  const replica = await connect("replica", "ana");
  const before = await customerIds(replica);
  expect(before).toEqual(customerExpectation("ana").ids);
  const freeze = async (status: string) => {
    await crm.db.pool.query("update crm.users set status = $1 where id = $2", [status, userId("ana")]);
    await pair.caughtUp();
  };
  await freeze("frozen");
  try {
    expect(await customerIds(replica)).toEqual([]);
    expect(await customerIds(await connect("replica", "ana"))).toEqual([]);
  } finally {
    await freeze("active");
  }
  expect(await customerIds(replica)).toEqual(before);
});

test("a temporary grant ended on the primary stops showing its row on the replica once replayed", async () => {
  const granted = 8; // roy's Iris Optics, granted to rick for 30 more days (db/crm/seed.ts)
  const replica = await connect("replica", "rick");
  expect(await customerIds(replica)).toContain(granted);
  const setExpiry = async (expiry: string) => {
    await crm.db.pool.query(`update crm.access_grants set expires_at = ${expiry} where id = 1`);
    await pair.caughtUp();
  };
  await setExpiry("now()");
  try {
    expect(await customerIds(replica)).not.toContain(granted);
  } finally {
    await setExpiry("now() + interval '30 days'");
  }
  expect(await customerIds(replica)).toContain(granted);
});

test("a login disabled on the primary cannot log in to the replica; its open replica session, which the primary cannot end, sees nothing once replayed", async () => {
  const login = loginName(crm.app, "rita");
  const onPrimary = await connect("primary", "rita");
  const onReplica = await connect("replica", "rita");
  expect(await customerIds(onReplica)).toEqual(customerExpectation("rita").ids);
  const sessions = (client: Client) =>
    client
      .query<{ n: number }>("select count(*)::int as n from pg_stat_activity where usename = $1", [login])
      .then((r) => r.rows[0]!.n);
  const primarySessions = await sessions(await superuser("primary"));
  const admin = await crm.db.pool.connect();
  const ended = await disableLogin(admin, crm.app, login).finally(() => admin.release());
  await pair.caughtUp();

  expect(ended).toBe(primarySessions); // pg_terminate_backend reaches the primary's backends only
  await expect(onPrimary.query("select 1")).rejects.toThrow(); // terminated
  expect(await sqlState(connect("replica", "rita"))).toBe("28000"); // NOLOGIN is replayed: no new session
  // the session opened on the replica before goes on, but the identity helper maps a disabled login to no one
  expect(await customerIds(onReplica)).toEqual([]);
  const gatehouse = crm.app.toolkitSchema;
  expect((await onReplica.query(`select ${gatehouse}.current_user_id(current_user) as id`)).rows).toEqual([{ id: null }]);

  // what ends it: the same pg_terminate_backend, run on the replica itself
  const replicaAdmin = await superuser("replica");
  const replicaSessions = await sessions(replicaAdmin);
  expect(replicaSessions).toBeGreaterThan(0);
  const { rows } = await replicaAdmin.query(
    "select count(*) filter (where pg_terminate_backend(pid))::int as ended from pg_stat_activity where usename = $1",
    [login],
  );
  expect(rows).toEqual([{ ended: replicaSessions }]);
  await expect(onReplica.query("select 1")).rejects.toThrow(); // terminated
});

test("offboarding on the primary (offboard_user) also empties the login's open replica session once replayed: it freezes the user", async () => {
  const contracts = async (client: Client) =>
    (await client.query<{ n: number }>("select count(*)::int as n from crm.contracts")).rows[0]!.n;
  const onReplica = await connect("replica", "fiona");
  expect(await contracts(onReplica)).toBeGreaterThan(0);
  const admin = await crm.pool.connect(); // adam, through the authenticator as the API server would
  try {
    await admin.query("begin");
    await crm.actAs(admin, { role: "admin", userId: userId("adam") });
    await admin.query("select crm.offboard_user($1, null, 'left the company')", [userId("fiona")]);
    await admin.query("commit");
  } catch (error) {
    await admin.query("rollback");
    throw error;
  } finally {
    admin.release();
  }
  await pair.caughtUp();
  expect(await contracts(onReplica)).toBe(0); // the session lives on (the primary cannot end it) but sees nothing
  expect(await customerIds(onReplica)).toEqual([]);
  expect(await sqlState(connect("replica", "fiona"))).toBe("28000");
});
