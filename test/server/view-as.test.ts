import { SignJWT } from "jose";
import { roleName } from "../../db";
import { signDevToken } from "../../server";
import { column } from "../crm/crm-database";
import { openCrmApi, TEST_AUTH, type CrmApi } from "./api";

// View as over HTTP (POST /console/api/view-as, server/console/view-as.ts): adam (admin) gets a short-lived token for
// rita that reads exactly what hers reads, read only, and ends the moment he may no longer view as her.

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

const REASON = "rita says a customer is missing from her list";

async function viewAs(token: string | undefined, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${api.server.url}/console/api/view-as`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const RITAS_LISTS = `{
  allCustomers(orderBy: ROW_ID_ASC) { nodes { rowId name ownerId } }
  allContacts(orderBy: ROW_ID_ASC) { nodes { rowId fullName phone } }
  allContracts(orderBy: ROW_ID_ASC) { nodes { rowId amount stage } }
}`;

test("adam (admin) views as rita (sales rep): the token reads exactly what rita's own token reads", async () => {
  const started = await viewAs(await api.token("adam"), { username: "rita", role: "sales_rep", reason: REASON });
  expect(started.status).toBe(200);
  expect(Object.keys(started.body).sort()).toEqual(["expiresAt", "token"]);
  const minutes = (Date.parse(started.body.expiresAt as string) - Date.now()) / 60_000;
  expect(minutes).toBeGreaterThan(14);
  expect(minutes).toBeLessThanOrEqual(15);
  const viewed = await api.query(RITAS_LISTS, { token: started.body.token as string });
  const own = await api.query(RITAS_LISTS, { token: await api.token("rita") });
  expect(viewed.errors).toBeUndefined();
  expect(own.data!.allCustomers.nodes.length).toBeGreaterThan(0);
  expect(viewed.data).toEqual(own.data);
  // root check: adam's own token reads more customers than rita's
  const adams = await api.query("{ allCustomers { totalCount } }", { token: await api.token("adam") });
  expect(adams.data!.allCustomers.totalCount).toBeGreaterThan(own.data!.allCustomers.nodes.length);
});

test("adam's view as rita leaves an audit row naming him, rita, the role and the reason", async () => {
  const started = await viewAs(await api.token("adam"), { userId: 4, role: "sales_rep", reason: "audit row check" });
  expect(started.status).toBe(200);
  const rows = await api.crm.root((c) =>
    column(
      c,
      "select user_id || ' ' || row_key::text || ' ' || (new_values ->> 'role') || ' ' || reason from gatehouse.audit_log where operation = 'view_as' and reason = 'audit row check'",
    ),
  );
  expect(rows).toEqual([`15 {"id": 4} sales_rep audit row check`]);
});

test("rita (sales rep) cannot view as rick: 403 naming who may; the database holds no session of hers", async () => {
  const refused = await viewAs(await api.token("rita"), { username: "rick", role: "sales_rep", reason: "curious" });
  expect(refused.status).toBe(403);
  expect(refused.body.error).toMatch(
    /^forbidden: only director \(as sales_rep, intern, supervisor, regional_manager\); admin \(as sales_rep, .*\) may view as others$/,
  );
  // root check: rick is an active sales rep adam may view as, and rita started no session
  const root = await api.crm.root(async (c) => ({
    rick: await column(c, "select status from crm.users where id = 5"),
    hers: await column(c, "select count(*)::int from gatehouse.view_as_sessions where actor_id = 4"),
  }));
  expect(root).toEqual({ rick: ["active"], hers: [0] });
});

test("adam must give a reason, and cannot view as olga (frozen): 400 with the database's words", async () => {
  const token = await api.token("adam");
  expect(await viewAs(token, { userId: 4, role: "sales_rep", reason: " " })).toEqual({
    status: 400,
    body: { error: "invalid input: say why you view as someone else (reason)" },
  });
  expect(await viewAs(token, { userId: 4, role: "sales_rep" })).toMatchObject({ status: 400 });
  expect(await viewAs(token, { userId: "rita", role: "sales_rep", reason: REASON })).toEqual({
    status: 400,
    body: { error: "invalid input: userId is not a user id" },
  });
  expect(await viewAs(token, { userId: 17, role: "sales_rep", reason: REASON })).toEqual({
    status: 400,
    body: { error: "invalid input: user 17 is not an active user holding sales_rep: pick one of view_as_targets()" },
  });
  // root check: olga is a sales rep, frozen
  expect(await api.crm.root((c) => column(c, "select status from crm.users where id = 17"))).toEqual(["frozen"]);
});

test("adam viewing as rita cannot change her customer: the database refuses the write, read only", async () => {
  const started = await viewAs(await api.token("adam"), { username: "rita", role: "sales_rep", reason: REASON });
  const mine = await api.query("{ allCustomers { nodes { rowId name ownerId } } }", { token: await api.token("rita") });
  const customer = (mine.data!.allCustomers.nodes as { rowId: number; name: string; ownerId: number }[]).find(
    (c) => Number(c.ownerId) === 4,
  )!;
  const update = `mutation($id: BigInt!) { updateCustomerByRowId(input: { rowId: $id, customerPatch: { name: "changed" } }) { customer { name } } }`;
  const refused = await api.query(update, { token: started.body.token as string, variables: { id: customer.rowId } });
  expect(refused.errors?.[0]).toMatchObject({
    message: "forbidden: you are viewing as someone else, read only: end the view to make changes",
    extensions: { code: "FORBIDDEN" },
  });
  expect(await api.crm.root((c) => column(c, "select name from crm.customers where id = $1", [customer.rowId]))).toEqual([
    customer.name,
  ]);
});

test("a view-as token cannot start another view: 403, and adam's view as dana (director) mints nothing", async () => {
  const started = await viewAs(await api.token("adam"), { username: "dana", role: "director", reason: REASON });
  expect(started.status).toBe(200);
  const nested = await viewAs(started.body.token as string, { username: "rita", role: "sales_rep", reason: "nested" });
  expect(nested).toEqual({
    status: 403,
    body: { error: "forbidden: you are viewing as someone else: end that view before viewing as anyone" },
  });
  // root check: dana herself may view as rita
  expect((await viewAs(await api.token("dana"), { username: "rita", role: "sales_rep", reason: "coaching" })).status).toBe(200);
});

test("GET /console/api/view-as lists whom adam may view as; rita gets 403", async () => {
  const get = async (token: string) => {
    const res = await fetch(`${api.server.url}/console/api/view-as`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { targets?: { username: string; role: string }[]; error?: string } };
  };
  const adams = await get(await api.token("adam"));
  expect(adams.status).toBe(200);
  expect(adams.body.targets).toEqual(expect.arrayContaining([{ userId: "4", username: "rita", role: "sales_rep" }]));
  expect(adams.body.targets!.some((t) => t.username === "olga" || t.username === "adam")).toBe(false);
  expect((await get(await api.token("rita"))).status).toBe(403);
});

test("adam ends his view as rita (DELETE with his own token): the view-as token is refused on its next request", async () => {
  const adam = await api.token("adam");
  const started = await viewAs(adam, { username: "rita", role: "sales_rep", reason: REASON });
  const token = started.body.token as string;
  expect((await api.query("{ allCustomers { totalCount } }", { token })).status).toBe(200);
  const session = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).view_as as string;
  const end = (bearer: string) =>
    fetch(`${api.server.url}/console/api/view-as`, {
      method: "DELETE",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ session }),
    }).then(async (res) => ({ status: res.status, body: await res.json() }));
  // the view-as token cannot end (or do) anything itself
  expect((await end(token)).status).toBe(403);
  expect(await end(adam)).toEqual({ status: 200, body: { ended: true } });
  const after = await api.query("{ allCustomers { totalCount } }", { token });
  expect(after.status).toBe(401);
  expect(await end(adam)).toEqual({ status: 200, body: { ended: false } });
});

test("adam's requests viewing as rick count as adam's activity, never rick's", async () => {
  const started = await viewAs(await api.token("adam"), { username: "rick", role: "sales_rep", reason: REASON });
  expect((await api.query("{ allCustomers { totalCount } }", { token: started.body.token as string })).status).toBe(200);
  const activity = () =>
    api.crm.root((c) =>
      column(c, "select user_id || ':' || acting_role from gatehouse.activity where user_id in (5, 15) order by 1"),
    );
  for (let i = 0; i < 50 && (await activity()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await activity()).toEqual([`15:${roleName(api.crm.app, "admin")}`]);
});

test("a view-as token signed with any key but the server's own is refused (401), even with the API's own secret", async () => {
  const forged = await new SignJWT({ role: roleName(api.crm.app, "sales_rep"), act: { sub: "15", role: "x" }, view_as: "1" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("4")
    .setAudience(TEST_AUTH.audience)
    .setIssuer("gatehouse-view-as")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(TEST_AUTH.secret));
  const refused = await api.query("{ allCustomers { totalCount } }", { token: forged });
  expect(refused.status).toBe(401);
  expect(refused.errors?.[0]?.message).toBe("invalid view-as token: not signed by this server, or malformed");
  // root check: rita's own token reads her customers
  expect((await api.query("{ allCustomers { totalCount } }", { token: await api.token("rita") })).status).toBe(200);
});

test("adam offboarded mid-view by another admin: his view-as token stops working on the next request; rita's own still works", async () => {
  const started = await viewAs(await api.token("adam"), { username: "rita", role: "sales_rep", reason: REASON });
  const token = started.body.token as string;
  expect((await api.query("{ allCustomers { totalCount } }", { token })).status).toBe(200);
  // a second admin (the demo has one), who offboards adam through the API
  await api.crm.db.pool.query(
    "insert into crm.users (id, username, full_name, unit_id, status) overriding system value select 90, 'alma', 'Alma Second Admin', unit_id, 'active' from crm.users where id = 15",
  );
  await api.crm.db.pool.query("insert into crm.user_roles (user_id, role) values (90, 'admin')");
  const alma = await signDevToken(TEST_AUTH, { userId: 90, role: roleName(api.crm.app, "admin") });
  const offboarded = await api.query(
    'mutation { offboardUser(input: { target: "15", reason: "left the company" }) { result } }',
    {
      token: alma,
    },
  );
  expect(offboarded.errors).toBeUndefined();
  const after = await api.query("{ allCustomers { totalCount } }", { token });
  expect(after.status).toBe(401);
  expect(after.errors?.[0]?.message).toMatch(/your view as someone else has ended/);
  // root check: rita's own token still reads her customers
  const hers = await api.query("{ allCustomers { totalCount } }", { token: await api.token("rita") });
  expect(hers.data!.allCustomers.totalCount).toBeGreaterThan(0);
});
