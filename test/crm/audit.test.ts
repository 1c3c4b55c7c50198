import type { PoolClient } from "pg";
import { PERSONAS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing/app-database";
import { column, openCrmDatabase, persona } from "./crm-database";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

/** Within one request transaction, act as another persona (the authenticator may become every app role). */
async function becomes(c: PoolClient, username: string) {
  const p = PERSONAS.find((x) => x.username === username)!;
  await c.query(`set local role "${crm.app.rolePrefix}${p.roles[0]}"`);
  await c.query("select set_config('jwt.claims.user_id', $1, true)", [String(p.id)]);
}

const trail = (c: PoolClient) =>
  c.query(
    "select user_id::int, acting_role, table_name, operation, row_key, old_row->>'name' as old_name, new_row->>'name' as new_name from gatehouse.audit_log order by id",
  );

test("the seed, written by the owner, left no audit row", async () => {
  expect(await crm.root((c) => column(c, "select count(*)::int from gatehouse.audit_log"))).toEqual([0]);
});

test("rita's insert and update of a customer are recorded with her id and role, and aude reads them", async () => {
  await crm.as(persona("rita"), async (c) => {
    const { rows } = await c.query(
      "insert into crm.customers (name, owner_id, unit_id) values ('Audited Co', 4, 4) returning id",
    );
    const id = String(rows[0].id);
    await c.query("update crm.customers set name = 'Audited Ltd' where id = $1", [id]);
    await becomes(c, "aude");
    const role = `${crm.app.rolePrefix}sales_rep`;
    expect((await trail(c)).rows).toEqual([
      {
        user_id: 4,
        acting_role: role,
        table_name: "customers",
        operation: "insert",
        row_key: id,
        old_name: null,
        new_name: "Audited Co",
      },
      {
        user_id: 4,
        acting_role: role,
        table_name: "customers",
        operation: "update",
        row_key: id,
        old_name: "Audited Co",
        new_name: "Audited Ltd",
      },
    ]);
  });
});

test("rita cannot read the audit trail, which aude sees holds her write", async () => {
  await crm.as(persona("rita"), async (c) => {
    await c.query("update crm.customers set name = 'Bluebird Bakery Ltd' where id = 2");
    await c.query("savepoint s");
    await expect(c.query("select * from gatehouse.audit_log")).rejects.toMatchObject({ code: "42501" });
    await c.query("rollback to savepoint s");
    await becomes(c, "aude");
    expect((await trail(c)).rows.map((r) => [r.operation, r.row_key])).toEqual([["update", "2"]]);
  });
});

test("adam, admin, can neither update nor delete audit rows, nor insert forged ones", async () => {
  await crm.as(persona("rita"), async (c) => {
    await c.query("update crm.customers set name = 'Bluebird Bakery Ltd' where id = 2");
    await becomes(c, "adam");
    expect((await trail(c)).rows.map((r) => r.operation)).toEqual(["update"]);
    for (const statement of [
      "update gatehouse.audit_log set user_id = 15",
      "delete from gatehouse.audit_log",
      "insert into gatehouse.audit_log (acting_role, login, table_name, operation) values ('x', 'x', 'customers', 'delete')",
      "truncate gatehouse.audit_log",
    ]) {
      await c.query("savepoint s");
      await expect(c.query(statement)).rejects.toMatchObject({ code: "42501" });
      await c.query("rollback to savepoint s");
    }
    await becomes(c, "aude");
    expect((await trail(c)).rows.map((r) => [r.user_id, r.operation])).toEqual([[4, "update"]]);
  });
});

test("aude, auditor, cannot write to a customer: nothing is recorded", async () => {
  await crm.as(persona("aude"), async (c) => {
    await c.query("savepoint s");
    await expect(c.query("update crm.customers set name = 'x' where id = 2")).rejects.toMatchObject({ code: "42501" });
    await c.query("rollback to savepoint s");
    expect((await trail(c)).rows).toEqual([]);
  });
});
