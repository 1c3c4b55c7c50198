import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "./api";

// The API server's activity record (server/activity.ts, gatehouse.activity and record_activity from
// db/compile/emit/activity.ts): requests with real tokens, counted per user, role and hour; only the authenticator
// may record, through the function, and nobody reads or writes the table directly.

let crm: AppTestDatabase;
let api: CrmApi | undefined;

beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(async () => {
  await api?.close();
  await crm?.close();
});

const HOUR = 3_600_000;
const rows = async () =>
  (
    await crm.db.pool.query(
      "select user_id::int, acting_role::text, hour, requests from gatehouse.activity order by user_id, hour",
    )
  ).rows;
const role = (name: string) => `${crm.app.rolePrefix}${name}`;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return read();
}

test("rita's and rick's requests are recorded per user and hour: the first of the hour at once, a second one only as a count, added when the server stops; anonymous requests are not; a failure to record fails no request and is logged once until recording works again", async () => {
  api = await openCrmApi({ crm });
  const rita = await api.token("rita");
  const hour = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  expect((await api.query("{ __typename }", { token: rita })).status).toBe(200);
  expect(await until(rows, (r) => r.length === 1)).toEqual([{ user_id: 4, acting_role: role("sales_rep"), hour, requests: 1 }]);
  expect((await api.query("{ __typename }", { token: rita })).status).toBe(200);
  expect((await api.query("{ __typename }")).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await rows()).toEqual([{ user_id: 4, acting_role: role("sales_rep"), hour, requests: 1 }]);
  expect((await api.query("{ __typename }", { token: await api.token("rick") })).status).toBe(200);
  await until(rows, (r) => r.length === 2);

  const fn = "gatehouse.record_activity(bigint, name, timestamptz, integer)";
  await crm.db.pool.query(`revoke execute on function ${fn} from ${role("authenticator")}`);
  const logged = jest.spyOn(console, "error").mockImplementation(() => {});
  try {
    for (const user of ["roy", "wendy", "sam"])
      expect((await api.query("{ __typename }", { token: await api.token(user) })).status).toBe(200);
    await until(
      async () => logged.mock.calls.length,
      (n) => n > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logged.mock.calls.map((c) => String(c[0]))).toEqual([
      "[gatehouse] could not record API activity (requests are served; further failures are not logged until a write succeeds): permission denied for function record_activity",
    ]);
    await crm.db.pool.query(`grant execute on function ${fn} to ${role("authenticator")}`);
    expect((await api.query("{ __typename }", { token: await api.token("fiona") })).status).toBe(200);
    await until(
      async () => logged.mock.calls.length,
      (n) => n > 1,
    );
    expect(logged.mock.calls.map((c) => String(c[0]))[1]).toBe("[gatehouse] API activity is recorded again");
  } finally {
    logged.mockRestore();
    await crm.db.pool.query(`grant execute on function ${fn} to ${role("authenticator")}`);
  }

  await api.close();
  api = undefined;
  expect(await rows()).toEqual([
    { user_id: 4, acting_role: role("sales_rep"), hour, requests: 2 },
    { user_id: 5, acting_role: role("sales_rep"), hour, requests: 1 },
    { user_id: 9, acting_role: role("finance"), hour, requests: 1 },
  ]);
});

test("the authenticator cannot read or write the activity table, an app role cannot call record_activity, only the reviewer roles (admin, auditor) may read it, and record_activity refuses a forged role, hour or user", async () => {
  const client = await crm.pool.connect();
  const refusal = async (text: string, values: unknown[] = []) => {
    await client.query("begin");
    try {
      await client.query(text, values);
      return "allowed";
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.query("rollback");
    }
  };
  try {
    expect(await refusal("select * from gatehouse.activity")).toBe("permission denied for table activity");
    expect(
      await refusal("insert into gatehouse.activity values (4, $1, date_trunc('hour', now(), 'UTC'), 1)", [role("sales_rep")]),
    ).toBe("permission denied for table activity");
    expect(await refusal("update gatehouse.activity set requests = 0")).toBe("permission denied for table activity");
    expect(
      await refusal(
        `set local role ${role("sales_rep")}; select gatehouse.record_activity(4, '${role("sales_rep")}', date_trunc('hour', now(), 'UTC'), 1)`,
      ),
    ).toBe("permission denied for function record_activity");
    const call = "select gatehouse.record_activity($1, $2, $3, $4)";
    const now = new Date(Math.floor(Date.now() / HOUR) * HOUR);
    expect(await refusal(call, [4, role("authenticator"), now, 1])).toBe(
      `gatehouse: ${role("authenticator")} is not an app role`,
    );
    expect(await refusal(call, [4, role("sales_rep"), new Date(now.getTime() - 5 * HOUR), 1])).toMatch(
      /^gatehouse: record_activity needs a whole hour of the last 2 hours/,
    );
    expect(await refusal(call, [4, role("sales_rep"), new Date(now.getTime() + 60_000), 1])).toMatch(
      /^gatehouse: record_activity needs a whole hour/,
    );
    expect(await refusal(call, [999, role("sales_rep"), now, 1])).toBe("gatehouse: no user 999");
    expect(await refusal(call, [4, role("sales_rep"), now, 0])).toBe(
      "gatehouse: record_activity needs a request count from 1 to 1000000",
    );
    expect(await refusal(call, [4, role("sales_rep"), now, 1])).toBe("allowed");
  } finally {
    client.release();
  }
  // the root check: the table is there, with rows, forced row security, and only the reviewer roles may read it (for the access review)
  const {
    rows: [table],
  } = await crm.db.pool.query(
    `select c.relforcerowsecurity as forced, (select count(*)::int from gatehouse.activity) > 0 as has_rows,
            array(select r.rolname::text from pg_roles r where r.rolname like $1 and has_table_privilege(r.oid, c.oid, 'select') order by 1) as readers,
            (select count(*)::int from pg_roles r where r.rolname like $1
                and has_table_privilege(r.oid, c.oid, 'insert, update, delete, truncate')) as writers
       from pg_class c where c.oid = 'gatehouse.activity'::regclass`,
    [`${crm.app.rolePrefix}%`],
  );
  expect(table).toEqual({ forced: true, has_rows: true, readers: [role("admin"), role("auditor")], writers: 0 });
});
