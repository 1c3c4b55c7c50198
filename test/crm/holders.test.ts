import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// Grants never move rows (DESIGN.md invariant 9): a temporary grant lets sam read and edit wendy's customer 12
// (West-1, outside his East-1 team), never make it his own or his team's. Whoever moves a row keeps it in their
// own reach, and only an active user whose role owns customers may own one.

let crm: AppTestDatabase;
const SAM = persona("sam");
const WENDYS_CUSTOMER = 12;

beforeAll(async () => {
  crm = await openCrmDatabase();
  await crm.db.pool.query(
    `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason)
     select 3, 'customers', $1, p, now() + interval '1 day', 1, 'covering West-1 this week' from unnest(array['select', 'update']) p`,
    [WENDYS_CUSTOMER],
  );
});
afterAll(() => crm?.close());

const ownerOf = (id: number) => crm.root((c) => column(c, "select owner_id from crm.customers where id = $1", [id]));

test("sam edits the name of wendy's customer he holds an update grant on", async () => {
  const names = await crm.as(SAM, (c) =>
    column(c, "update crm.customers set name = 'Maple Media Group' where id = $1 returning name", [WENDYS_CUSTOMER]),
  );
  expect(names).toEqual(["Maple Media Group"]);
});

test("sam cannot make himself the owner of a customer he reaches only through a temporary grant", async () => {
  await expect(
    crm.as(SAM, (c) => c.query("update crm.customers set owner_id = 3 where id = $1", [WENDYS_CUSTOMER])),
  ).rejects.toThrow(
    "gatehouse: you reach this row of customers only through a temporary grant or a membership, which lets you read or edit it, not change owner_id, unit_id",
  );
  expect(await ownerOf(WENDYS_CUSTOMER)).toEqual(["7"]);
});

test("sam cannot hand a customer he reaches only through a grant to rita, his teammate", async () => {
  await expect(
    crm.as(SAM, (c) => c.query("update crm.customers set owner_id = 4 where id = $1", [WENDYS_CUSTOMER])),
  ).rejects.toThrow("only through a temporary grant or a membership");
  expect(await ownerOf(WENDYS_CUSTOMER)).toEqual(["7"]);
});

test("sam reassigns rick's customer 4, in his own team, to rita", async () => {
  const owners = await crm.as(SAM, (c) => column(c, "update crm.customers set owner_id = 4 where id = 4 returning owner_id"));
  expect(owners).toEqual(["4"]);
});

test("sam cannot hand a customer of his team to olga, who is frozen", async () => {
  await expect(crm.as(SAM, (c) => c.query("update crm.customers set owner_id = 17 where id = 4"))).rejects.toThrow(
    "gatehouse: user 17 cannot own rows of customers: an owner must be an active user holding sales_rep, intern, supervisor, regional_manager, director",
  );
  expect(await crm.root((c) => column(c, "select status from crm.users where id = 17"))).toEqual(["frozen"]);
  expect(await ownerOf(4)).toEqual(["5"]);
});

test("dana cannot make adam, an admin, the owner of a customer: admins do not own customers", async () => {
  await expect(crm.as(persona("dana"), (c) => c.query("update crm.customers set owner_id = 15 where id = 4"))).rejects.toThrow(
    "gatehouse: user 15 cannot own rows of customers",
  );
  expect(await ownerOf(4)).toEqual(["5"]);
});

test("rita creates a customer owned by herself", async () => {
  const owners = await crm.as(persona("rita"), (c) =>
    column(
      c,
      "insert into crm.customers (name, industry, region, stage, owner_id, unit_id) values ('Ridge Labs', 'Software', 'East', 'lead', 4, 4) returning owner_id",
    ),
  );
  expect(owners).toEqual(["4"]);
});

test("rick switching borrowed access off by hand only hides the customer granted to him", async () => {
  const before = await crm.as(persona("rick"), (c) => column(c, "select id from crm.customers where id = 8"));
  const after = await crm.as(persona("rick"), async (c) => {
    await c.query("select set_config('gatehouse.borrowed_access', 'off', true)");
    return column(c, "select id from crm.customers where id = 8");
  });
  expect([before, after]).toEqual([["8"], []]);
  expect(await crm.root((c) => column(c, "select id from crm.customers where id = 8"))).toEqual(["8"]);
});

test("the owner's own writes (migrations, seeds) may still assign a row to a frozen user", async () => {
  expect(await crm.root((c) => column(c, "update crm.customers set owner_id = 17 where id = 4 returning owner_id"))).toEqual([
    "17",
  ]);
});
