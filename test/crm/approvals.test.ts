/**
 * Approvals (CRM.md "Approvals"): a risky change to one row — deleting a customer, changing a contract amount past
 * draft, transferring a customer, approving a quote — is requested, and applied only when an approver over the row
 * (supervisor or above over the customer's unit, never the requester) approves it before it expires, with the
 * approver's own rights. Each test acts as several personas in one transaction through the authenticator, as
 * successive API requests would, and is rolled back; the few that need the clock, the owner or a root check of an
 * applied change commit, on rows no later test uses.
 *
 * Seed: rita (4, sales_rep, East-1) owns customers 1 (VIP), 2, 3; rick (5) owns 4, 5, 6; roy (6, East-2) owns 7-10;
 * wendy (7, West-1) owns 11-14. Quote 2 (customer 2) is a draft, quote 3 (customer 3) was approved by sam.
 * Contract 1 (customer 3) is put in review by the owner before the tests (no contract of rita's is past draft).
 */
import type { PoolClient } from "pg";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { attempt } from "../../db/testing";
import { permissionDenied, rows } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
  await crm.db.pool.query("update crm.contracts set stage = 'review' where id = 1");
});
afterAll(() => crm?.close());

const RITA = persona("rita");
const SAM = 3;
const ERIN = 2;

/** Runs `fn` as `username` in a transaction through the authenticator that commits (for the clock and root checks). */
async function committed<T>(username: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await crm.pool.connect();
  try {
    await c.query("begin");
    await crm.actAs(c, persona(username));
    const result = await fn(c);
    await c.query("commit");
    return result;
  } catch (error) {
    await c.query("rollback");
    throw error;
  } finally {
    c.release();
  }
}

/** The first column of the first row of a statement that must succeed. */
const one = async <T = unknown>(c: PoolClient, text: string, values: unknown[] = []): Promise<T> =>
  (await column<T>(c, text, values))[0] as T;

/** Files a request as the current persona and returns its id. */
const request = async (c: PoolClient, text: string, values: unknown[] = []): Promise<number> =>
  Number((await one<{ id: number }>(c, text, values)).id);

/** A refusal as `attempt` reports it, with a message starting `gatehouse: `. */
const refused = (message: string) => ({ code: "42501", message: `gatehouse: ${message}` });

describe("requesting", () => {
  test("rita requests deletion of her customer 2: pending, hers, for 7 days; the customer is untouched", async () => {
    const seen = await crm.as(RITA, async (c) => {
      const made = await one<Record<string, unknown>>(c, "select crm.request_customer_delete(2, 'duplicate of 16')");
      const days = await one(c, "select expires_at - requested_at from gatehouse.approval_requests where id = $1", [made.id]);
      const customer = await rows(c, "select id::int, deleted_at from crm.customers where id = 2");
      return { made, days, customer };
    });
    expect(seen).toEqual({
      made: expect.objectContaining({
        kind: "customer_delete",
        table_name: "customers",
        row_key: { id: 2 },
        action: "delete",
        change: null,
        reason: "duplicate of 16",
        requested_by: 4,
        status: "pending",
        decided_by: null,
        applied_at: null,
      }),
      days: { days: 7 },
      customer: [{ id: 2, deleted_at: null }],
    });
    expect(await crm.root((c) => column(c, "select count(*)::int from gatehouse.approval_requests"))).toEqual([0]);
  });

  test("rita cannot request deletion of the pool's customer 16 (she sees it, does not own it), nor of roy's 7 (she cannot see it)", async () => {
    const outcomes = await crm.as(RITA, async (c) => [
      await attempt(c, "select crm.request_customer_delete(16, 'not mine')"),
      await attempt(c, "select crm.request_customer_delete(7, 'not mine')"),
      await column(c, "select id from crm.my_approval_requests()"),
    ]);
    expect(outcomes).toEqual([
      refused(
        "you may not request customer_delete for row 16 of customers: only sales_rep (rows they own (owner_id)) and supervisor (rows of their unit and its sub-units (unit_id)) may",
      ),
      refused("no row 7 of customers that you can see"),
      [],
    ]);
    expect(await crm.root((c) => column(c, "select count(*)::int from gatehouse.approval_requests"))).toEqual([0]);
  });

  test("a request needs a reason, and a second one for the same change waits for the first", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const blank = await attempt(c, "select crm.request_customer_delete(2, '  ')");
      const first = await request(c, "select crm.request_customer_delete(2, 'duplicate')");
      const second = await attempt(c, "select crm.request_customer_delete(2, 'again')");
      return { blank, first: typeof first, second };
    });
    expect(outcomes).toEqual({
      blank: { code: "22023", message: "gatehouse: say why (reason)" },
      first: "number",
      second: {
        code: "42501",
        message: expect.stringMatching(
          /^gatehouse: request \d+ already asks for customer_delete on this row: wait for its decision$/,
        ),
      },
    });
  });

  test("rita cannot request an amount change of her draft contract 7: she changes it herself", async () => {
    expect(await crm.as(RITA, (c) => attempt(c, "select crm.request_contract_amount(7, 450000, 'discount')"))).toEqual({
      code: "22023",
      message:
        "gatehouse: contract_amount is only for rows of contracts where stage is not 'draft': row 7 needs no approval, change it yourself",
    });
  });

  test("app roles cannot write approval requests, not even their own", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_customer_delete(2, 'duplicate')");
      return [
        await attempt(
          c,
          "insert into gatehouse.approval_requests (kind, table_name, row_key, action, reason, requested_by, expires_at) values ('customer_delete', 'customers', '{\"id\": 3}', 'delete', 'x', 4, now())",
        ),
        await attempt(c, "update gatehouse.approval_requests set status = 'approved' where id = $1", [id]),
        await attempt(c, "select gatehouse.decide_approval_request($1, 'approved', null)", [id]),
      ];
    });
    expect(outcomes).toEqual([
      { code: "42501", message: "permission denied for table approval_requests" },
      { code: "42501", message: "permission denied for table approval_requests" },
      { code: "42501", message: "permission denied for function decide_approval_request" },
    ]);
    expect(await crm.root((c) => column(c, "select count(*)::int from gatehouse.approval_requests"))).toEqual([0]);
  });
});

describe("deciding", () => {
  test("rita cannot approve her own request (approving is not her role's), nor can roy (sales_rep, East-2)", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_customer_delete(2, 'duplicate')");
      const rita = await attempt(c, "select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("roy"));
      const roy = await attempt(c, "select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("aude"));
      const customer = await rows(c, "select id::int, deleted_at from crm.customers where id = 2");
      return { rita, roy, customer };
    });
    expect(outcomes).toEqual({
      rita: permissionDeniedFunction("approve_request"),
      roy: permissionDeniedFunction("approve_request"),
      customer: [{ id: 2, deleted_at: null }],
    });
    expect(await crm.root((c) => rows(c, "select id::int, deleted_at from crm.customers where id = 2"))).toEqual([
      { id: 2, deleted_at: null },
    ]);
  });

  test("sam cannot approve his own request to delete rick's customer 4; erin (regional manager, East) can, and it is marked by her", async () => {
    const outcomes = await crm.as(persona("sam"), async (c) => {
      const id = await request(c, "select crm.request_customer_delete(4, 'closed down')");
      const sam = await attempt(c, "select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("erin"));
      const erin = await one<Record<string, unknown>>(c, "select crm.approve_request($1, 'agreed')", [id]);
      await crm.actAs(c, persona("aude"));
      const customer = await rows(
        c,
        "select deleted_at is not null as deleted, deleted_by::int, deleted_reason from crm.customers where id = 4",
      );
      return { id, sam, erin: [erin.status, erin.decided_by, erin.comment, erin.applied_at !== null], customer };
    });
    expect(outcomes).toEqual({
      id: outcomes.id,
      sam: refused("nobody decides their own request: another approver must"),
      erin: ["approved", ERIN, "agreed", true],
      customer: [{ deleted: true, deleted_by: ERIN, deleted_reason: `closed down (approval request ${outcomes.id})` }],
    });
    expect(await crm.root((c) => rows(c, "select deleted_at from crm.customers where id = 4"))).toEqual([{ deleted_at: null }]);
  });

  test("sam cannot decide a request on wendy's West-1 customer 11: he is not over it and does not see the request", async () => {
    const outcomes = await crm.as(persona("wendy"), async (c) => {
      const id = await request(c, "select crm.request_customer_delete(11, 'lost')");
      await crm.actAs(c, persona("sam"));
      return {
        id,
        pending: await column(c, "select id from crm.pending_approvals()"),
        approve: await attempt(c, "select crm.approve_request($1)", [id]),
        reject: await attempt(c, "select crm.reject_request($1)", [id]),
      };
    });
    expect(outcomes).toEqual({
      id: outcomes.id,
      pending: [],
      approve: refused(`no approval request ${outcomes.id} that you may decide`),
      reject: refused(`no approval request ${outcomes.id} that you may decide`),
    });
  });

  test("sam lists the pending requests he may decide: rita's, not his own nor wendy's; erin sees his too, roy may not list", async () => {
    const lists = await crm.as(RITA, async (c) => {
      const rita = await request(c, "select crm.request_customer_delete(2, 'duplicate')");
      await crm.actAs(c, persona("sam"));
      const own = await request(c, "select crm.request_customer_delete(5, 'closed down')");
      await crm.actAs(c, persona("wendy"));
      const wendy = await request(c, "select crm.request_customer_delete(11, 'lost')");
      const list = async (username: string) => {
        await crm.actAs(c, persona(username));
        return (await column<string>(c, "select id from crm.pending_approvals()")).map(Number);
      };
      const sam = await list("sam");
      const erin = await list("erin");
      const dana = await list("dana");
      await crm.actAs(c, persona("roy"));
      const roy = await attempt(c, "select * from crm.pending_approvals()");
      return { ids: { rita, own, wendy }, sam, erin, dana, roy };
    });
    expect(lists).toEqual({
      ids: lists.ids,
      sam: [lists.ids.rita],
      erin: [lists.ids.rita, lists.ids.own],
      dana: [lists.ids.rita, lists.ids.own, lists.ids.wendy],
      roy: permissionDeniedFunction("pending_approvals"),
    });
  });

  test("sam rejects rita's request: the customer stays, the request says who and why, and it cannot be approved after", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_customer_delete(2, 'duplicate')");
      await crm.actAs(c, persona("sam"));
      const rejected = await one<Record<string, unknown>>(c, "select crm.reject_request($1, 'still buying')", [id]);
      const again = await attempt(c, "select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("rita"));
      const mine = await rows(c, "select kind, status, decided_by::int, comment from crm.my_approval_requests()");
      await crm.actAs(c, persona("aude"));
      const customer = await rows(c, "select id::int, deleted_at from crm.customers where id = 2");
      return { id, rejected: [rejected.status, rejected.decided_by, rejected.applied_at], again, mine, customer };
    });
    expect(outcomes).toEqual({
      id: outcomes.id,
      rejected: ["rejected", SAM, null],
      again: refused(`approval request ${outcomes.id} is already rejected: a request is decided once`),
      mine: [{ kind: "customer_delete", status: "rejected", decided_by: SAM, comment: "still buying" }],
      customer: [{ id: 2, deleted_at: null }],
    });
  });

  test("a request is decided once: after erin approves rita's quote 2, sam's approval is refused", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_quote_approval(2, 'standard terms')");
      await crm.actAs(c, persona("erin"));
      await c.query("select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("sam"));
      return { id, sam: await attempt(c, "select crm.approve_request($1)", [id]) };
    });
    expect(outcomes.sam).toEqual(refused(`approval request ${outcomes.id} is already approved: a request is decided once`));
  });

  test("sam cannot approve rita's request to delete her VIP customer 1, which he cannot see; erin can", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_customer_transfer(1, 5, 'rick takes over')");
      await crm.actAs(c, persona("sam"));
      const sam = await attempt(c, "select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("erin"));
      const erin = await one<Record<string, unknown>>(c, "select crm.approve_request($1)", [id]);
      await crm.actAs(c, persona("aude"));
      return { id, sam, erin: erin.status, owner: await column(c, "select owner_id::int from crm.customers where id = 1") };
    });
    expect(outcomes).toEqual({
      id: outcomes.id,
      sam: refused(`no approval request ${outcomes.id} that you may decide`),
      erin: "approved",
      owner: [5],
    });
    expect(await crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 1"))).toEqual([4]);
  });

  test("sam calling the decision helper himself, without applying the change, cannot commit it", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_customer_delete(2, 'duplicate')");
      await crm.actAs(c, persona("sam"));
      const decided = await one<Record<string, unknown>>(
        c,
        "select to_jsonb(gatehouse.decide_approval_request($1, 'approved', null))",
        [id],
      );
      return { id, decided: decided.status, commit: await attempt(c, "set constraints all immediate") };
    });
    expect(outcomes).toEqual({
      id: outcomes.id,
      decided: "approved",
      commit: refused(
        `approval request ${outcomes.id} was approved but its change was not applied: approve with crm.approve_request(request_id, comment)`,
      ),
    });
  });
});

describe("calling the definer functions directly", () => {
  test("rick cannot file a transfer of his soft-deleted customer 21 through gatehouse.file_approval_request, which his row security hides", async () => {
    const outcomes = await crm.as(persona("rick"), async (c) => [
      await attempt(c, "select crm.request_customer_transfer(21, 4, 'hand over')"),
      await attempt(
        c,
        `select (gatehouse.file_approval_request('customer_transfer', '{"id": 21}', '{"owner_id": 4}', 'hand over')).id`,
      ),
    ]);
    expect(outcomes).toEqual([
      refused("no row 21 of customers that you can see"),
      refused(
        "you may not request customer_transfer for row 21 of customers: only sales_rep (rows they own (owner_id)) and supervisor (rows of their unit and its sub-units (unit_id)) may",
      ),
    ]);
    expect(
      await crm.root((c) => rows(c, "select owner_id::int, deleted_at is not null as deleted from crm.customers where id = 21")),
    ).toEqual([{ owner_id: 5, deleted: true }]);
    expect(await crm.root((c) => column(c, "select count(*)::int from gatehouse.approval_requests"))).toEqual([0]);
  });

  test("sam cannot reject rita's request on her VIP customer 1 through gatehouse.decide_approval_request: the VIP restriction hides it from him", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_customer_transfer(1, 5, 'rick takes over')");
      await crm.actAs(c, persona("sam"));
      return { id, sam: await attempt(c, "select (gatehouse.decide_approval_request($1, 'rejected', 'no')).id", [id]) };
    });
    // outside his reach the request is as if it did not exist: no kind, row or status is named (test/attack S-LIFE-14)
    expect(outcomes.sam).toEqual(refused(`no approval request ${outcomes.id} that you may decide`));
    expect(await crm.root((c) => rows(c, "select owner_id::int, tier from crm.customers where id = 1"))).toEqual([
      { owner_id: 4, tier: "vip" },
    ]);
  });
});

describe("transfers", () => {
  test("rita asks to hand her customer 2 to roy (East-2): sam cannot apply it outside his subtree, erin does", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const made = await one<Record<string, unknown>>(c, "select crm.request_customer_transfer(2, 6, 'roy covers the account')");
      await crm.actAs(c, persona("sam"));
      const sam = await attempt(c, "select crm.approve_request($1)", [made.id]);
      const still = await column(c, "select status from crm.pending_approvals()");
      await crm.actAs(c, persona("erin"));
      const erin = await one<Record<string, unknown>>(c, "select crm.approve_request($1)", [made.id]);
      await crm.actAs(c, persona("aude"));
      return {
        change: made.change,
        sam,
        still,
        erin: [erin.status, erin.decided_by],
        owner: await column(c, "select owner_id::int from crm.customers where id = 2"),
      };
    });
    expect(outcomes).toEqual({
      change: { owner_id: 6 },
      sam: { code: "42501", message: 'new row violates row-level security policy for table "customers"' },
      still: ["pending"],
      erin: ["approved", ERIN],
      owner: [6],
    });
    expect(await crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 2"))).toEqual([4]);
  });

  test("sam still reassigns within his own subtree directly, without a request", async () => {
    expect(
      await crm.as(persona("sam"), (c) =>
        column(c, "update crm.customers set owner_id = 5 where id = 2 returning owner_id::int"),
      ),
    ).toEqual([5]);
  });
});

describe("contract amounts past draft", () => {
  test("rita asks for 52,000 on her contract 1 (in review); sam approves: the amount is changed by sam's own update", async () => {
    const id = await committed("rita", (c) => request(c, "select crm.request_contract_amount(1, 52000, 'scope grew')"));
    const approved = await committed("sam", (c) => one<Record<string, unknown>>(c, "select crm.approve_request($1, 'ok')", [id]));
    expect([approved.status, approved.decided_by, approved.change]).toEqual(["approved", SAM, { amount: 52000 }]);
    expect(
      await crm.root((c) =>
        rows(
          c,
          `select (select amount from crm.contracts where id = 1) as amount, r.status, r.requested_by::int, r.decided_by::int,
                  r.applied_at is not null as applied
             from gatehouse.approval_requests r where r.id = $1`,
          [id],
        ),
      ),
    ).toEqual([{ amount: "52000.00", status: "approved", requested_by: 4, decided_by: SAM, applied: true }]);
  });

  test("nobody changes an amount past draft directly: rita's update reaches no row, erin and adam are refused", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const rita = await attempt(c, "update crm.contracts set amount = 1 where id = 2");
      await crm.actAs(c, persona("erin"));
      const erin = await attempt(c, "update crm.contracts set amount = 1 where id = 2");
      await crm.actAs(c, persona("adam"));
      const adam = await attempt(c, "update crm.contracts set amount = 1 where id = 2");
      return { rita, erin, adam };
    });
    const gate = refused(
      "changing amount of a row of contracts where stage is not 'draft' needs an approved request (row 2): ask with crm.request_contract_amount(row_id, amount, reason); supervisor, regional_manager and director approve",
    );
    expect(outcomes).toEqual({ rita: { rowCount: 0, rows: [] }, erin: gate, adam: gate });
    expect(await crm.root((c) => column(c, "select amount from crm.contracts where id = 2"))).toEqual(["125000.00"]);
  });

  test("an expired request cannot be approved, and the amount stays", async () => {
    const id = await committed("roy", (c) => request(c, "select crm.request_contract_amount(2, 99000, 'renegotiated')"));
    await crm.db.pool.query("update gatehouse.approval_requests set expires_at = now() - interval '1 minute' where id = $1", [
      id,
    ]);
    const outcomes = await crm.as(persona("erin"), async (c) => ({
      approve: await attempt(c, "select crm.approve_request($1)", [id]),
      pending: await column(c, "select id from crm.pending_approvals() where id = $1", [id]),
    }));
    expect(outcomes).toEqual({
      approve: {
        code: "42501",
        message: expect.stringMatching(new RegExp(`^gatehouse: approval request ${id} expired at .+: ask again$`)),
      },
      pending: [],
    });
    expect(
      await crm.as(persona("roy"), (c) => column(c, "select status from crm.my_approval_requests() where id = $1", [id])),
    ).toEqual(["expired"]);
    expect(
      await crm.root((c) =>
        rows(
          c,
          "select (select amount from crm.contracts where id = 2) as amount, status, decided_by from gatehouse.approval_requests where id = $1",
          [id],
        ),
      ),
    ).toEqual([{ amount: "125000.00", status: "pending", decided_by: null }]);
  });
});

describe("quotes: the approver recorded is the acting user", () => {
  test("rita asks approval of her quote 2; sam approves: approved, and approved_by is sam, written by the database", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_quote_approval(2, 'standard terms')");
      await crm.actAs(c, persona("sam"));
      const approved = await one<Record<string, unknown>>(c, "select crm.approve_request($1)", [id]);
      const quote = await rows(c, "select status, approved_by::int, amount from crm.quotes where id = 2");
      const amount = await attempt(c, "update crm.quotes set amount = 1 where id = 2");
      return { approved: [approved.status, approved.decided_by], quote, amount };
    });
    expect(outcomes).toEqual({
      approved: ["approved", SAM],
      quote: [{ status: "approved", approved_by: SAM, amount: "4800.00" }],
      amount: refused("row 2 of quotes is approved (quote_approval): its amount, status and approved_by no longer change"),
    });
  });

  test("nobody writes approved_by: rita, sam and adam are refused, and quote 4 keeps no approver", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const rita = await attempt(c, "update crm.quotes set approved_by = 4 where id = 2");
      await crm.actAs(c, persona("sam"));
      const sam = await attempt(c, "update crm.quotes set status = 'approved', approved_by = 3 where id = 4");
      const samStatus = await attempt(c, "update crm.quotes set status = 'approved' where id = 4");
      await crm.actAs(c, persona("adam"));
      const adam = await attempt(c, "update crm.quotes set approved_by = 15 where id = 4");
      const adamInsert = await attempt(c, "insert into crm.quotes (customer_id, amount, status) values (5, 10, 'approved')");
      return { rita, sam, samStatus, adam, adamInsert };
    });
    expect(outcomes).toEqual({
      rita: permissionDenied("quotes"),
      sam: permissionDenied("quotes"),
      samStatus: refused(
        "setting status to 'approved' on a row of quotes needs an approved request (row 4): ask with crm.request_quote_approval(row_id, reason); supervisor, regional_manager and director approve",
      ),
      adam: permissionDenied("quotes"),
      adamInsert: expect.objectContaining({
        code: "42501",
        message: expect.stringMatching(
          /^gatehouse: setting status to 'approved' on a row of quotes needs an approved request \(row \d+\)/,
        ),
      }),
    });
    expect(await crm.root((c) => rows(c, "select status, approved_by from crm.quotes where id = 4"))).toEqual([
      { status: "submitted", approved_by: null },
    ]);
  });

  test("an approved quote's amount cannot change, for sam nor for adam (admin)", async () => {
    const outcomes = await crm.as(persona("sam"), async (c) => {
      const sam = await attempt(c, "update crm.quotes set amount = 1 where id = 3");
      await crm.actAs(c, persona("adam"));
      const adam = await attempt(c, "update crm.quotes set amount = 1 where id = 3");
      const reopen = await attempt(c, "update crm.quotes set status = 'draft' where id = 3");
      return { sam, adam, reopen };
    });
    const locked = refused("row 3 of quotes is approved (quote_approval): its amount, status and approved_by no longer change");
    expect(outcomes).toEqual({ sam: locked, adam: locked, reopen: locked });
    expect(await crm.root((c) => rows(c, "select amount, status, approved_by::int from crm.quotes where id = 3"))).toEqual([
      { amount: "48000.00", status: "approved", approved_by: SAM },
    ]);
  });

  test("a quote changed after its request cannot be approved: rita raises the amount of her draft, sam is refused", async () => {
    const outcomes = await crm.as(RITA, async (c) => {
      const id = await request(c, "select crm.request_quote_approval(2, 'standard terms')");
      await c.query("update crm.quotes set amount = 9800 where id = 2");
      await crm.actAs(c, persona("sam"));
      return {
        id,
        sam: await attempt(c, "select crm.approve_request($1)", [id]),
        quote: await rows(c, "select status, approved_by from crm.quotes where id = 2"),
      };
    });
    expect(outcomes).toEqual({
      id: outcomes.id,
      sam: refused(`row 2 of quotes has changed since request ${outcomes.id} was made: reject it, and ask again`),
      quote: [{ status: "draft", approved_by: null }],
    });
  });
});

describe("customer deletion", () => {
  test("sam cannot delete a customer directly: the gate asks for a request; the customer stays", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "delete from crm.customers where id = 2"))).toEqual(
      refused(
        "deleting a row of customers needs an approved request (row 2): ask with crm.request_customer_delete(row_id, reason); supervisor, regional_manager and director approve",
      ),
    );
    expect(await crm.root((c) => rows(c, "select id::int, deleted_at from crm.customers where id = 2"))).toEqual([
      { id: 2, deleted_at: null },
    ]);
  });

  // commits: the last test of the file, since customer 2 is then deleted
  test("rita requests deletion of her customer 2; sam approves: the delete is made as sam, and marks the row with him and the reason", async () => {
    const id = await committed("rita", (c) => request(c, "select crm.request_customer_delete(2, 'duplicate of 16')"));
    const approved = await committed("sam", (c) => one<Record<string, unknown>>(c, "select crm.approve_request($1, 'ok')", [id]));
    expect([approved.status, approved.decided_by, approved.applied_at !== null]).toEqual(["approved", SAM, true]);
    expect(
      await crm.root((c) =>
        rows(
          c,
          `select c.deleted_at is not null as deleted, c.deleted_by::int, c.deleted_reason,
                  r.kind, r.status, r.requested_by::int, r.decided_by::int, r.comment
             from crm.customers c, gatehouse.approval_requests r where c.id = 2 and r.id = $1`,
          [id],
        ),
      ),
    ).toEqual([
      {
        deleted: true,
        deleted_by: SAM,
        deleted_reason: `duplicate of 16 (approval request ${id})`,
        kind: "customer_delete",
        status: "approved",
        requested_by: 4,
        decided_by: SAM,
        comment: "ok",
      },
    ]);
  });
});

/** The refusal of calling a function the role may not execute. */
const permissionDeniedFunction = (fn: string) => ({ code: "42501", message: `permission denied for function ${fn}` });
