/**
 * The persona helpers users write their own tests with (db/testing): actAs, backToRoot, attempt, refusal,
 * expectRowSecurityEverywhere and ageRows, against a real database with a small hand-written schema.
 */
import { Pool } from "pg";
import {
  attempt,
  refusal,
  ageRows,
  createTestDatabase,
  type TestDatabase,
  actAs,
  asRoot,
  backToRoot,
  expectRowSecurityEverywhere,
  rowSecurityOffenders,
} from "../../db/testing";
import { connectionUrl } from "../../db";

let db: TestDatabase;
let authenticator: Pool;
let reader: string;
let writer: string;
let auth: string;

beforeAll(async () => {
  db = await createTestDatabase();
  [reader, writer, auth] = ["reader", "writer", "authenticator"].map((r) => `${db.rolePrefix}${r}`) as [string, string, string];
  await db.pool.query(`
    create role "${reader}" nologin;
    create role "${writer}" nologin;
    create role "${auth}" login noinherit password 'auth-pw';
    grant "${reader}", "${writer}" to "${auth}";
    grant connect on database "${db.name}" to "${auth}";
    create schema app;
    grant usage on schema app to "${reader}", "${writer}";
    create table app.notes (id int primary key, owner int not null, body text not null, expires_at timestamptz not null);
    alter table app.notes enable row level security, force row level security;
    grant select on app.notes to "${reader}", "${writer}";
    grant insert on app.notes to "${writer}";
    create policy own on app.notes for select using (owner = nullif(current_setting('jwt.claims.user_id', true), '')::int and expires_at > clock_timestamp());
    create policy write_own on app.notes for insert with check (owner = nullif(current_setting('jwt.claims.user_id', true), '')::int);
    insert into app.notes values (1, 7, 'seven''s note', now() + interval '1 day'), (2, 8, 'eight''s note', now() + interval '1 day');
    create schema half;
    create table half.enabled_only (id int);
    alter table half.enabled_only enable row level security;
    create table half.nothing (id int);
    create table half.covered (id int);
    alter table half.covered enable row level security, force row level security;
    create schema empty;
  `);
  authenticator = new Pool({
    connectionString: connectionUrl(db.adminUrl, { database: db.name, user: auth, password: "auth-pw" }),
    max: 1,
  });
});

afterAll(async () => {
  await authenticator.end();
  await db.drop();
});

const who = (c: { query: Pool["query"] }) =>
  c
    .query(
      `select session_user::text as session, current_user::text as "current",
              coalesce(current_setting('jwt.claims.user_id', true), '') as user_id,
              coalesce(current_setting('jwt.claims.channel', true), '') as channel`,
    )
    .then((r) => r.rows[0]);

describe("actAs", () => {
  test("user 7 as reader, from a superuser transaction through the authenticator, sees only note 1; back to root, both notes exist", async () => {
    const seen = await asRoot(db.pool, async (c) => {
      await actAs(c, { role: reader, userId: 7, channel: "web" }, { authenticator: auth });
      const persona = { who: await who(c), notes: (await c.query("select id from app.notes order by id")).rows };
      await backToRoot(c);
      const root = { who: await who(c), notes: (await c.query("select id from app.notes order by id")).rows };
      return { persona, root };
    });
    expect(seen).toEqual({
      persona: { who: { session: auth, current: reader, user_id: "7", channel: "web" }, notes: [{ id: 1 }] },
      root: { who: { session: "postgres", current: "postgres", user_id: "", channel: "" }, notes: [{ id: 1 }, { id: 2 }] },
    });
  });

  test("switching from user 7 to user 8 in one transaction of the authenticator's own connection: each sees their note", async () => {
    const client = await authenticator.connect();
    try {
      await client.query("begin");
      await actAs(client, { role: reader, userId: 7 });
      const seven = (await client.query("select id from app.notes")).rows;
      await actAs(client, { role: writer, userId: 8 });
      const eight = { who: await who(client), notes: (await client.query("select id from app.notes")).rows };
      await client.query("rollback");
      expect({ seven, eight }).toEqual({
        seven: [{ id: 1 }],
        eight: { who: { session: auth, current: writer, user_id: "8", channel: "" }, notes: [{ id: 2 }] },
      });
      expect(await who(client)).toEqual({ session: auth, current: auth, user_id: "", channel: "" });
    } finally {
      client.release();
    }
  });

  test("a role the authenticator is not a member of is refused", async () => {
    const client = await authenticator.connect();
    try {
      await client.query("begin");
      await expect(actAs(client, { role: "postgres", userId: 1 })).rejects.toThrow('permission denied to set role "postgres"');
      await client.query("rollback");
    } finally {
      client.release();
    }
  });
});

describe("attempt and refusal", () => {
  test("reader 7's refused insert is returned, not thrown, and the same transaction goes on: writer 7's insert then succeeds", async () => {
    const outcome = await asRoot(db.pool, async (c) => {
      await actAs(c, { role: reader, userId: 7 }, { authenticator: auth });
      const refused = await attempt(c, "insert into app.notes values (3, 7, 'x', now() + interval '1 day')");
      const after = await attempt(c, "select id from app.notes order by id");
      await actAs(c, { role: writer, userId: 7 }, { authenticator: auth });
      const inserted = await attempt(c, "insert into app.notes values ($1, 7, 'x', now() + interval '1 day') returning id", [3]);
      const notOwn = await attempt(c, "insert into app.notes values (4, 8, 'x', now() + interval '1 day')");
      await backToRoot(c);
      const root = await attempt<{ id: number }>(c, "select id from app.notes order by id");
      return { refused, after, inserted, notOwn, root };
    });
    expect(outcome).toEqual({
      refused: { code: "42501", message: "permission denied for table notes" },
      after: { rowCount: 1, rows: [{ id: 1 }] },
      inserted: { rowCount: 1, rows: [{ id: 3 }] },
      notOwn: { code: "42501", message: 'new row violates row-level security policy for table "notes"' },
      root: { rowCount: 3, rows: [{ id: 1 }, { id: 2 }, { id: 3 }] },
    });
    expect((await db.pool.query("select count(*)::int as n from app.notes")).rows).toEqual([{ n: 2 }]);
  });

  test("refusal gives the code and message of a refused statement, and null for one that succeeds", async () => {
    const seen = await asRoot(db.pool, async (c) => {
      await actAs(c, { role: reader, userId: 7 }, { authenticator: auth });
      return [
        await refusal(c, "delete from app.notes"),
        await refusal(c, "select 1 / $1::int", [0]),
        await refusal(c, "select 1"),
      ];
    });
    expect(seen).toEqual([
      { code: "42501", message: "permission denied for table notes" },
      { code: "22012", message: "division by zero" },
      null,
    ]);
  });
});

describe("expectRowSecurityEverywhere", () => {
  test("passes for a schema whose every table has row security enabled and forced", async () => {
    await expect(expectRowSecurityEverywhere(db.pool, "app")).resolves.toBeUndefined();
  });

  test("fails naming each offender, what it lacks and the fix; the covered table is not named", async () => {
    await expect(expectRowSecurityEverywhere(db.pool, "half")).rejects.toThrow(
      'row security is missing on 2 table(s) of schema "half":\n' +
        "  - half.enabled_only: not forced (compile again, or: alter table half.enabled_only force row level security)\n" +
        "  - half.nothing: not enabled, not forced (compile again, or: alter table half.nothing enable row level security; alter table half.nothing force row level security)",
    );
    expect(await rowSecurityOffenders(db.pool, "half")).toEqual([
      { table: "enabled_only", enabled: true, forced: false },
      { table: "nothing", enabled: false, forced: false },
    ]);
  });

  test("fails for a schema without tables, so a misspelled name does not pass", async () => {
    await expect(expectRowSecurityEverywhere(db.pool, "empty")).rejects.toThrow(
      'schema "empty" has no tables: is the name right?',
    );
  });
});

describe("ageRows", () => {
  test("user 7's note, aged by 2 days past its 1-day expiry, is gone for user 7 on the next statement; it still exists", async () => {
    const seen = await asRoot(db.pool, async (c) => {
      await actAs(c, { role: reader, userId: 7 }, { authenticator: auth });
      const before = (await c.query("select id from app.notes")).rows;
      await backToRoot(c);
      const aged = await ageRows(c, { table: "app.notes", columns: ["expires_at"], by: "2 days", where: { id: 1 } });
      const untouched = (await c.query("select expires_at > now() as live from app.notes where id = 2")).rows;
      await actAs(c, { role: reader, userId: 7 }, { authenticator: auth });
      const after = (await c.query("select id from app.notes")).rows;
      await backToRoot(c);
      const root = (await c.query("select id, expires_at < now() - interval '1 day' as expired from app.notes where id = 1"))
        .rows;
      return { before, aged, untouched, after, root };
    });
    expect(seen).toEqual({
      before: [{ id: 1 }],
      aged: 1,
      untouched: [{ live: true }],
      after: [],
      root: [{ id: 1, expired: true }],
    });
    expect((await db.pool.query("select expires_at > now() as live from app.notes where id = 1")).rows).toEqual([{ live: true }]);
  });

  test("says how to write the table and the columns", async () => {
    await expect(ageRows(db.pool, { table: "notes", columns: ["expires_at"], by: "1 day" })).rejects.toThrow(
      'ageRows: table must be written schema.table, e.g. "clinic.access_grants", not "notes"',
    );
    await expect(ageRows(db.pool, { table: "app.notes", columns: [], by: "1 day" })).rejects.toThrow(
      "ageRows: name at least one timestamp column in `columns`",
    );
  });
});
