/**
 * The audit trail (DESIGN.md invariant 7): every insert, update and delete on a CRM table, by any role — app
 * roles, role-bound logins, the owner and superusers — appends a hash-chained row that no role can update or
 * delete unnoticed; only the owner can pause it, and the pause is itself recorded.
 */
import { Client, type ClientBase, type PoolClient } from "pg";
import { loginName, verifyAuditLog } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { refusal, backToRoot } from "../../db/testing";
import { column, CRM_TABLES, openCrmDatabase, persona } from "./crm-database";

let crm: AppTestDatabase;
let superuser: string;
beforeAll(async () => {
  crm = await openCrmDatabase();
  superuser = (await crm.db.pool.query<{ name: string }>("select current_user as name")).rows[0]!.name;
});
afterAll(() => crm?.close());

const role = (name: string) => `${crm.app.rolePrefix}${name}`;
const authenticator = () => role("authenticator");

/** The id of the last audit row: rows a test adds come after it. */
const lastId = async (c: PoolClient) =>
  (await column<number>(c, "select coalesce(max(id), 0)::int from gatehouse.audit_log"))[0]!;

/** Audit rows after `after`, without the volatile columns (time, transaction id, hashes). */
const trailAfter = async (c: PoolClient, after: number) =>
  (
    await c.query(
      `select user_id::int, acting_role::text, login::text, channel, table_name, operation, row_key, old_values, new_values, reason
         from gatehouse.audit_log where id > $1 order by id`,
      [after],
    )
  ).rows;

describe("what a write leaves in the trail", () => {
  test("the seed, loaded by the owner (a superuser), is recorded row by row: no user, the superuser's role, an intact chain", async () => {
    await crm.root(async (c) => {
      const seeded: string[] = [];
      for (const table of CRM_TABLES) {
        const [count] = await column<number>(c, `select count(*)::int from crm.${table}`);
        if (count) seeded.push(`${table} ${count}`);
      }
      const recorded = await column<string>(
        c,
        "select format('%s %s', table_name, count(*)) from gatehouse.audit_log group by table_name order by table_name",
      );
      expect(recorded).toEqual(seeded);
      const who = await c.query(
        "select distinct user_id, acting_role::text, login::text, channel, operation from gatehouse.audit_log",
      );
      expect(who.rows).toEqual([{ user_id: null, acting_role: superuser, login: superuser, channel: null, operation: "insert" }]);
      const total = await column<number>(c, "select count(*)::int from gatehouse.audit_log");
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: true, rows: total[0] });
    });
  });

  test("rita (sales_rep, on mobile) renames her customer: her id, role, login and channel, the key as json, only the changed columns", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await crm.actAs(c, persona("rita", { channel: "mobile" }));
      const { rowCount } = await c.query(
        "update crm.customers set name = 'Bluebird Bakery Ltd', stage = 'lead', region = 'East', industry = 'Bakery' where id = 2",
      );
      expect(rowCount).toBe(1);
      await backToRoot(c);
      expect(await trailAfter(c, after)).toEqual([
        {
          user_id: 4,
          acting_role: role("sales_rep"),
          login: authenticator(),
          channel: "mobile",
          table_name: "customers",
          operation: "update",
          row_key: { id: 2 },
          // stage and region were set to the values they had: not changes
          old_values: { name: "Bluebird Bakery", industry: "Food" },
          new_values: { name: "Bluebird Bakery Ltd", industry: "Bakery" },
          reason: null,
        },
      ]);
    });
  });

  test("rita adds a contact: the whole new row, with phone, email and id number through their masks, never raw", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await crm.actAs(c, persona("rita"));
      const { rows } = await c.query(
        "insert into crm.contacts (customer_id, full_name, phone, email, id_number) values (2, 'Ada Brook', '+1-555-0177', 'ada@bluebird.example', 'ID-555123') returning id",
      );
      const id = Number(rows[0].id);
      await backToRoot(c);
      const trail = await trailAfter(c, after);
      expect(trail).toEqual([
        {
          user_id: 4,
          acting_role: role("sales_rep"),
          login: authenticator(),
          channel: null,
          table_name: "contacts",
          operation: "insert",
          row_key: { id },
          old_values: null,
          new_values: {
            id,
            customer_id: 2,
            full_name: "Ada Brook",
            phone: "*******0177",
            email: "***@bluebird.example",
            id_number: "[redacted]",
          },
          reason: null,
        },
      ]);
      // the root check: the raw values are in the table, and nowhere in the trail
      expect(await column(c, "select phone from crm.contacts where id = $1", [id])).toEqual(["+1-555-0177"]);
      expect(JSON.stringify(trail)).not.toMatch(/555-0177|ada@|555123/);
    });
  });

  test("rita changes her contact's phone: the old and new phone are recorded masked, keeping the last 4 digits", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await crm.actAs(c, persona("rita"));
      const { rowCount } = await c.query("update crm.contacts set phone = '+1-555-7788' where id = 3");
      expect(rowCount).toBe(1);
      await backToRoot(c);
      expect(await trailAfter(c, after)).toEqual([
        {
          user_id: 4,
          acting_role: role("sales_rep"),
          login: authenticator(),
          channel: null,
          table_name: "contacts",
          operation: "update",
          row_key: { id: 3 },
          old_values: { phone: "*******0103" },
          new_values: { phone: "*******7788" },
          reason: null,
        },
      ]);
    });
  });

  test("sam (supervisor) reassigns rick's customer to rita: his id and role, the owner before and after", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await crm.actAs(c, persona("sam"));
      expect((await c.query("update crm.customers set owner_id = 4 where id = 4")).rowCount).toBe(1);
      await backToRoot(c);
      expect(await trailAfter(c, after)).toEqual([
        {
          user_id: 3,
          acting_role: role("supervisor"),
          login: authenticator(),
          channel: null,
          table_name: "customers",
          operation: "update",
          row_key: { id: 4 },
          old_values: { owner_id: 5 },
          new_values: { owner_id: 4 },
          reason: null,
        },
      ]);
    });
  });

  test("rita's role-bound login updates her customer: the login is both the acting role and the session user", async () => {
    const login = await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
    const after = await crm.root((c) => lastId(c));
    // a login's statement commits by itself, as a BI tool's would
    expect((await login.query("update crm.customers set last_contacted_at = '2026-11-02T10:00:00Z' where id = 3")).rowCount).toBe(
      1,
    );
    const name = loginName(crm.app, "rita");
    expect(await crm.root((c) => trailAfter(c, after))).toEqual([
      {
        user_id: 4,
        acting_role: name,
        login: name,
        channel: null,
        table_name: "customers",
        operation: "update",
        row_key: { id: 3 },
        old_values: { last_contacted_at: "2026-02-12T10:00:00+00:00" },
        new_values: { last_contacted_at: "2026-11-02T10:00:00+00:00" },
        reason: null,
      },
    ]);
  });

  test("the owner's delete of a project membership is recorded with the old row, keyed by both key columns", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      expect((await c.query("delete from crm.project_members where project_id = 1 and user_id = 4")).rowCount).toBe(1);
      expect(await trailAfter(c, after)).toEqual([
        {
          user_id: null,
          acting_role: superuser,
          login: superuser,
          channel: null,
          table_name: "project_members",
          operation: "delete",
          row_key: { project_id: 1, user_id: 4 },
          old_values: { project_id: 1, user_id: 4 },
          new_values: null,
          reason: null,
        },
      ]);
    });
  });

  test("the owner's truncate is recorded (one row for the table)", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await c.query("truncate crm.partner_shares");
      expect((await trailAfter(c, after)).map((r) => [r.acting_role, r.table_name, r.operation, r.row_key])).toEqual([
        [superuser, "partner_shares", "truncate", null],
      ]);
    });
  });
});

describe("who may read and change the trail", () => {
  test("aude (auditor) reads rita's write; rita cannot read the trail at all", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await crm.actAs(c, persona("rita"));
      await c.query("update crm.customers set industry = 'Bakery' where id = 2");
      expect((await refusal(c, "select id from gatehouse.audit_log"))?.code).toBe("42501");
      await backToRoot(c);
      await crm.actAs(c, persona("aude"));
      expect(
        await column(c, "select format('%s %s %s', user_id, operation, row_key) from gatehouse.audit_log where id > $1", [after]),
      ).toEqual(['4 update {"id": 2}']);
    });
  });

  test("adam (admin) can neither insert, update, delete nor truncate audit rows, and the row he tried is still there", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("adam"));
      for (const statement of [
        "insert into gatehouse.audit_log (id, at, txid, acting_role, login, operation, hash) values (100000, now(), pg_current_xact_id(), 'x', 'x', 'delete', 'x')",
        "update gatehouse.audit_log set user_id = 15 where id = 1",
        "delete from gatehouse.audit_log where id = 1",
        "truncate gatehouse.audit_log",
        "update gatehouse.audit_head set id = 1",
      ]) {
        expect([statement, (await refusal(c, statement))?.code]).toEqual([statement, "42501"]);
      }
      await backToRoot(c);
      expect(
        await column(c, "select format('%s %s %s', id, table_name, operation) from gatehouse.audit_log where id = 1"),
      ).toEqual(["1 org_units insert"]);
    });
  });

  test("the owner cannot update, delete or truncate audit rows either, not even in replica mode; the row is still there", async () => {
    await crm.root(async (c) => {
      for (const replica of [false, true]) {
        await c.query(`set local session_replication_role = ${replica ? "replica" : "origin"}`);
        for (const statement of [
          "update gatehouse.audit_log set user_id = 15 where id = 1",
          "delete from gatehouse.audit_log where id = 1",
          "truncate gatehouse.audit_log",
        ]) {
          expect([replica, statement, (await refusal(c, statement))?.code]).toEqual([replica, statement, "42501"]);
        }
      }
      expect(await column(c, "select format('%s %s', id, user_id) from gatehouse.audit_log where id = 1")).toEqual(["1 "]);
    });
  });

  test("a superuser's write in replica mode is recorded all the same", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await c.query("set local session_replication_role = replica");
      await c.query("update crm.customers set industry = 'Bakery' where id = 2");
      expect((await trailAfter(c, after)).map((r) => [r.acting_role, r.operation, r.row_key, r.new_values])).toEqual([
        [superuser, "update", { id: 2 }, { industry: "Bakery" }],
      ]);
    });
  });
});

describe("pausing the trail", () => {
  test("rita cannot pause it: audit_pause and audit_append are refused, and a forged pause setting leaves her write recorded", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await crm.actAs(c, persona("rita"));
      expect((await refusal(c, "select gatehouse.audit_pause('bulk load')"))?.code).toBe("42501");
      expect((await refusal(c, "select gatehouse.audit_append('customers', 'delete', null, null, null, null)"))?.code).toBe(
        "42501",
      );
      await c.query("select set_config('gatehouse.audit_paused', pg_current_xact_id()::text, true)");
      await c.query("update crm.customers set industry = 'Bakery' where id = 2");
      await backToRoot(c);
      expect((await trailAfter(c, after)).map((r) => [r.user_id, r.operation, r.row_key])).toEqual([[4, "update", { id: 2 }]]);
      // the root check: the pause function exists, and the owner may call it
      expect(await column(c, "select has_function_privilege('gatehouse.audit_pause(text)', 'execute')")).toEqual([true]);
    });
  });

  test("the owner's pause is recorded with its reason, and silences only the owner's writes in that transaction", async () => {
    await crm.root(async (c) => {
      const after = await lastId(c);
      await c.query("select gatehouse.audit_pause('bulk load of October leads')");
      await c.query("insert into crm.org_units (id, parent_id, name) values (100, 1, 'Imported')");
      // an app role acting later in the same transaction may not pause, so its write is recorded
      await crm.actAs(c, persona("rita"));
      await c.query("update crm.customers set industry = 'Bakery' where id = 2");
      await backToRoot(c);
      expect(await trailAfter(c, after)).toEqual([
        {
          user_id: null,
          acting_role: superuser,
          login: superuser,
          channel: null,
          table_name: null,
          operation: "pause",
          row_key: null,
          old_values: null,
          new_values: null,
          reason: "bulk load of October leads",
        },
        expect.objectContaining({ user_id: 4, operation: "update", row_key: { id: 2 } }),
      ]);
      // the root check: the unrecorded row was written
      expect(await column(c, "select name from crm.org_units where id = 100")).toEqual(["Imported"]);
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: true });
    });
  });

  test("a pause without a reason is refused", async () => {
    await crm.root(async (c) => {
      expect((await refusal(c, "select gatehouse.audit_pause('  ')"))?.code).toBe("22023");
    });
  });

  test("a pause ends with its transaction: the owner's next transaction is recorded", async () => {
    const owner = await crm.db.pool.connect();
    try {
      await owner.query("begin");
      await owner.query("select gatehouse.audit_pause('one transaction only')");
      await owner.query("commit");
      await crm.root(async (c) => {
        const after = await lastId(c);
        await c.query("update crm.customers set industry = 'Bakery' where id = 2");
        expect((await trailAfter(c, after)).map((r) => [r.acting_role, r.operation])).toEqual([[superuser, "update"]]);
      });
    } finally {
      owner.release();
    }
  });
});

describe("gatehouse audit verify catches a superuser's tampering", () => {
  /** As the superuser, in the test's transaction: the append-only trigger off, as only a superuser can. */
  const tamper = async (c: PoolClient, statement: string) => {
    await c.query("alter table gatehouse.audit_log disable trigger gatehouse_append_only");
    await c.query(statement);
    await c.query("alter table gatehouse.audit_log enable always trigger gatehouse_append_only");
  };

  test("changing a row's content is caught at that row: hash mismatch", async () => {
    await crm.root(async (c) => {
      await tamper(c, 'update gatehouse.audit_log set new_values = new_values || \'{"name": "Forged"}\' where id = 40');
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: false, id: 40, problem: "hash mismatch" });
    });
  });

  test("changing a row and rewriting its hash is caught at the next row: prev_hash mismatch", async () => {
    await crm.root(async (c) => {
      await tamper(c, "update gatehouse.audit_log set acting_role = 'nobody' where id = 40");
      await tamper(c, "update gatehouse.audit_log a set hash = gatehouse.audit_hash(a) where id = 40");
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: false, id: 41, problem: "prev_hash mismatch" });
    });
  });

  test("deleting a middle row is caught: missing row", async () => {
    await crm.root(async (c) => {
      await tamper(c, "delete from gatehouse.audit_log where id = 40");
      expect(await verifyAuditLog(c, crm.app)).toEqual({
        intact: false,
        rows: expect.any(Number),
        id: 40,
        problem: "missing row",
        detail: "row 41 follows row 39",
      });
      // the root check: row 39 and 41 are there
      expect(await column(c, "select id::int from gatehouse.audit_log where id between 39 and 41 order by id")).toEqual([39, 41]);
    });
  });

  test("deleting the last rows is caught against the chain head, and stays caught after new writes", async () => {
    await crm.root(async (c) => {
      const last = await lastId(c);
      await tamper(c, `delete from gatehouse.audit_log where id > ${last - 2}`);
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: false, id: last - 1, problem: "missing row" });
      await c.query("update crm.customers set industry = 'Bakery' where id = 2");
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: false, id: last - 1, problem: "missing row" });
    });
  });
});

describe("concurrent writers", () => {
  const connect = async () => {
    const client = new Client({ connectionString: crm.db.url });
    await client.connect();
    return client;
  };

  test("8 connections (4 as rita through the authenticator, 4 as the owner) writing at once leave one linear chain", async () => {
    const before = await crm.root((c) => lastId(c));
    const personas = await Promise.all(Array.from({ length: 4 }, () => crm.pool.connect()));
    const owners = await Promise.all(Array.from({ length: 4 }, connect));
    /** 20 transactions: one update each, two in every fifth, on rows the other connections write too. */
    const write = async (client: ClientBase, asRita: boolean) => {
      for (let n = 0; n < 20; n++) {
        await client.query("begin");
        if (asRita) {
          await client.query(`set local role "${role("sales_rep")}"`);
          await client.query("select set_config('jwt.claims.user_id', '4', true)");
        }
        await client.query("update crm.customers set last_contacted_at = clock_timestamp() where id = $1", [1 + (n % 3)]);
        if (n % 5 === 4) await client.query("update crm.contacts set full_name = full_name where id = 3");
        await client.query("commit");
      }
    };
    try {
      await Promise.all([...personas.map((c) => write(c, true)), ...owners.map((c) => write(c, false))]);
    } finally {
      personas.forEach((c) => c.release());
      await Promise.all(owners.map((c) => c.end()));
    }
    await crm.root(async (c) => {
      expect(
        await column(
          c,
          "select format('%s %s', acting_role, count(*)) from gatehouse.audit_log where id > $1 group by acting_role order by 1",
          [before],
        ),
      ).toEqual([`${superuser} 96`, `${role("sales_rep")} 96`].sort());
      // ids are chain positions: no gaps
      expect(await column(c, "select max(id)::int - $1 from gatehouse.audit_log", [before])).toEqual([8 * 24]);
      // one transaction's rows are never interleaved with another's: each holds a run of consecutive ids
      expect(
        await column(
          c,
          `select count(*)::int from (select max(id) - min(id) + 1 as span, count(*) as n
                                        from gatehouse.audit_log where id > $1 group by txid) t where span <> n`,
          [before],
        ),
      ).toEqual([0]);
      expect(await verifyAuditLog(c, crm.app)).toMatchObject({ intact: true, rows: before + 8 * 24 });
    });
  });

  test("a repeatable-read writer that raced another gets a serialization failure instead of forking the chain", async () => {
    const [first, second] = await Promise.all([connect(), connect()]);
    try {
      await second.query("begin isolation level repeatable read");
      await second.query("select 1"); // its snapshot is taken now
      await first.query("update crm.customers set last_contacted_at = clock_timestamp() where id = 1");
      await expect(
        second.query("update crm.customers set last_contacted_at = clock_timestamp() where id = 2"),
      ).rejects.toMatchObject({
        code: "40001",
      });
      await second.query("rollback");
      expect(await crm.root((c) => verifyAuditLog(c, crm.app))).toMatchObject({ intact: true });
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });
});
