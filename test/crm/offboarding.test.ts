import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// Offboarding rick (sales_rep, East-1; owns customers 4, 5, 6 and the soft-deleted 21; holds two grants) as adam.
// Each test runs in one rolled-back transaction through the authenticator, as the API would.

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const ADAM = persona("adam");
const RICK = 5;
const RITA = 4;

test("adam's preview of rick's offboarding to rita: rita gains customers 4, 5 and 6, rick loses them; nothing changes", async () => {
  const rows = await crm.as(ADAM, async (c) => {
    const { rows } = await c.query(
      "select user_id::int, role, table_name, row_key, change from crm.offboarding_preview($1, $2)",
      [RICK, RITA],
    );
    const after = await column(c, "select current_user");
    return { rows, after };
  });
  expect(rows.rows).toEqual([
    { user_id: RITA, role: "sales_rep", table_name: "customers", row_key: "4", change: "gains" },
    { user_id: RITA, role: "sales_rep", table_name: "customers", row_key: "5", change: "gains" },
    { user_id: RITA, role: "sales_rep", table_name: "customers", row_key: "6", change: "gains" },
    { user_id: RICK, role: "sales_rep", table_name: "customers", row_key: "4", change: "loses" },
    { user_id: RICK, role: "sales_rep", table_name: "customers", row_key: "5", change: "loses" },
    { user_id: RICK, role: "sales_rep", table_name: "customers", row_key: "6", change: "loses" },
  ]);
  expect(rows.after).toEqual([roleName(crm.app, "admin")]);
  expect(
    await crm.root((c) =>
      c
        .query(
          "select status, (select array_agg(id order by id)::int[] from crm.customers where owner_id = 5) as owns from crm.users where id = 5",
        )
        .then((r) => r.rows),
    ),
  ).toEqual([{ status: "active", owns: [4, 5, 6, 21] }]);
});

test("adam offboards rick to rita: rick's next statement sees nothing, rita owns his customers, his grants have ended", async () => {
  const seen = await crm.as(ADAM, async (c) => {
    const summary = (await c.query("select crm.offboard_user($1, $2, 'left the company') as s", [RICK, RITA])).rows[0].s;
    const owners = await column(c, "select owner_id::int from crm.customers where id in (4, 5, 6, 21) order by id");
    await crm.actAs(c, persona("rick"));
    const rick = await column(c, "select id from crm.customers");
    await crm.actAs(c, persona("rita"));
    const rita = await column(c, "select id::int from crm.customers where id in (4, 5, 6) order by id");
    return { summary, owners, rick, rita };
  });
  expect(seen).toEqual({
    summary: { "customers.owner_id": 4, "grants ended": 1, "project_members ended": 1 },
    owners: [RITA, RITA, RITA, RITA],
    rick: [],
    rita: [4, 5, 6],
  });
});

test("adam offboards rick to the public pool: his customers have no owner", async () => {
  const owners = await crm.as(ADAM, async (c) => {
    await c.query("select crm.offboard_user($1, null, 'left the company')", [RICK]);
    return column(c, "select owner_id from crm.customers where id in (4, 5, 6) order by id");
  });
  expect(owners).toEqual([null, null, null]);
});

test("adam cannot hand rick's customers to wendy, who works in West-1", async () => {
  await expect(crm.as(ADAM, (c) => c.query("select crm.offboard_user(5, 7, 'left')"))).rejects.toThrow(
    "gatehouse: successor 7 works outside the unit subtree of user 5",
  );
  expect(await crm.root((c) => column(c, "select status from crm.users where id = 5"))).toEqual(["active"]);
});

test("adam cannot offboard himself, nor without a reason", async () => {
  await expect(crm.as(ADAM, (c) => c.query("select crm.offboard_user(15, null, 'bye')"))).rejects.toThrow(
    "gatehouse: nobody offboards themselves",
  );
  await expect(crm.as(ADAM, (c) => c.query("select crm.offboard_user(5, 4, ' ')"))).rejects.toThrow(
    "gatehouse: say why (reason)",
  );
});

test("sam (supervisor) may not offboard rick, nor preview it", async () => {
  await expect(crm.as(persona("sam"), (c) => c.query("select crm.offboard_user(5, 4, 'reorg')"))).rejects.toThrow(
    "permission denied for function offboard_user",
  );
  await expect(crm.as(persona("sam"), (c) => c.query("select * from crm.offboarding_preview(5, 4)"))).rejects.toThrow(
    "permission denied for function offboarding_preview",
  );
  expect(await crm.root((c) => column(c, "select status from crm.users where id = 5"))).toEqual(["active"]);
});

test("offboarding ana disables her role-bound login and ends its open session at once", async () => {
  const ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  ana.on("error", () => {});
  const login = (await ana.query("select session_user as s")).rows[0].s as string;
  const canLogin = await crm.as(ADAM, async (c) => {
    const summary = (await c.query("select crm.offboard_user(14, null, 'contract ended') as s")).rows[0].s;
    const { rows } = await c.query("select rolcanlogin from pg_roles where rolname = $1", [login]);
    return { summary, rows };
  });
  expect(canLogin).toEqual({
    summary: { "customers.owner_id": 0, "grants ended": 0, "project_members ended": 0, "login disabled": login },
    rows: [{ rolcanlogin: false }],
  });
  // pg_terminate_backend does not wait for the transaction: her session ended although the offboarding rolled back
  await expect(ana.query("select 1")).rejects.toThrow();
  expect(
    await crm.root((c) => c.query("select rolcanlogin from pg_roles where rolname = $1", [login]).then((r) => r.rows)),
  ).toEqual([{ rolcanlogin: true }]);
});

describe("transfer", () => {
  const EAST_2 = 5;

  test("adam's preview of moving rick to East-2: rita, his successor, gains his East-1 customers 4, 5 and 6; rick loses them", async () => {
    const { rows } = await crm.as(ADAM, (c) =>
      c.query("select user_id::int, role, table_name, row_key, change from crm.transfer_preview($1, $2, null, $3)", [
        RICK,
        EAST_2,
        RITA,
      ]),
    );
    expect(rows).toEqual([
      ...["4", "5", "6"].map((row_key) => ({
        user_id: RITA,
        role: "sales_rep",
        table_name: "customers",
        row_key,
        change: "gains",
      })),
      ...["4", "5", "6"].map((row_key) => ({
        user_id: RICK,
        role: "sales_rep",
        table_name: "customers",
        row_key,
        change: "loses",
      })),
    ]);
    expect(await crm.root((c) => column(c, "select unit_id::int from crm.users where id = 5"))).toEqual([4]);
  });

  test("adam moves rick to East-2: customers of East-1 go to rita on the next statement; rick keeps his grant and the pool", async () => {
    const seen = await crm.as(ADAM, async (c) => {
      const summary = (await c.query("select crm.transfer_user($1, $2, null, $3, 'moves to East-2') as s", [RICK, EAST_2, RITA]))
        .rows[0].s;
      await crm.actAs(c, persona("rick"));
      const rick = await column(c, "select id::int from crm.customers order by id");
      return { summary, rick };
    });
    expect(seen).toEqual({ summary: { "customers.owner_id": 4 }, rick: [8, 16, 17, 18] });
  });

  test("adam makes rick a supervisor of East-1: he keeps his customers and sees his whole team's", async () => {
    const seen = await crm.as(ADAM, async (c) => {
      const summary = (await c.query("select crm.transfer_user($1, null, 'supervisor', null, 'promoted') as s", [RICK])).rows[0]
        .s;
      await c.query(`set local role "${roleName(crm.app, "supervisor")}"`);
      await c.query("select set_config('jwt.claims.user_id', '5', true)");
      const owned = await column(c, "select id::int from crm.customers where owner_id = 5 order by id");
      return { summary, owned };
    });
    expect(seen).toEqual({ summary: { "customers.owner_id": 0 }, owned: [4, 5, 6] });
  });

  test("adam makes rick finance, whose role owns no customers: they go to the pool", async () => {
    const owners = await crm.as(ADAM, async (c) => {
      await c.query("select crm.transfer_user($1, null, 'finance', null, 'moves to finance')", [RICK]);
      return column(c, "select owner_id from crm.customers where id in (4, 5, 6) order by id");
    });
    expect(owners).toEqual([null, null, null]);
  });

  test("a transfer names what is wrong: no such unit, no such role, nothing to change, oneself", async () => {
    const refused = async (statement: string) =>
      crm
        .as(ADAM, (c) => c.query(statement))
        .then(
          () => "accepted",
          (e: Error) => e.message,
        );
    expect(
      await Promise.all([
        refused("select crm.transfer_user(5, 99, null, null, 'x')"),
        refused("select crm.transfer_user(5, null, 'wizard', null, 'x')"),
        refused("select crm.transfer_user(5, null, null, null, 'x')"),
        refused("select crm.transfer_user(15, 4, null, null, 'x')"),
      ]),
    ).toEqual([
      "gatehouse: no unit 99",
      "gatehouse: no app role wizard",
      "gatehouse: say what changes: new_unit, new_role or both",
      "gatehouse: nobody transfers themselves",
    ]);
    expect(await crm.root((c) => column(c, "select role from crm.user_roles where user_id = 5"))).toEqual(["sales_rep"]);
  });

  test("sam (supervisor) may not transfer rick", async () => {
    await expect(crm.as(persona("sam"), (c) => c.query("select crm.transfer_user(5, 5, null, null, 'x')"))).rejects.toThrow(
      "permission denied for function transfer_user",
    );
  });
});
