/**
 * The access console's explain, matrix and review on a production server (`gatehouse serve`): no development owner
 * tools, no superuser — the server's own authenticator pool acting as the signed-in user, under row security. Each
 * "cannot" is paired with a root check that the row (or the data) is there.
 */
import { roleName } from "../../db";
import { ownerConsoleTools } from "../../server";
import { DEMO_ROWS } from "../../db/crm/seed";
import { persona } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;

beforeAll(async () => {
  api = await openCrmApi({ consoleTools: "authenticator" });
});
afterAll(async () => {
  await api?.close();
});

interface Answer {
  status: number;
  body: Record<string, any>;
}

const get = async (name: string, token?: string): Promise<Answer> => {
  const res = await fetch(`${api.server.url}/console/api/${name}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const explain = async (token: string, table: string, row: string): Promise<Answer> => {
  const res = await fetch(`${api.server.url}/console/api/explain`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ table, row }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const root = async (text: string, values: unknown[] = []) => (await api.crm.db.pool.query(text, values)).rows;

/** Sets a user's status as the owner, for the length of `fn`. */
async function withStatus(userId: number, status: string, fn: () => Promise<void>): Promise<void> {
  await root("update crm.users set status = $2 where id = $1", [userId, status]);
  try {
    await fn();
  } finally {
    await root("update crm.users set status = 'active' where id = $1", [userId]);
  }
}

describe("a production server's console tools (authenticator only)", () => {
  test("the server offers explain and names the reviewer roles, and serves no persona sign-in", async () => {
    expect(await get("tools")).toEqual({
      status: 200,
      body: {
        explain: true,
        reviewers: [roleName(api.crm.app, "admin"), roleName(api.crm.app, "auditor")],
        users: { table: "users", username: "username", status: "status", activeStatus: "active" },
      },
    });
    expect((await get("demo")).status).toBe(404);
  });

  test("adam (admin, a reviewer) reads the access matrix with the drift the catalog shows: none on a fresh database", async () => {
    const matrix = await get("matrix", await api.token("adam"));
    expect(matrix.status).toBe(200);
    expect(matrix.body.markdown).toContain("## customers");
    expect(matrix.body).toMatchObject({ drift: [], driftChecked: "catalog" });
  });

  test("adam (admin) sees a grant made by hand as drift in the matrix, and in the review", async () => {
    const support = roleName(api.crm.app, "support");
    await root(`grant select on crm.quotes to "${support}"`);
    try {
      const matrix = await get("matrix", await api.token("adam"));
      expect(matrix.body.drift).toEqual([
        expect.objectContaining({
          kind: "privilege",
          object: `select on crm.quotes to ${support}`,
          actual: "granted on the whole table",
        }),
      ]);
      const review = await get("review", await api.token("adam"));
      expect(JSON.stringify(review.body)).toContain(`select on crm.quotes to ${support}`);
    } finally {
      await root(`revoke select on crm.quotes from "${support}"`);
    }
  });

  test("adam (admin) reads the access review: every user, olga frozen, and the activity record the review policy opens to him", async () => {
    await api.query("{ allCustomers { nodes { rowId } } }", { token: await api.token("rita") });
    const review = await get("review", await api.token("adam"));
    expect(review.status).toBe(200);
    const text = JSON.stringify(review.body);
    for (const username of ["adam", "rita", "olga", "aude"]) expect(text).toContain(username);
    expect(review.body.sections.map((s: { title: string }) => s.title)).toEqual(
      expect.arrayContaining([expect.stringMatching(/users/i)]),
    );
  });

  test("the review adam reads through the authenticator is the owner's review, section for section", async () => {
    const owner = ownerConsoleTools(api.crm.app, api.crm.db.url);
    try {
      const adam = { role: roleName(api.crm.app, "admin"), userId: String(persona("adam").userId), channel: null };
      const expected = await owner.review(adam);
      const review = await get("review", await api.token("adam"));
      const withoutTimes = (text: string) => text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, "<time>");
      expect(withoutTimes(JSON.stringify(review.body.sections))).toEqual(withoutTimes(JSON.stringify(expected.sections)));
    } finally {
      await owner.close?.();
    }
  });

  test("aude (auditor, a reviewer) reads the review too", async () => {
    expect((await get("review", await api.token("aude"))).status).toBe(200);
  });

  test("rita (sales_rep) cannot read the matrix or the review: 403 naming who may (root: the review has data)", async () => {
    expect((await root("select count(*)::int as n from crm.users"))[0].n).toBeGreaterThan(0);
    const token = await api.token("rita");
    for (const name of ["matrix", "review"]) {
      const answer = await get(name, token);
      expect(answer.status).toBe(403);
      expect(answer.body.error).toContain(roleName(api.crm.app, "admin"));
      expect(answer.body.error).toContain(roleName(api.crm.app, "auditor"));
    }
  });

  test("sam (supervisor) cannot read the matrix or the review either", async () => {
    const token = await api.token("sam");
    for (const name of ["matrix", "review"]) expect((await get(name, token)).status).toBe(403);
  });

  test("rita's explain of her own customer 2 answers why she sees it, naming her by id (a sales rep may not read the users table)", async () => {
    const answer = await explain(await api.token("rita"), "customers", "2");
    expect(answer.status).toBe(200);
    expect(answer.body.answer).toMatch(/^user 4 can see customers 2 as sales_rep because it passes sales_rep__select/);
    expect(answer.body.passing).toEqual([
      expect.objectContaining({
        role: "sales_rep",
        policy: "sales_rep__select",
        arms: [expect.stringMatching(/own\(owner_id\)/)],
      }),
    ]);
  });

  test("rita cannot explain rick's customer 5: the same 404 as a customer that does not exist (root: customer 5 exists)", async () => {
    expect(await root("select owner_id::int from crm.customers where id = 5")).toEqual([{ owner_id: persona("rick").userId }]);
    expect(await root("select id from crm.customers where id = 99999")).toEqual([]);
    const token = await api.token("rita");
    expect(await explain(token, "customers", "5")).toEqual({ status: 404, body: { error: "you see no row 5 of customers" } });
    expect(await explain(token, "customers", "99999")).toEqual({
      status: 404,
      body: { error: "you see no row 99999 of customers" },
    });
    expect(await explain(token, "no_such_table", "1")).toEqual({
      status: 404,
      body: { error: "you see no row 1 of no_such_table" },
    });
  });

  test("olga (sales_rep, offboarded) cannot explain her former customer with a still-valid token (root: she still owns it)", async () => {
    const row = DEMO_ROWS.olgaCustomers[0];
    expect(await root("select owner_id::int from crm.customers where id = $1", [row])).toEqual([
      { owner_id: persona("olga").userId },
    ]);
    const answer = await explain(await api.token("olga"), "customers", String(row));
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatch(/not an active user holding/);
  });

  test("aude (auditor) frozen cannot read the review or the matrix with her still-valid token (root: she holds auditor)", async () => {
    const aude = persona("aude");
    expect(await root("select role from crm.user_roles where user_id = $1", [aude.userId])).toEqual([{ role: "auditor" }]);
    const token = await api.token("aude");
    await withStatus(aude.userId, "frozen", async () => {
      expect((await get("review", token)).status).toBe(403);
      expect((await get("matrix", token)).status).toBe(403);
    });
    expect((await get("review", token)).status).toBe(200);
  });

  test("rita with a validly signed token for admin, a role she does not hold, is refused the review, the matrix and explain", async () => {
    expect(await root("select role from crm.user_roles where user_id = $1", [persona("rita").userId])).toEqual([
      { role: "sales_rep" },
    ]);
    const forged = await api.token("rita", { role: "admin" });
    expect((await get("review", forged)).status).toBe(403);
    expect((await get("matrix", forged)).status).toBe(403);
    expect((await explain(forged, "customers", "2")).status).toBe(403);
  });

  test("in the database, rita acting as admin reads no row of the activity record; adam reads every one; sam holds nothing there (root: rows exist)", async () => {
    await api.query("{ allCustomers { nodes { rowId } } }", { token: await api.token("sam") });
    const activity = `"${api.crm.app.toolkitSchema}".activity`;
    const [{ n }] = await root(`select count(*)::int as n from ${activity}`);
    expect(n).toBeGreaterThan(0);
    const count = (c: { query: (t: string) => Promise<{ rows: { n: number }[] }> }) =>
      c.query(`select count(*)::int as n from ${activity}`).then((r) => r.rows[0]!.n);
    expect(await api.crm.as(persona("adam"), count)).toBe(n);
    expect(await api.crm.as({ role: "admin", userId: persona("rita").userId }, count)).toBe(0);
    await expect(api.crm.as(persona("sam"), count)).rejects.toThrow(/permission denied/);
  });

  test("without a token, explain, the matrix and the review answer 401", async () => {
    expect((await get("matrix")).status).toBe(401);
    expect((await get("review")).status).toBe(401);
    const res = await fetch(`${api.server.url}/console/api/explain`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ table: "customers", row: "2" }),
    });
    expect(res.status).toBe(401);
  });
});

describe("a production server with CONSOLE_TOOLS=off", () => {
  let off: CrmApi;
  beforeAll(async () => {
    off = await openCrmApi({ crm: api.crm });
  });
  afterAll(async () => {
    await off?.close();
  });

  test("adam gets 404 for the matrix, saying the server does not offer it; the tools endpoint offers nothing", async () => {
    const res = await fetch(`${off.server.url}/console/api/matrix`, {
      headers: { Authorization: `Bearer ${await off.token("adam")}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/CONSOLE_TOOLS=off/);
    const tools = await fetch(`${off.server.url}/console/api/tools`);
    expect(await tools.json()).toMatchObject({ explain: false, reviewers: [] });
  });
});
