/**
 * Fault: a role-bound login is revoked while its BI tool holds a session open, in the middle of a transaction. Whether
 * adam offboards the user over the API or an operator runs `gatehouse login disable`, the session is terminated at
 * once (57P01): the tool's next statement fails, its snapshot is gone, and it cannot log in again.
 *
 * Already covered elsewhere, for idle sessions: test/cli/login.test.ts ("disable ends ana's open session and refuses a
 * new one", "adam offboards ana: …"), test/crm/offboarding.test.ts ("offboarding ana disables her role-bound login and
 * ends its open session at once"). This file adds the open transaction, the API path and the exact error.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { connectionUrl } from "../../db";
import { runCli } from "../cli/cli";
import { openCrmApi, type CrmApi } from "../server/api";

const ROOT = path.join(__dirname, "../..");
let api: CrmApi;
let folder: string | undefined;

beforeAll(async () => {
  api = await openCrmApi();
}, 60_000);

afterAll(async () => {
  await api?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
}, 30_000);

/** A BI tool's session as `username`'s login, with every error event it reports kept. */
async function biSession(username: string, userId: number, role: string) {
  const client = await api.crm.login({ username, userId, role, settings: { readOnly: true } });
  const events: { code?: string; message: string }[] = [];
  client.on("error", (error: Error & { code?: string }) => events.push({ code: error.code, message: error.message }));
  const login = (await client.query<{ login: string }>("select session_user as login")).rows[0]!.login;
  return { client, events, login };
}

/** What connecting again as `login` (with the test helper's password) says. */
async function reconnect(login: string, username: string): Promise<string> {
  const client = new Client({
    connectionString: connectionUrl(api.crm.db.adminUrl, {
      database: api.crm.db.name,
      user: login,
      password: `pw-${username}-not-secret`,
    }),
  });
  try {
    await client.connect();
    await client.end();
    return "connected";
  } catch (error) {
    return (error as Error).message;
  }
}

const sessionsOf = (login: string) =>
  api.crm.root(async (c) => (await c.query("select pid from pg_stat_activity where usename = $1", [login])).rows);

/** Waits (briefly) for the error event a terminated idle session reports. */
async function terminated(events: { code?: string }[]): Promise<void> {
  for (const deadline = Date.now() + 5_000; events.length === 0 && Date.now() < deadline;)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

test("ana's BI tool, mid-way through a repeatable-read report, is cut off when adam offboards her over the API, and she cannot log in again", async () => {
  const ana = await biSession("ana", 14, "analyst");
  await ana.client.query("begin isolation level repeatable read");
  const seen = (await ana.client.query<{ n: number }>("select count(*)::int as n from crm.customers")).rows[0]!.n;
  expect(seen).toBeGreaterThan(0);

  const done = await api.query('mutation { offboardUser(input: { target: "14", reason: "contract ended" }) { result } }', {
    token: await api.token("adam"),
  });
  expect(done).toMatchObject({ status: 200, data: { offboardUser: { result: { "login disabled": ana.login } } } });

  await terminated(ana.events);
  // then, as the socket closes, pg may add "Connection terminated unexpectedly"
  expect(ana.events[0]).toEqual({ code: "57P01", message: "terminating connection due to administrator command" });
  // her snapshot would still show the rows (repeatable read): the transaction is gone instead
  await expect(ana.client.query("select count(*) from crm.customers")).rejects.toThrow(
    "Client has encountered a connection error and is not queryable",
  );
  expect(await sessionsOf(ana.login)).toEqual([]);
  expect(await reconnect(ana.login, "ana")).toBe(`role "${ana.login}" is not permitted to log in`);
});

test("fiona's BI tool, inside an open transaction, is cut off when the operator runs gatehouse login disable fiona, and she cannot log in again", async () => {
  const fiona = await biSession("fiona", 9, "finance");
  await fiona.client.query("begin");
  await fiona.client.query("select id from crm.contracts limit 1");

  // the project's config, for this test database's role prefix
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-revoke-"));
  const config = path.join(folder, "gatehouse.config.ts");
  await writeFile(
    config,
    `import base from ${JSON.stringify(path.join(ROOT, "gatehouse.config"))};
import { defineConfig, withRolePrefix } from ${JSON.stringify(path.join(ROOT, "db"))};
export default defineConfig({ ...base, app: withRolePrefix(base.app, ${JSON.stringify(api.crm.app.rolePrefix)}) });
`,
  );
  const disabled = await runCli(["--config", config, "login", "disable", "fiona"], { DATABASE_URL: api.crm.db.url });
  expect(disabled).toEqual({ code: 0, stdout: `disabled ${fiona.login}; ended 1 open session\n`, stderr: "" });

  await terminated(fiona.events);
  // then, as the socket closes, pg may add "Connection terminated unexpectedly"
  expect(fiona.events[0]).toEqual({ code: "57P01", message: "terminating connection due to administrator command" });
  await expect(fiona.client.query("select 1")).rejects.toThrow("Client has encountered a connection error and is not queryable");
  expect(await sessionsOf(fiona.login)).toEqual([]);
  expect(await reconnect(fiona.login, "fiona")).toBe(`role "${fiona.login}" is not permitted to log in`);
});
