import type { AppTestDatabase } from "../../db/testing/app-database";
import { column, openCrmDatabase, persona } from "./crm-database";
import { quotes } from "./expectations/quotes";
import { attempt, permissionDenied, rows, rowSecurityViolation, testTableAccess } from "./table-access";

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

  test("rita cannot approve her own draft quote", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.quotes set status = 'approved' where id = 2")).toEqual(rowSecurityViolation("quotes"));
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
      expect(await attempt(c, "insert into crm.quotes (customer_id, amount, status) values (3, 9900, 'approved')")).toEqual(
        rowSecurityViolation("quotes"),
      );
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
  test("sam approves rick's submitted quote", async () => {
    await crm.as(persona("sam"), async (c) => {
      expect(await attempt(c, "update crm.quotes set status = 'approved', approved_by = 3 where id = 4")).toEqual({
        rowCount: 1,
        rows: [],
      });
      expect(await rows(c, "select status, approved_by::int from crm.quotes where id = 4")).toEqual([
        { status: "approved", approved_by: 3 },
      ]);
    });
  });

  test("sam's approval of the VIP customer's quote in his unit changes no row, and it stays submitted", async () => {
    expect(
      await crm.as(persona("sam"), (c) => attempt(c, "update crm.quotes set status = 'approved', approved_by = 3 where id = 1")),
    ).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select status from crm.quotes where id = 1"))).toEqual(["submitted"]);
  });

  test("erin approves roy's submitted quote in East-2", async () => {
    expect(
      await crm.as(persona("erin"), (c) => attempt(c, "update crm.quotes set status = 'approved', approved_by = 2 where id = 5")),
    ).toEqual({
      rowCount: 1,
      rows: [],
    });
  });

  test("sam's approval of a quote outside his unit (East-2) changes no row", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "update crm.quotes set status = 'approved' where id = 5"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select status from crm.quotes where id = 5"))).toEqual(["submitted"]);
  });
});
