import { roleName, createRoleBoundLogin } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const memberships = (login: string) =>
  crm.root((c) =>
    column(
      c,
      `select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles l on l.oid = m.member
        where l.rolname = $1 order by 1`,
      [login],
    ),
  );

test("ana's login, remapped from analyst to finance, holds only the finance role and acts as it", async () => {
  const analyst = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  const login = (await analyst.query("select session_user as login")).rows[0].login as string;
  expect(await memberships(login)).toEqual([roleName(crm.app, "analyst")]);
  expect(await crm.root((c) => column(c, "select role from gatehouse.logins where login = $1", [login]))).toEqual(["analyst"]);

  const finance = await crm.login({ username: "ana", userId: 9, role: "finance" });
  expect(await memberships(login)).toEqual([roleName(crm.app, "finance")]);
  const seen = await finance.query("select id::int from crm.customers order by id");
  expect(seen.rows.map((r) => r.id)).toEqual(customerExpectation("fiona").ids);
  expect(await crm.root((c) => column(c, "select user_id::int from gatehouse.logins where login = $1", [login]))).toEqual([9]);
});

test("ana's login carries the default session limits: 5 min a statement, 1 min idle in a transaction", async () => {
  const ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  const { rows } = await ana.query(
    "select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle",
  );
  expect(rows).toEqual([{ statement: "5min", idle: "1min" }]);
  const version = Number((await ana.query("select current_setting('server_version_num') as v")).rows[0].v);
  if (version >= 170000)
    expect((await ana.query("select current_setting('transaction_timeout') as t")).rows).toEqual([{ t: "15min" }]);
});

describe("ana frozen while her BI tool holds a transaction open", () => {
  const freeze = (status: "frozen" | "active") => crm.db.pool.query("update crm.users set status = $1 where id = 14", [status]);
  afterEach(() => freeze("active"));

  test("in read committed, her next statement shows nothing", async () => {
    const ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
    await ana.query("begin");
    const before = (await ana.query("select count(*)::int as n from crm.customers")).rows[0].n as number;
    await freeze("frozen");
    const after = (await ana.query("select count(*)::int as n from crm.customers")).rows[0].n as number;
    await ana.query("rollback");
    expect([before, after]).toEqual([customerExpectation("ana").ids.length, 0]);
  });

  test("in repeatable read, the transaction keeps its snapshot until it ends; the next one shows nothing", async () => {
    const ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
    await ana.query("begin isolation level repeatable read");
    const before = (await ana.query("select count(*)::int as n from crm.customers")).rows[0].n as number;
    await freeze("frozen");
    const during = (await ana.query("select count(*)::int as n from crm.customers")).rows[0].n as number;
    await ana.query("commit");
    const next = (await ana.query("select count(*)::int as n from crm.customers")).rows[0].n as number;
    expect([before, during, next]).toEqual([customerExpectation("ana").ids.length, customerExpectation("ana").ids.length, 0]);
    expect(await crm.root((c) => column(c, "select status from crm.users where id = 14"))).toEqual(["frozen"]);
  });
});

test("createRoleBoundLogin with the defaults: read-only, 5 sessions, and the password sent only as a SCRAM verifier", async () => {
  const password = "a password that must not travel";
  const sent: string[] = [];
  const c = await crm.db.pool.connect(); // createRoleBoundLogin runs its own transaction, which commits
  const created = await (async () => {
    const recording = Object.create(c) as typeof c;
    recording.query = ((text: unknown, ...rest: unknown[]) => {
      sent.push(typeof text === "string" ? text : JSON.stringify(text));
      return (c.query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as typeof c.query;
    const login = await createRoleBoundLogin(recording, crm.app, { username: "lena", userId: 10, role: "legal", password });
    const { rows } = await c.query(
      `select r.rolconnlimit, s.setconfig, a.rolpassword like 'SCRAM-SHA-256$4096:%' as scram
         from pg_roles r join pg_authid a on a.oid = r.oid
         left join pg_db_role_setting s on s.setrole = r.oid and s.setdatabase = 0
        where r.rolname = $1`,
      [login.login],
    );
    return rows;
  })().finally(() => c.release());
  expect(created).toEqual([
    {
      rolconnlimit: 5,
      scram: true,
      setconfig: expect.arrayContaining(["default_transaction_read_only=on", "statement_timeout=300000"]),
    },
  ]);
  expect(sent.some((text) => text.includes("SCRAM-SHA-256$4096:"))).toBe(true);
  expect(sent.filter((text) => text.includes(password))).toEqual([]);
});
