/**
 * Attack suite, SQL level: the lifecycle operations (temporary grants, approvals, ownership, offboarding, the public
 * pool, soft delete, reveal) abused from role-bound logins — which may `set role` to their own app role, the strongest
 * position a login has — and, where the attack is a sequence of personas, through the authenticator. Every test fails
 * if the attack works.
 */
import type { Client } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { ids, refused, rolledBack } from "./sql-support";

let crm: AppTestDatabase;
let rita: Client;
let sam: Client;
let rick: Client;

beforeAll(async () => {
  crm = await openCrmDatabase();
  rita = await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
  sam = await crm.login({ username: "sam", userId: 3, role: "supervisor" });
  rick = await crm.login({ username: "rick", userId: 5, role: "sales_rep" });
});
afterAll(() => crm?.close());

const role = (r: string) => roleName(crm.app, r);
const forbidden = (message: string) => ({ code: "42501", message: `gatehouse: ${message}` });
const invalid = (message: string) => ({ code: "22023", message: `gatehouse: ${message}` });
const denied = (what: string) => ({ code: "42501", message: `permission denied for ${what}` });
/** In a login's rolled-back transaction, acting in its own app role (`set local role`). */
const asLogin = <T>(client: Client, appRole: string, fn: (c: Client) => Promise<T>) =>
  rolledBack(client, async (c) => {
    await c.query(`set local role "${role(appRole)}"`);
    return fn(c);
  });
const grants = () => crm.root((c) => ids(c, "select count(*) from crm.access_grants"));
const GRANT = "select (crm.grant_access('customers', $1, $2, $3, now() + $4::interval, 'attack')).granted_by::int as by";

describe("temporary grants", () => {
  test("S-LIFE-01 sam's login cannot grant himself access to a customer, nor grant anyone one he cannot see (wendy's 11)", async () => {
    await asLogin(sam, "supervisor", async (c) => {
      expect(await refused(c, GRANT, [4, 3, "update", "1 day"])).toEqual(invalid("you cannot grant access to yourself"));
      expect(await refused(c, GRANT, [11, 4, "select", "1 day"])).toEqual(
        forbidden(
          "you cannot see row 11 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
        ),
      );
      expect(await refused(c, GRANT, [4, 4, "select", "1 year"])).toEqual(
        invalid("a temporary grant may last at most 30 days from now: choose an earlier expires_at"),
      );
    });
    expect(await grants()).toEqual([2]);
  });

  test("S-LIFE-02 sam's login cannot insert a grant naming dana as its grantor; his insert is recorded as his own", async () => {
    const recorded = await asLogin(sam, "supervisor", async (c) => {
      expect(
        await refused(
          c,
          `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason)
           values (4, 'customers', 5, 'select', now() + interval '1 day', 1, 'forged')`,
        ),
      ).toEqual(denied("table access_grants"));
      return (
        await c.query(
          `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, reason)
           values (4, 'customers', 5, 'select', now() + interval '1 day', 'mine') returning granted_by::int`,
        )
      ).rows;
    });
    expect(recorded).toEqual([{ granted_by: 3 }]);
  });

  test("S-LIFE-03 rita's login may not grant (function or table), and rick's login may not extend the grant he holds", async () => {
    await asLogin(rita, "sales_rep", async (c) => {
      expect(await refused(c, GRANT, [2, 5, "select", "1 day"])).toEqual(denied("function grant_access"));
      expect(
        await refused(
          c,
          `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason) values (5, 'customers', 2, 'select', now() + interval '1 day', 4, 'x')`,
        ),
      ).toEqual(denied("table access_grants"));
    });
    await asLogin(rick, "sales_rep", async (c) => {
      expect(
        await refused(c, "update crm.access_grants set expires_at = now() + interval '1 year' where grantee_id = 5"),
      ).toEqual(denied("table access_grants"));
    });
    expect(
      await crm.root((c) => ids(c, "select count(*) from crm.access_grants where expires_at > now() + interval '31 days'")),
    ).toEqual([0]);
  });

  test("S-LIFE-04 sam, holding adam's update grant on wendy's customer 11, cannot take it: owner_id and unit_id stay out of reach through a grant", async () => {
    const outcomes = await crm.root(async (c) => {
      await crm.actAs(c, persona("adam"));
      await c.query(GRANT, [11, 3, "update", "1 day"]);
      await crm.actAs(c, persona("sam"));
      const eastOne = (await c.query("select gatehouse.current_unit_id(current_user)::int as u")).rows[0].u as number;
      return {
        rename: (await c.query("update crm.customers set industry = 'Labs' where id = 11")).rowCount,
        owner: await refused(c, "update crm.customers set owner_id = 4 where id = 11"),
        unit: await refused(c, "update crm.customers set unit_id = $1 where id = 11", [eastOne]),
      };
    });
    const through = forbidden(
      "you reach this row of customers only through a temporary grant or a membership, which lets you read or edit it, not change owner_id, unit_id",
    );
    // unit_id is not his to update at all (column privilege); owner_id is, and the holder guard refuses it
    expect(outcomes).toEqual({ rename: 1, owner: through, unit: denied("table customers") });
    expect(await crm.root((c) => c.query("select owner_id::int from crm.customers where id = 11").then((r) => r.rows))).toEqual([
      { owner_id: 7 },
    ]);
  });

  test("S-LIFE-05 adam (admin, grants anywhere) cannot grant to olga, who is frozen", async () => {
    const outcome = await crm.as(persona("adam"), (c) => refused(c, GRANT, [2, 17, "select", "1 day"]));
    expect(outcome).toEqual(forbidden("user 17 is not an active user: only active users may hold a grant"));
  });
});

describe("ownership, offboarding, the pool", () => {
  test("S-LIFE-06 sam's login cannot assign rick's customer 4 to olga (frozen) nor to fiona (finance owns no customers)", async () => {
    await asLogin(sam, "supervisor", async (c) => {
      const owner = (id: number) =>
        forbidden(
          `user ${id} cannot own rows of customers: an owner must be an active user holding sales_rep, intern, supervisor, regional_manager, director`,
        );
      expect(await refused(c, "update crm.customers set owner_id = 17 where id = 4")).toEqual(owner(17));
      expect(await refused(c, "update crm.customers set owner_id = 9 where id = 4")).toEqual(owner(9));
    });
    expect(await crm.root((c) => ids(c, "select owner_id from crm.customers where id = 4"))).toEqual([5]);
  });

  test("S-LIFE-07 sam's login cannot offboard or transfer rick: only admin may", async () => {
    await asLogin(sam, "supervisor", async (c) => {
      expect(await refused(c, "select crm.offboard_user(5, 4, 'taking his customers')")).toEqual(
        denied("function offboard_user"),
      );
      expect(await refused(c, "select crm.transfer_user(5, null, 'director')")).toEqual(denied("function transfer_user"));
    });
    expect(await crm.root((c) => c.query("select status from crm.users where id = 5").then((r) => r.rows))).toEqual([
      { status: "active" },
    ]);
  });

  test("S-LIFE-08 rita's login cannot claim roy's hidden customer 8 or the West-1 pool's 18, nor release roy's 7", async () => {
    await asLogin(rita, "sales_rep", async (c) => {
      for (const id of [8, 18])
        expect(await refused(c, "select crm.claim_customer($1)", [id])).toEqual(
          forbidden(`customers ${id} is not in the pool for you: claimed already, or not one you may claim`),
        );
      expect(await refused(c, "select crm.release_customer(7)")).toMatchObject({
        code: "42501",
        message: expect.stringMatching(/^gatehouse: /),
      });
    });
    expect(
      await crm.root((c) => ids(c, "select coalesce(owner_id, 0) from crm.customers where id in (7, 8, 18) order by id")),
    ).toEqual([6, 6, 0]);
  });

  test("S-LIFE-09 rita's login may not restore, purge or delete customers, nor reveal a phone: those functions are not hers to call", async () => {
    await asLogin(rita, "sales_rep", async (c) => {
      expect(await refused(c, "select crm.restore_customers(21)")).toEqual(denied("function restore_customers"));
      expect(await refused(c, "select gatehouse.purge_customers('0 days')")).toEqual(denied("function purge_customers"));
      expect(await refused(c, "select gatehouse.delete_customers(8, 'gone')")).toEqual(denied("function delete_customers"));
      expect(await refused(c, "select crm.reveal_contacts_phone(1, 'curious')")).toEqual(
        denied("function reveal_contacts_phone"),
      );
    });
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers where deleted_at is not null"))).toEqual([1]);
  });
});

test("S-LIFE-15 adam (admin) setting the purge switch for his own transaction still only marks the customer he deletes: nothing is lost", async () => {
  const after = await crm.root(async (c) => {
    await crm.actAs(c, persona("adam"));
    await c.query("select set_config('gatehouse.purging', pg_current_xact_id()::text, true)");
    const deleted = (await c.query("delete from crm.customers where id = 2")).rowCount;
    await c.query("reset role");
    await c.query("reset session authorization");
    const row = (await c.query("select id::int, deleted_at is not null as marked from crm.customers where id = 2")).rows;
    return { deleted, row };
  });
  expect(after).toEqual({ deleted: 0, row: [{ id: 2, marked: true }] });
});

describe("approvals", () => {
  test("S-LIFE-10 sam's login cannot approve his own request to delete rick's customer 4", async () => {
    await asLogin(sam, "supervisor", async (c) => {
      const id = (await c.query("select (crm.request_customer_delete(4, 'duplicate') ->> 'id')::int as id")).rows[0].id as number;
      expect(await refused(c, "select crm.approve_request($1)", [id])).toEqual(
        forbidden("nobody decides their own request: another approver must"),
      );
      expect(await refused(c, "select gatehouse.decide_approval_request($1, 'approved', 'me')", [id])).toEqual(
        forbidden("nobody decides their own request: another approver must"),
      );
    });
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers where id = 4 and deleted_at is null"))).toEqual([1]);
  });

  test("S-LIFE-11 sam's login cannot write a decision into the requests table (a forged approver), nor file one there", async () => {
    await asLogin(sam, "supervisor", async (c) => {
      expect(await refused(c, "update gatehouse.approval_requests set status = 'approved', decided_by = 2")).toEqual(
        denied("table approval_requests"),
      );
      expect(
        await refused(
          c,
          `insert into gatehouse.approval_requests (kind, table_name, row_key, action, reason, requested_by, status, decided_by)
           values ('customer_delete', 'customers', '{"id": 4}', 'delete', 'x', 4, 'approved', 2)`,
        ),
      ).toEqual(denied("table approval_requests"));
    });
  });

  test("S-LIFE-12 rita's login may not call the decision helper, so she cannot approve her own request behind the wrapper", async () => {
    await asLogin(rita, "sales_rep", async (c) => {
      const id = (await c.query("select (crm.request_customer_delete(2, 'closing') ->> 'id')::int as id")).rows[0].id as number;
      expect(await refused(c, "select gatehouse.decide_approval_request($1, 'approved', 'mine')", [id])).toEqual(
        denied("function decide_approval_request"),
      );
      expect(await refused(c, "select crm.approve_request($1)", [id])).toEqual(denied("function approve_request"));
    });
  });

  test("S-LIFE-13 rita's login filing a request straight through the helper for roy's hidden customer 8 learns nothing a missing row would not tell her", async () => {
    await asLogin(rita, "sales_rep", async (c) => {
      const hidden = await refused(c, `select gatehouse.file_approval_request('customer_delete', '{"id": 8}', null, 'gone')`);
      const missing = await refused(c, `select gatehouse.file_approval_request('customer_delete', '{"id": 999}', null, 'gone')`);
      expect(hidden.code).toBe("42501");
      expect(missing).toEqual({ ...hidden, message: hidden.message.replace(/\b8\b/, "999") });
    });
    expect(await crm.root((c) => ids(c, "select count(*) from gatehouse.approval_requests"))).toEqual([0]);
  });

  test("S-LIFE-14 sam calling the decision helper with the ids of requests outside his reach learns nothing about them: not their kind, row, status or expiry", async () => {
    const outcomes = await crm.root(async (c) => {
      // wendy asks to delete her West-1 customer 11; rita asks to transfer her VIP customer 1 (hidden from sam)
      await crm.actAs(c, persona("wendy"));
      const west = (await c.query("select (crm.request_customer_delete(11, 'closing') ->> 'id')::int as id")).rows[0]
        .id as number;
      await crm.actAs(c, persona("rita"));
      const vip = (await c.query("select (crm.request_customer_transfer(1, 5, 'rick takes over') ->> 'id')::int as id")).rows[0]
        .id as number;
      await crm.actAs(c, persona("dana"));
      await c.query("select crm.reject_request($1, 'no')", [west]);
      await crm.actAs(c, persona("sam"));
      const decide = (id: number) => refused(c, "select gatehouse.decide_approval_request($1, 'rejected', 'probe')", [id]);
      return { west: await decide(west), vip: await decide(vip), missing: await decide(999), ids: { west, vip } };
    });
    expect(outcomes).toEqual({
      west: forbidden(`no approval request ${outcomes.ids.west} that you may decide`),
      vip: forbidden(`no approval request ${outcomes.ids.vip} that you may decide`),
      missing: forbidden("no approval request 999 that you may decide"),
      ids: outcomes.ids,
    });
  });
});
