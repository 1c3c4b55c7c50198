/**
 * Soft delete of crm.customers (DESIGN.md invariant 7, CRM.md Lifecycle): no app role physically deletes a
 * customer, admin included. A delete marks deleted_at, deleted_by and deleted_reason, the soft_deleted
 * restriction hides the row from everyone but admin and auditor, admin (or a supervisor over the customer's
 * unit) restores it intact, and only the owner's purge removes rows marked more than 365 days ago.
 *
 * Each test runs in one root transaction, rolled back: a persona acts through the authenticator as the server
 * would, then the test returns to the superuser for the root check.
 */
import type { PoolClient } from "pg";
import type { AppTestDatabase } from "../../db/testing";
import { attempt, backToRoot } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

/** A customer's marks as the superuser sees them; `[]` when the row does not exist. */
const marks = (c: PoolClient, id: number) =>
  c
    .query(
      `select id::int, deleted_at is not null as deleted, deleted_by::int, deleted_reason
         from crm.customers where id = $1`,
      [id],
    )
    .then((r) => r.rows);

/** Every column of a customer, twins and marks included, as the superuser sees it. */
const wholeRow = (c: PoolClient, id: number) =>
  c.query("select to_jsonb(c) as row from crm.customers c where id = $1", [id]).then((r) => r.rows[0]?.row);

const visible = (c: PoolClient, id: number) => column<number>(c, "select id::int from crm.customers where id = $1", [id]);

const notMarked = (id: number) => [{ id, deleted: false, deleted_by: null, deleted_reason: null }];

describe("a delete marks the row instead of removing it", () => {
  test("adam (admin) deletes rita's customer 2: it is marked with when and by him, rita no longer sees it, and it still exists", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const before = await visible(c, 2);
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const deleted = await attempt(c, "delete from crm.customers where id = 2");
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const after = await visible(c, 2);
      await backToRoot(c);
      return { before, deleted, after, root: await marks(c, 2) };
    });
    expect(outcome).toEqual({
      before: [2],
      deleted: { rowCount: 0, rows: [] },
      after: [],
      root: [{ id: 2, deleted: true, deleted_by: 15, deleted_reason: null }],
    });
  });

  test("adam deletes customer 3 with a reason through gatehouse.delete_customers: who and why are recorded", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const deleted = await attempt(c, "select gatehouse.delete_customers(3, 'duplicate of 2')");
      await backToRoot(c);
      return { deleted, root: await marks(c, 3) };
    });
    expect(outcome).toEqual({
      deleted: { rowCount: 1, rows: [{ delete_customers: "" }] },
      root: [{ id: 3, deleted: true, deleted_by: 15, deleted_reason: "duplicate of 2" }],
    });
  });

  test("rita (sales rep) may delete neither her customer 2 nor rick's 4 (CRM.md: deletion is requested and approved): nothing is marked", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const own = await attempt(c, "delete from crm.customers where id = 2");
      const ricks = await attempt(c, "delete from crm.customers where id = 4");
      const withReason = await attempt(c, "select gatehouse.delete_customers(2, 'mine')");
      await backToRoot(c);
      return { own, ricks, withReason, root: [...(await marks(c, 2)), ...(await marks(c, 4))] };
    });
    const denied = { code: "42501", message: "permission denied for table customers" };
    expect(outcome).toEqual({
      own: denied,
      ricks: denied,
      withReason: { code: "42501", message: "permission denied for function delete_customers" },
      root: [...notMarked(2), ...notMarked(4)],
    });
  });

  test("adam's delete of customer 999, which does not exist, through delete_customers is refused: it marked nothing", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const deleted = await attempt(c, "select gatehouse.delete_customers(999, 'gone')");
      await backToRoot(c);
      return { deleted, marked: await column<number>(c, "select count(*)::int from crm.customers where deleted_at is not null") };
    });
    expect(outcome).toEqual({
      deleted: { code: "42501", message: "gatehouse: no row of customers with id 999 that you may delete" },
      marked: [1],
    });
  });

  test("adam (admin) deleting customer 14 marks it: the row and its quote stay, and adam still sees it", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const deleted = await attempt(c, "delete from crm.customers where id = 14 returning id");
      const seen = await visible(c, 14);
      await backToRoot(c);
      return {
        deleted,
        seen,
        root: await marks(c, 14),
        quotes: await column<number>(c, "select count(*)::int from crm.quotes where customer_id = 14"),
      };
    });
    expect(outcome).toEqual({
      deleted: { rowCount: 0, rows: [] },
      seen: [14],
      root: [{ id: 14, deleted: true, deleted_by: 15, deleted_reason: null }],
      quotes: [1],
    });
  });

  test("adam deleting every customer removes none: all 22 are marked, the soft-deleted 21 keeps its first marks", async () => {
    const outcome = await crm.root(async (c) => {
      const before = await column<string>(c, "select deleted_at::text from crm.customers where id = 21");
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const deleted = await attempt(c, "delete from crm.customers");
      await backToRoot(c);
      return {
        deleted,
        rows: await column<number>(c, "select count(*)::int from crm.customers where deleted_at is not null"),
        first: (await column<string>(c, "select deleted_at::text from crm.customers where id = 21"))[0] === before[0],
        by21: await column(c, "select deleted_by from crm.customers where id = 21"),
      };
    });
    expect(outcome).toEqual({ deleted: { rowCount: 0, rows: [] }, rows: [22], first: true, by21: [null] });
  });

  test("the owner's own delete marks too: only the purge removes rows", async () => {
    const outcome = await crm.root(async (c) => ({
      deleted: await attempt(c, "delete from crm.customers where id = 5"),
      root: await marks(c, 5),
    }));
    expect(outcome).toEqual({
      deleted: { rowCount: 0, rows: [] },
      root: [{ id: 5, deleted: true, deleted_by: null, deleted_reason: null }],
    });
  });

  test("the contacts of rita's customer 2 disappear with it for her once adam deletes it, and exist", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const before = await column<number>(c, "select id::int from crm.contacts where customer_id = 2 order by id");
      await crm.actAs(c, persona("adam", { channel: "web" }));
      await c.query("delete from crm.customers where id = 2");
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const after = await column<number>(c, "select id::int from crm.contacts where customer_id = 2 order by id");
      await backToRoot(c);
      return {
        before,
        after,
        root: await column<number>(c, "select id::int from crm.contacts where customer_id = 2 order by id"),
      };
    });
    expect(outcome.before.length).toBeGreaterThan(0);
    expect(outcome).toEqual({ before: outcome.before, after: [], root: outcome.before });
  });

  test("suki (support, no delete rule) may not delete a customer: permission denied, and the row is unmarked", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("suki", { channel: "web" }));
      const deleted = await attempt(c, "delete from crm.customers where id = 2");
      const withReason = await attempt(c, "select gatehouse.delete_customers(2, 'x')");
      await backToRoot(c);
      return { deleted, withReason, root: await marks(c, 2) };
    });
    expect(outcome).toEqual({
      deleted: { code: "42501", message: "permission denied for table customers" },
      withReason: { code: "42501", message: "permission denied for function delete_customers" },
      root: notMarked(2),
    });
  });

  test("nobody writes the marks by hand: adam cannot update deleted_at nor clear deleted_by, rita cannot insert a marked row", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const setAt = await attempt(c, "update crm.customers set deleted_at = now() where id = 2");
      const clearBy = await attempt(c, "update crm.customers set deleted_by = null where id = 21");
      await backToRoot(c);
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const insert = await attempt(
        c,
        "insert into crm.customers (name, owner_id, unit_id, deleted_at) values ('Ghost Ltd', 4, 4, now())",
      );
      await backToRoot(c);
      return { setAt, clearBy, insert, root: [...(await marks(c, 2)), ...(await marks(c, 21))] };
    });
    const denied = { code: "42501", message: "permission denied for table customers" };
    expect(outcome).toEqual({
      setAt: denied,
      clearBy: denied,
      insert: denied,
      root: [...notMarked(2), { id: 21, deleted: true, deleted_by: null, deleted_reason: null }],
    });
  });
});

describe("restore brings a row back intact", () => {
  test("adam restores rita's customer 2 he deleted by mistake: every column is as it was before, and rita sees it again", async () => {
    const outcome = await crm.root(async (c) => {
      const before = await wholeRow(c, 2);
      await crm.actAs(c, persona("adam", { channel: "web" }));
      await c.query("select gatehouse.delete_customers(2, 'by mistake')");
      await backToRoot(c);
      const deleted = await marks(c, 2);
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const restored = await attempt(c, "select crm.restore_customers(2)");
      await backToRoot(c);
      const after = await wholeRow(c, 2);
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const seen = await visible(c, 2);
      await backToRoot(c);
      return { before, deleted, restored, after, seen };
    });
    expect(outcome.before).toMatchObject({ id: 2, name: "Bluebird Bakery", owner_id: 4, deleted_at: null });
    expect(Object.keys(outcome.before).sort()).toEqual(Object.keys(outcome.after).sort());
    expect(outcome).toEqual({
      before: outcome.before,
      deleted: [{ id: 2, deleted: true, deleted_by: 15, deleted_reason: "by mistake" }],
      restored: { rowCount: 1, rows: [{ restore_customers: "" }] },
      after: outcome.before,
      seen: [2],
    });
  });

  test("sam (supervisor, East-1) restores rick's soft-deleted customer 21 in his unit", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("sam", { channel: "web" }));
      const restored = await attempt(c, "select crm.restore_customers(21)");
      await backToRoot(c);
      return { restored, root: await marks(c, 21) };
    });
    expect(outcome).toEqual({ restored: { rowCount: 1, rows: [{ restore_customers: "" }] }, root: notMarked(21) });
  });

  test("sam cannot restore roy's East-2 customer 7 that adam deleted: refused, and it stays marked", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("adam", { channel: "web" }));
      await c.query("delete from crm.customers where id = 7");
      await backToRoot(c);
      await crm.actAs(c, persona("sam", { channel: "web" }));
      const restored = await attempt(c, "select crm.restore_customers(7)");
      await backToRoot(c);
      return { restored, root: await marks(c, 7) };
    });
    expect(outcome).toEqual({
      restored: { code: "42501", message: "gatehouse: no soft-deleted row of customers with id 7 that you may restore" },
      root: [{ id: 7, deleted: true, deleted_by: 15, deleted_reason: null }],
    });
  });

  test("rita may not restore: her role cannot execute restore_customers, and 21 stays marked", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("rita", { channel: "web" }));
      const restored = await attempt(c, "select crm.restore_customers(21)");
      await backToRoot(c);
      return { restored, root: await marks(c, 21) };
    });
    expect(outcome).toEqual({
      restored: { code: "42501", message: "permission denied for function restore_customers" },
      root: [{ id: 21, deleted: true, deleted_by: null, deleted_reason: null }],
    });
  });

  test("rita acting as a supervisor she is not is refused by restore's own check, and 21 stays marked", async () => {
    const outcome = await crm.root(async (c) => {
      await crm.actAs(c, persona("rita", { role: "supervisor", channel: "web" }));
      const restored = await attempt(c, "select crm.restore_customers(21)");
      await backToRoot(c);
      return { restored, root: await marks(c, 21) };
    });
    expect(outcome).toEqual({
      restored: {
        code: "42501",
        message:
          "gatehouse: your role may not restore customers: only admin (every row); supervisor, regional_manager and director (rows of their unit and its sub-units (unit_id)) may",
      },
      root: [{ id: 21, deleted: true, deleted_by: null, deleted_reason: null }],
    });
  });

  test("restoring a customer that is not deleted is refused, and it is unchanged", async () => {
    const outcome = await crm.root(async (c) => {
      const before = await wholeRow(c, 2);
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const restored = await attempt(c, "select crm.restore_customers(2)");
      await backToRoot(c);
      return { restored, same: JSON.stringify(await wholeRow(c, 2)) === JSON.stringify(before) };
    });
    expect(outcome).toEqual({
      restored: { code: "42501", message: "gatehouse: no soft-deleted row of customers with id 2 that you may restore" },
      same: true,
    });
  });
});

describe("only the owner purges, and only rows past the retention period", () => {
  test("no app role, nor PUBLIC, may execute the purge; adam's call is refused and 21 still exists", async () => {
    const outcome = await crm.root(async (c) => {
      const allowed = await column<string>(
        c,
        `select r.rolname::text from pg_catalog.pg_roles r
          where r.rolname like $1 and pg_catalog.has_function_privilege(r.oid, 'gatehouse.purge_customers(interval)', 'execute')`,
        [`${crm.app.rolePrefix}%`],
      );
      const publicAcl = await column<boolean>(
        c,
        `select exists (select 1 from pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
                         where p.oid = 'gatehouse.purge_customers(interval)'::regprocedure and a.grantee = 0)`,
      );
      await crm.actAs(c, persona("adam", { channel: "web" }));
      const purged = await attempt(c, "select gatehouse.purge_customers('0 days')");
      await backToRoot(c);
      return { allowed, publicAcl, purged, root: await marks(c, 21) };
    });
    expect(outcome).toEqual({
      allowed: [],
      publicAcl: [false],
      purged: { code: "42501", message: "permission denied for function purge_customers" },
      root: [{ id: 21, deleted: true, deleted_by: null, deleted_reason: null }],
    });
  });

  test("the owner's purge removes only customers marked more than 365 days ago, with their contacts, each recorded by the audit trail; a second run removes nothing", async () => {
    const outcome = await crm.root(async (c) => {
      await c.query("update crm.customers set deleted_at = now() - interval '400 days' where id = 21");
      await c.query("update crm.customers set deleted_at = now() - interval '300 days' where id = 2");
      const [after] = await column<number>(c, "select coalesce(max(id), 0)::int from gatehouse.audit_log");
      const first = await column<number>(c, "select gatehouse.purge_customers()::int");
      const second = await column<number>(c, "select gatehouse.purge_customers()::int");
      return {
        first,
        second,
        customers: await column<number>(c, "select id::int from crm.customers where id in (2, 21) order by id"),
        contactsOf21: await column<number>(c, "select count(*)::int from crm.contacts where customer_id = 21"),
        contactsOf2: await column<number>(c, "select count(*)::int from crm.contacts where customer_id = 2"),
        audited: (
          await c.query(
            `select table_name, operation, row_key, old_values ->> 'name' as name from gatehouse.audit_log
              where id > $1 and operation = 'delete' order by id`,
            [after],
          )
        ).rows,
      };
    });
    expect(outcome).toEqual({
      first: [1],
      second: [0],
      customers: [2],
      contactsOf21: [0],
      contactsOf2: [outcome.contactsOf2[0]],
      audited: [
        { table_name: "contacts", operation: "delete", row_key: { id: 20 }, name: null },
        { table_name: "customers", operation: "delete", row_key: { id: 21 }, name: "Vertex Vending" },
      ],
    });
    expect(outcome.contactsOf2[0]).toBeGreaterThan(0);
  });

  test("a shorter period is the owner's to choose: purge_customers('30 days') removes the 21 deleted in October, nothing live", async () => {
    const outcome = await crm.root(async (c) => {
      const live = await column<number>(c, "select count(*)::int from crm.customers where deleted_at is null");
      const purged = await column<number>(c, "select gatehouse.purge_customers('30 days')::int");
      return {
        purged,
        left: await column<number>(c, "select count(*)::int from crm.customers where deleted_at is null"),
        live,
        gone: await column<number>(c, "select id::int from crm.customers where id = 21"),
      };
    });
    expect(outcome).toEqual({ purged: [1], left: outcome.live, live: outcome.live, gone: [] });
  });
});
