import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

// Named operations (operation() in db/crm/roles.ts): closing a project, archiving stale customers, returning idle
// customers to the pool. Each test runs in one rolled-back transaction.

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const OPEN_PROJECT = 1;
const PROJECT_CUSTOMER = 11;

test("adam closes the open project: rita, its member, no longer sees its customer on her next statement", async () => {
  const seen = await crm.as(persona("rita"), async (c) => {
    const before = await column(c, "select id::int from crm.customers where id = $1", [PROJECT_CUSTOMER]);
    await crm.actAs(c, persona("adam"));
    const closed = await column(c, "select crm.close_project($1)::int", [OPEN_PROJECT]);
    await crm.actAs(c, persona("rita"));
    const after = await column(c, "select id::int from crm.customers where id = $1", [PROJECT_CUSTOMER]);
    return { before, closed, after };
  });
  expect(seen).toEqual({ before: [PROJECT_CUSTOMER], closed: [OPEN_PROJECT], after: [] });
});

test("adam cannot close a project that is closed already", async () => {
  await expect(crm.as(persona("adam"), (c) => c.query("select crm.close_project(2)"))).rejects.toThrow(
    "gatehouse: close_project: projects 2 is not there for you, or does not match its condition",
  );
  expect(await crm.root((c) => column(c, "select status from crm.projects where id = 2"))).toEqual(["closed"]);
});

test("sam (supervisor) may not close a project, nor run maintenance", async () => {
  await expect(crm.as(persona("sam"), (c) => c.query("select crm.close_project(1)"))).rejects.toThrow(
    "permission denied for function close_project",
  );
  await expect(crm.as(persona("sam"), (c) => c.query("select crm.archive_stale_customers()"))).rejects.toThrow(
    "permission denied for function archive_stale_customers",
  );
  expect(await crm.root((c) => column(c, "select status from crm.projects where id = 1"))).toEqual(["open"]);
});

test("the owner's archiving run archives exactly the customers with no contact for 3 years; a second run changes nothing", async () => {
  const runs = await crm.root(async (c) => {
    await c.query("update crm.customers set last_contacted_at = now() - interval '4 years' where id in (3, 7)");
    await c.query("update crm.customers set created_at = now() - interval '5 years' where id = 2"); // a lead, never contacted
    const first = await column(c, "select crm.archive_stale_customers()::int");
    const archived = await column(
      c,
      "select id::int from crm.customers where archived_at > now() - interval '1 minute' order by id",
    );
    const second = await column(c, "select crm.archive_stale_customers()::int");
    return { first, archived, second };
  });
  expect(runs).toEqual({ first: [3], archived: [2, 3, 7], second: [0] });
});

test("adam returns owned customers with no follow-up for 30 days to the pool; one with a fresh follow-up stays", async () => {
  const owners = await crm.as(persona("adam"), async (c) => {
    await c.query("insert into crm.follow_ups (customer_id, author_id, body) values (2, 4, 'Called today')");
    const returned = await column(c, "select crm.return_idle_customers_to_pool()::int");
    const owned = await column(c, "select id::int from crm.customers where owner_id is not null order by id");
    return { returned, owned };
  });
  // the soft-deleted 21 and the archived 22 are left alone; 16 to 18 were in the pool already
  expect(owners).toEqual({ returned: [16], owned: [2, 21, 22] });
  expect(await crm.root((c) => column(c, "select count(*)::int from crm.customers where owner_id is not null"))).toEqual([19]);
});

test("signing contract 2 ends Partner Co's share of its customer 10: paul's next statement no longer sees it", async () => {
  const seen = await crm.as(persona("adam"), async (c) => {
    await c.query(
      "insert into crm.partner_shares (customer_id, partner_org, expires_at) values (10, 'Partner Co', now() + interval '30 days')",
    );
    await crm.actAs(c, persona("paul"));
    const before = await column(c, "select name from crm.customers where name = 'Kestrel Aviation'");
    await crm.actAs(c, persona("adam"));
    await c.query("update crm.contracts set stage = 'signed' where id = 2");
    const ended = await column(c, "select expires_at <= clock_timestamp() from crm.partner_shares where customer_id = 10");
    await crm.actAs(c, persona("paul"));
    const after = await column(c, "select name from crm.customers where name = 'Kestrel Aviation'");
    return { before, ended, after };
  });
  expect(seen).toEqual({ before: ["Kestrel Aviation"], ended: [true], after: [] });
  expect(await crm.root((c) => column(c, "select stage from crm.contracts where id = 2"))).toEqual(["review"]);
});
