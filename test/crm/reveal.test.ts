import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// Reveal with a reason (reveal() in db/crm/roles.ts): supervisors read a contact's raw phone or id number in their
// subtree (VIP excepted), regional managers and above VIP too; every reveal is an audit row.

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

test("sam reveals the phone of contact 5 (rick's customer, East-1) with a reason; the audit row names the column and the reason, not the value", async () => {
  const seen = await crm.as(persona("sam"), async (c) => {
    const phone = await column(c, "select crm.reveal_contacts_phone(5, 'customer called back, number lost')");
    await crm.actAs(c, persona("aude"));
    const { rows } = await c.query(
      "select user_id::int, acting_role, table_name, operation, row_key, old_values, new_values, reason from gatehouse.audit_log where operation = 'reveal'",
    );
    return { phone, rows };
  });
  expect(seen).toEqual({
    phone: ["+1-555-0105"],
    rows: [
      {
        user_id: 3,
        acting_role: roleName(crm.app, "supervisor"),
        table_name: "contacts",
        operation: "reveal",
        row_key: { id: 5 },
        old_values: null,
        new_values: { column: "phone" },
        reason: "customer called back, number lost",
      },
    ],
  });
});

test("sam cannot reveal the phone of contact 1 of rita's VIP customer, nor of contact 8 in East-2", async () => {
  for (const id of [1, 8])
    await expect(crm.as(persona("sam"), (c) => c.query("select crm.reveal_contacts_phone($1, 'why not')", [id]))).rejects.toThrow(
      `gatehouse: contacts ${id} is not one whose phone you may reveal`,
    );
  expect(await crm.root((c) => column(c, "select phone from crm.contacts where id in (1, 8) order by id"))).toEqual([
    "+1-555-0101",
    "+1-555-0108",
  ]);
});

test("erin (regional manager, East) reveals the id number of contact 1 of the VIP customer", async () => {
  expect(await crm.as(persona("erin"), (c) => column(c, "select crm.reveal_contacts_id_number(1, 'contract check')"))).toEqual([
    "ID-441022",
  ]);
});

test("sam must say why", async () => {
  await expect(crm.as(persona("sam"), (c) => c.query("select crm.reveal_contacts_phone(5, '  ')"))).rejects.toThrow(
    "gatehouse: say why you reveal it (reason)",
  );
});

test("rita (sales rep) and suki (support) may not reveal at all", async () => {
  for (const who of ["rita", "suki"])
    await expect(crm.as(persona(who), (c) => c.query("select crm.reveal_contacts_phone(3, 'curious')"))).rejects.toThrow(
      "permission denied for function reveal_contacts_phone",
    );
  expect(await crm.root((c) => column(c, "select count(*)::int from crm.contacts where id = 3"))).toEqual([1]);
});
