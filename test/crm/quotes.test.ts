import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { quotes } from "./expectations/quotes";
import { attempt } from "../../db/testing";
import { permissionDenied, rows, rowSecurityViolation, testTableAccess } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

testTableAccess(() => crm, quotes);

describe("sales reps", () => {
  test("rita reads the quote of her VIP customer in full", async () => {
    expect(
      await crm.as(persona("rita"), (c) =>
        rows(c, "select customer_id::int, amount, status, approved_by from crm.quotes where id = 1"),
      ),
    ).toEqual([{ customer_id: 1, amount: "500000.00", status: "submitted", approved_by: null }]);
  });

  test("rita changes the amount of her draft quote, then submits it", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.quotes set amount = 5200 where id = 2")).toEqual({ rowCount: 1, rows: [] });
      expect(await attempt(c, "update crm.quotes set status = 'submitted' where id = 2")).toEqual({ rowCount: 1, rows: [] });
      expect(await rows(c, "select amount, status from crm.quotes where id = 2")).toEqual([
        { amount: "5200.00", status: "submitted" },
      ]);
    });
  });

  test("rita's change to her submitted quote changes no row, and it keeps its amount", async () => {
    expect(await crm.as(persona("rita"), (c) => attempt(c, "update crm.quotes set amount = 1 where id = 1"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select amount from crm.quotes where id = 1"))).toEqual(["500000.00"]);
  });

  test("rita cannot approve her own draft quote: only an approval request approves a quote", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.quotes set status = 'approved' where id = 2")).toEqual(approvalNeeded(2));
      expect(await attempt(c, "update crm.quotes set approved_by = 4 where id = 2")).toEqual(permissionDenied("quotes"));
      expect(await rows(c, "select status, approved_by from crm.quotes where id = 2")).toEqual([
        { status: "draft", approved_by: null },
      ]);
    });
  });

  test("rita's change to a draft quote on a pool customer she sees changes no row", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await column(c, "select status from crm.quotes where id = 10")).toEqual(["draft"]);
      expect(await attempt(c, "update crm.quotes set amount = 1 where id = 10")).toEqual({ rowCount: 0, rows: [] });
    });
  });

  test("rita quotes her own customer, as a draft or submitted, never approved, and never a pool customer", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(
        await attempt(
          c,
          "insert into crm.quotes (customer_id, amount) values (3, 9900) returning customer_id::int, amount, status",
        ),
      ).toEqual({
        rowCount: 1,
        rows: [{ customer_id: 3, amount: "9900.00", status: "draft" }],
      });
      expect(await attempt(c, "insert into crm.quotes (customer_id, amount, status) values (3, 9900, 'approved')")).toEqual({
        code: "42501",
        message: expect.stringMatching(/^gatehouse: setting status to 'approved' on a row of quotes needs an approved request/),
      });
      expect(await attempt(c, "insert into crm.quotes (customer_id, amount) values (16, 9900)")).toEqual(
        rowSecurityViolation("quotes"),
      );
    });
  });

  test("rita cannot delete her draft quote", async () => {
    expect(await crm.as(persona("rita"), (c) => attempt(c, "delete from crm.quotes where id = 2"))).toEqual(
      permissionDenied("quotes"),
    );
  });
});

describe("supervisors and above", () => {
  test("sam cannot approve rick's submitted quote by writing it: status needs an approval request, approved_by is no one's to write", async () => {
    await crm.as(persona("sam"), async (c) => {
      expect(await attempt(c, "update crm.quotes set status = 'approved' where id = 4")).toEqual(approvalNeeded(4));
      expect(await attempt(c, "update crm.quotes set status = 'approved', approved_by = 3 where id = 4")).toEqual(
        permissionDenied("quotes"),
      );
    });
    expect(await crm.root((c) => rows(c, "select status, approved_by from crm.quotes where id = 4"))).toEqual([
      { status: "submitted", approved_by: null },
    ]);
  });

  test("sam's approval of the VIP customer's quote in his unit changes no row, and it stays submitted", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "update crm.quotes set status = 'approved' where id = 1"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select status from crm.quotes where id = 1"))).toEqual(["submitted"]);
  });

  test("erin approves roy's submitted quote in East-2 through his request: approved_by is erin", async () => {
    const quote = await crm.as(persona("roy"), async (c) => {
      const { id } = (await c.query("select crm.request_quote_approval(5, 'healthcare references in') as r")).rows[0].r;
      await c.query(`set local role "${crm.app.rolePrefix}regional_manager"`);
      await c.query("select set_config('jwt.claims.user_id', '2', true)");
      await c.query("select crm.approve_request($1)", [id]);
      return rows(c, "select status, approved_by::int from crm.quotes where id = 5");
    });
    expect(quote).toEqual([{ status: "approved", approved_by: 2 }]);
  });

  test("sam's approval of a quote outside his unit (East-2) changes no row", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "update crm.quotes set status = 'approved' where id = 5"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select status from crm.quotes where id = 5"))).toEqual(["submitted"]);
  });
});

/** The approval gate's refusal of approving quote `id` without an approved request. */
function approvalNeeded(id: number) {
  return {
    code: "42501",
    message: `gatehouse: setting status to 'approved' on a row of quotes needs an approved request (row ${id}): ask with crm.request_quote_approval(row_id, reason); supervisor, regional_manager and director approve`,
  };
}
