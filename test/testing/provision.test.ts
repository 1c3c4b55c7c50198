import { Pool } from "pg";
import { createTestDatabase, type TestDatabase, asPersona, asRoot, openLogin } from "../../db/testing";
import { connectionUrl } from "../../db";

/** Superuser pool on the cluster's maintenance database, for looking at pg_database and pg_roles. */
let cluster: Pool;
let db: TestDatabase;

beforeAll(async () => {
  cluster = new Pool({ connectionString: process.env.GATEHOUSE_TEST_ADMIN_URL, max: 2 });
  db = await createTestDatabase();
  await db.pool.query(`
    create role "${db.rolePrefix}reader" nologin;
    create role "${db.rolePrefix}authenticator" login noinherit password 'auth-pw';
    grant "${db.rolePrefix}reader" to "${db.rolePrefix}authenticator";
    grant connect on database "${db.name}" to "${db.rolePrefix}authenticator";
  `);
});

afterAll(async () => {
  await db.drop();
  await cluster.end();
});

async function databaseExists(name: string): Promise<boolean> {
  const { rowCount } = await cluster.query("select 1 from pg_database where datname = $1", [name]);
  return rowCount === 1;
}

async function rolesWithPrefix(prefix: string): Promise<string[]> {
  const { rows } = await cluster.query<{ rolname: string }>(
    "select rolname from pg_roles where starts_with(rolname, $1) order by 1",
    [prefix],
  );
  return rows.map((row) => row.rolname);
}

describe("createTestDatabase", () => {
  test("gives a database of its own that the superuser pool is connected to", async () => {
    const { rows } = await db.pool.query("select current_database() as name, current_user as who");
    expect(rows[0]).toEqual({ name: db.name, who: expect.any(String) });
    expect(await databaseExists(db.name)).toBe(true);
    expect(db.rolePrefix).toMatch(/^t[0-9a-f]{6}_$/);
  });

  test("two databases created in parallel have different names and role prefixes and share no tables", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      expect(a.rolePrefix).not.toBe(b.rolePrefix);
      await a.pool.query("create table only_in_a (id int)");
      const { rows } = await b.pool.query("select to_regclass('only_in_a') as found");
      expect(rows[0].found).toBeNull();
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  test("drop removes the database and every role with its prefix, even roles that own objects and hold grants", async () => {
    const doomed = await createTestDatabase();
    const owner = `${doomed.rolePrefix}owner`;
    const member = `${doomed.rolePrefix}member`;
    await doomed.pool.query(`
      create role "${owner}";
      create role "${member}" login password 'pw';
      grant "${owner}" to "${member}";
      grant connect on database "${doomed.name}" to "${member}";
      create table owned_thing (id int);
      alter table owned_thing owner to "${owner}";
      grant select on owned_thing to "${member}";
    `);
    await cluster.query(`grant connect on database postgres to "${member}"`); // a privilege outside the test database
    const idle = new Pool({ connectionString: doomed.url, max: 1 });
    idle.on("error", () => {}); // drop() terminates this pool's session
    await idle.query("select 1");

    await doomed.drop();
    await doomed.drop(); // a second call is harmless

    expect(await databaseExists(doomed.name)).toBe(false);
    expect(await rolesWithPrefix(doomed.rolePrefix)).toEqual([]);
    await idle.end();
  });
});

describe("asPersona", () => {
  let authenticator: Pool;

  beforeAll(() => {
    authenticator = new Pool({
      connectionString: connectionUrl(db.adminUrl, {
        database: db.name,
        user: `${db.rolePrefix}authenticator`,
        password: "auth-pw",
      }),
      max: 2,
    });
  });

  afterAll(() => authenticator.end());

  test("switches current_user to the role and sets the claims, when connected as the authenticator", async () => {
    const seen = await asPersona(
      authenticator,
      { role: `${db.rolePrefix}reader`, userId: 42, channel: "web" },
      async (client) =>
        (
          await client.query(`
            select session_user::text as session, current_user::text as current,
                   current_setting('jwt.claims.user_id', true) as user_id,
                   current_setting('jwt.claims.channel', true) as channel`)
        ).rows[0],
    );
    expect(seen).toEqual({
      session: `${db.rolePrefix}authenticator`,
      current: `${db.rolePrefix}reader`,
      user_id: "42",
      channel: "web",
    });
  });

  test("also switches roles on a superuser pool, and leaves the channel unset when none is given", async () => {
    const seen = await asPersona(
      db.pool,
      { role: `${db.rolePrefix}reader`, userId: "u-7" },
      async (client) =>
        (
          await client.query(`
          select current_user::text as current,
                 current_setting('jwt.claims.user_id', true) as user_id,
                 coalesce(current_setting('jwt.claims.channel', true), '') as channel`)
        ).rows[0],
    );
    expect(seen).toEqual({ current: `${db.rolePrefix}reader`, user_id: "u-7", channel: "" });
  });

  test("rolls back: a table created inside is gone afterwards, and the pooled connection is back to its own role", async () => {
    await db.pool.query(`grant create on schema public to "${db.rolePrefix}reader"`);
    await asPersona(authenticator, { role: `${db.rolePrefix}reader`, userId: 1 }, async (client) => {
      await client.query("create table made_by_persona (id int)");
      expect((await client.query("select to_regclass('made_by_persona') as t")).rows[0].t).toBe("made_by_persona");
    });
    const after = await authenticator.query(
      "select current_user::text as current, to_regclass('made_by_persona') as t, coalesce(current_setting('jwt.claims.user_id', true), '') as user_id",
    );
    expect(after.rows[0]).toEqual({ current: `${db.rolePrefix}authenticator`, t: null, user_id: "" });
  });

  test("passes the error of the callback through and still rolls back", async () => {
    await expect(
      asPersona(authenticator, { role: `${db.rolePrefix}reader`, userId: 1 }, async (client) => {
        await client.query("create table doomed_by_error (id int)");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await db.pool.query("select to_regclass('doomed_by_error') as t")).rows[0].t).toBeNull();
  });

  test("refuses a role the authenticator is not a member of", async () => {
    await expect(asPersona(authenticator, { role: "postgres", userId: 1 }, async () => "unreachable")).rejects.toThrow(
      /permission denied to set role/,
    );
  });
});

describe("asRoot", () => {
  test("runs as the pool user without switching roles, and rolls back", async () => {
    const who = await asRoot(db.pool, async (client) => {
      await client.query("create table made_by_root (id int)");
      return (await client.query("select current_user = session_user as same")).rows[0].same;
    });
    expect(who).toBe(true);
    expect((await db.pool.query("select to_regclass('made_by_root') as t")).rows[0].t).toBeNull();
  });
});

describe("openLogin", () => {
  test("connects as an existing LOGIN role, so session_user is that role", async () => {
    const login = `${db.rolePrefix}analyst`;
    await db.pool.query(`create role "${login}" login password 'analyst-pw'`);
    await db.pool.query(`grant connect on database "${db.name}" to "${login}"`);
    const analyst = await openLogin(db.pool, db.adminUrl, { login, password: "analyst-pw", database: db.name });
    try {
      const { rows } = await analyst.query("select session_user::text as who, current_database() as db");
      expect(rows[0]).toEqual({ who: login, db: db.name });
    } finally {
      await analyst.end();
    }
  });

  test("says so when the role does not exist or cannot log in", async () => {
    await expect(openLogin(db.pool, db.adminUrl, { login: `${db.rolePrefix}nobody`, database: db.name })).rejects.toThrow(
      /does not exist/,
    );
    await expect(openLogin(db.pool, db.adminUrl, { login: `${db.rolePrefix}reader`, database: db.name })).rejects.toThrow(
      /not a LOGIN role/,
    );
  });
});
