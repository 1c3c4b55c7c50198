import type { PoolClient } from "pg";
import { roleName, VIEW_AS } from "../../db";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// View as (role({ viewAs }) in db/crm/roles.ts): adam (admin) may view the CRM as any persona's role but marketing's,
// dana (director) as the sales organisation's; the database checks who may, records the session and an audit row,
// and honours a session only while it lasts and its viewer is still active. The server runs such requests read only.

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

interface Session {
  session_id: string;
  user_id: string;
  role: string;
  until: Date;
}

const begin = async (c: PoolClient, target: number, role: string, reason: string | null): Promise<Session> =>
  (await c.query<Session>("select * from gatehouse.view_as_begin($1, $2, $3)", [target, role, reason])).rows[0]!;

/**
 * Acts as the session's target, as the server does for a view-as token: role, user id, the session claim, and (unless
 * the test goes on writing as root in the same transaction) read only.
 */
async function viewAs(c: PoolClient, username: string, session: Session, readOnly = true): Promise<void> {
  await crm.actAs(c, persona(username));
  await c.query("select set_config($1, $2, true)", [VIEW_AS.claim, session.session_id]);
  if (readOnly) await c.query("set transaction read only");
}

/** What rita sees of her customers, contacts and contracts. */
const ritasView = async (c: PoolClient) => ({
  customers: await column(c, "select id from crm.customers order by id"),
  contacts: await column(c, "select id || ':' || phone_masked from crm.contacts order by id"),
  contracts: await column(c, "select id || ':' || amount from crm.contracts order by id"),
});

const REASON = "rita cannot find a customer she expects";

test("adam (admin) views as rita (sales rep) and sees exactly her customers, contacts and contracts, and nothing more", async () => {
  const own = await crm.as(persona("rita"), ritasView);
  const viewed = await crm.as(persona("adam"), async (c) => {
    const session = await begin(c, 4, "sales_rep", REASON);
    expect(session).toMatchObject({ user_id: "4", role: roleName(crm.app, "sales_rep") });
    await viewAs(c, "rita", session);
    return ritasView(c);
  });
  expect(own.customers.length).toBeGreaterThan(0);
  expect(viewed).toEqual(own);
  // root check: adam's own view is wider
  const all = await crm.root((c) => column(c, "select count(*)::int from crm.customers"));
  expect(all[0]).toBeGreaterThan(own.customers.length);
});

test("adam's view as rita is recorded: the session and a view_as audit row with who, whom, the role, the reason and until", async () => {
  const recorded = await crm.root(async (c) => {
    await crm.actAs(c, persona("adam"));
    const session = await begin(c, 4, "sales_rep", REASON);
    await crm.actAs(c, persona("aude"));
    const audit = await c.query(
      "select user_id::int, acting_role, table_name, operation, row_key, new_values - 'until' as new_values, new_values ? 'until' as has_until, reason from gatehouse.audit_log where operation = 'view_as'",
    );
    await backToRoot(c);
    const sessions = await c.query(
      "select actor_id::int, actor_role, target_id::int, target_role, reason, (until - started_at)::text as lasts from gatehouse.view_as_sessions",
    );
    return { session, audit: audit.rows, sessions: sessions.rows };
  });
  expect(recorded.audit).toEqual([
    {
      user_id: 15,
      acting_role: roleName(crm.app, "admin"),
      table_name: "users",
      operation: "view_as",
      row_key: { id: 4 },
      new_values: { session: Number(recorded.session.session_id), role: "sales_rep" },
      has_until: true,
      reason: REASON,
    },
  ]);
  expect(recorded.sessions).toEqual([
    {
      actor_id: 15,
      actor_role: "admin",
      target_id: 4,
      target_role: "sales_rep",
      reason: REASON,
      lasts: `00:${VIEW_AS.minutes}:00`,
    },
  ]);
});

test("rita (sales rep) cannot view as anyone: the database refuses her the function (42501)", async () => {
  await expect(crm.as(persona("rita"), (c) => begin(c, 5, "sales_rep", "curious"))).rejects.toMatchObject({
    code: "42501",
    message: "permission denied for function view_as_begin",
  });
  // root check: rick (5) is an active sales rep adam could view as
  expect(await crm.root((c) => column(c, "select status from crm.users where id = 5"))).toEqual(["active"]);
});

test("dana (director) may view as rita (sales rep) but not as suki (support): the message names whom she may", async () => {
  await crm.as(persona("dana"), (c) => begin(c, 4, "sales_rep", "coaching"));
  await expect(crm.as(persona("dana"), (c) => begin(c, 11, "support", "curious"))).rejects.toMatchObject({
    code: "42501",
    message: "gatehouse: director may view as sales_rep, intern, supervisor, regional_manager only, not as support",
  });
});

test("adam must say why", async () => {
  for (const reason of [null, "   "])
    await expect(crm.as(persona("adam"), (c) => begin(c, 4, "sales_rep", reason))).rejects.toMatchObject({
      code: "22023",
      message: "gatehouse: say why you view as someone else (reason)",
    });
});

test("adam cannot view as olga, a frozen sales rep, nor as rita in a role she does not hold", async () => {
  await expect(crm.as(persona("adam"), (c) => begin(c, 17, "sales_rep", REASON))).rejects.toMatchObject({
    code: "22023",
    message: "gatehouse: user 17 is not an active user holding sales_rep: pick one of view_as_targets()",
  });
  await expect(crm.as(persona("adam"), (c) => begin(c, 4, "intern", REASON))).rejects.toThrow(
    "gatehouse: user 4 is not an active user holding intern",
  );
  // root check: olga holds sales_rep, frozen
  expect(
    await crm.root((c) =>
      column(c, "select u.status || ':' || r.role from crm.users u join crm.user_roles r on r.user_id = u.id where u.id = 17"),
    ),
  ).toEqual(["frozen:sales_rep"]);
});

test("view_as_targets lists the active users adam may view as: rita and dana, never olga nor adam himself", async () => {
  const targets = await crm.as(persona("adam"), (c) =>
    column(c, "select username || ':' || role from gatehouse.view_as_targets()"),
  );
  expect(targets).toEqual(expect.arrayContaining(["rita:sales_rep", "dana:director", "suki:support"]));
  expect(
    targets.filter((t) => String(t).startsWith("olga:") || String(t).startsWith("adam:") || String(t).startsWith("mark:")),
  ).toEqual([]);
});

test("adam viewing as rita cannot change a thing: PostgreSQL refuses the write in the read-only transaction", async () => {
  await expect(
    crm.as(persona("adam"), async (c) => {
      const session = await begin(c, 4, "sales_rep", REASON);
      await viewAs(c, "rita", session);
      await c.query("update crm.customers set name = 'changed' where owner_id = 4");
    }),
  ).rejects.toMatchObject({ code: "25006" });
  // root check: rita herself may update her customers
  expect(
    await crm.as(
      persona("rita"),
      async (c) => (await c.query("update crm.customers set name = name where owner_id = 4")).rowCount,
    ),
  ).toBeGreaterThan(0);
});

test("adam frozen mid-view: his view as rita sees nothing from the next statement, while rita still sees hers", async () => {
  const seen = await crm.root(async (c) => {
    await crm.actAs(c, persona("adam"));
    const session = await begin(c, 4, "sales_rep", REASON);
    await viewAs(c, "rita", session, false);
    const before = await column(c, "select count(*)::int from crm.customers");
    await backToRoot(c);
    await c.query("update crm.users set status = 'frozen' where id = 15");
    await viewAs(c, "rita", session);
    const after = await column(c, "select count(*)::int from crm.customers");
    await c.query("select set_config($1, '', true)", [VIEW_AS.claim]);
    await crm.actAs(c, persona("rita"));
    const hers = await column(c, "select count(*)::int from crm.customers");
    return { before, after, hers };
  });
  expect(seen.before[0]).toBeGreaterThan(0);
  expect(seen.after).toEqual([0]);
  expect(seen.hers).toEqual(seen.before);
});

test("a view as rita ends when its time is up", async () => {
  const seen = await crm.root(async (c) => {
    await crm.actAs(c, persona("adam"));
    const session = await begin(c, 4, "sales_rep", REASON);
    await backToRoot(c);
    await c.query(
      "update gatehouse.view_as_sessions set started_at = started_at - interval '1 hour', until = until - interval '1 hour'",
    );
    await viewAs(c, "rita", session);
    return column(c, "select count(*)::int from crm.customers");
  });
  expect(seen).toEqual([0]);
});

test("a session for rita lets no one else in: the same claim with rick's user id sees nothing", async () => {
  const seen = await crm.as(persona("adam"), async (c) => {
    const session = await begin(c, 4, "sales_rep", REASON);
    await viewAs(c, "rick", session);
    return column(c, "select count(*)::int from crm.customers");
  });
  expect(seen).toEqual([0]);
  // root check: rick sees customers of his own
  expect((await crm.as(persona("rick"), (c) => column<number>(c, "select count(*)::int from crm.customers")))[0]).toBeGreaterThan(
    0,
  );
});

test("adam viewing as dana (director, who may view as others) cannot start another view", async () => {
  await expect(
    crm.as(persona("adam"), async (c) => {
      const session = await begin(c, 1, "director", REASON);
      await viewAs(c, "dana", session);
      await begin(c, 4, "sales_rep", "nested");
    }),
  ).rejects.toMatchObject({
    code: "42501",
    message: "gatehouse: you are viewing as someone else: end that view (sign in as yourself) before viewing as anyone",
  });
});

test("adam ends his view as rita: the session sees nothing from the next statement; dana cannot end it for him", async () => {
  const seen = await crm.root(async (c) => {
    await crm.actAs(c, persona("adam"));
    const session = await begin(c, 4, "sales_rep", REASON);
    await crm.actAs(c, persona("dana"));
    const danaEnds = await column(c, "select gatehouse.view_as_end($1)", [session.session_id]);
    await viewAs(c, "rita", session, false);
    const stillOpen = await column(c, "select count(*)::int from crm.customers");
    await c.query("select set_config($1, '', true)", [VIEW_AS.claim]);
    await crm.actAs(c, persona("adam"));
    const adamEnds = await column(c, "select gatehouse.view_as_end($1)", [session.session_id]);
    await viewAs(c, "rita", session);
    const ended = await column(c, "select count(*)::int from crm.customers");
    return { danaEnds, stillOpen, adamEnds, ended };
  });
  expect(seen.danaEnds).toEqual([false]);
  expect(seen.stillOpen[0]).toBeGreaterThan(0);
  expect(seen.adamEnds).toEqual([true]);
  expect(seen.ended).toEqual([0]);
});
