import type { ClientBase } from "pg";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { contracts } from "./expectations/contracts";
import { attempt } from "../../db/testing";
import { permissionDenied, rows, rowSecurityViolation, testTableAccess } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

testTableAccess(() => crm, contracts);

const CONTRACT_2 = { amount: "125000.00", stage: "review", payment_status: "pending", legal_status: "pending" };
const contract2 = (c: ClientBase) =>
  rows(c, "select amount, stage, payment_status, legal_status from crm.contracts where id = 2");

describe("finance", () => {
  test("fiona marks a contract invoiced", async () => {
    await crm.as(persona("fiona"), async (c) => {
      expect(await attempt(c, "update crm.contracts set payment_status = 'invoiced' where id = 2")).toEqual({
        rowCount: 1,
        rows: [],
      });
      expect(await contract2(c)).toEqual([{ ...CONTRACT_2, payment_status: "invoiced" }]);
    });
  });

  test("fiona reads the contract of the VIP customer she may not see", async () => {
    await crm.as(persona("fiona"), async (c) => {
      expect(await rows(c, "select customer_id::int, amount from crm.contracts where id = 7")).toEqual([
        { customer_id: 1, amount: "500000.00" },
      ]);
      expect(await column(c, "select id::int from crm.customers where id = 1")).toEqual([]);
    });
  });

  test("fiona's change of a contract amount is refused (42501) and the amount stays", async () => {
    await crm.as(persona("fiona"), async (c) => {
      expect(await attempt(c, "update crm.contracts set amount = 1 where id = 2")).toEqual(permissionDenied("contracts"));
      expect(await attempt(c, "update crm.contracts set payment_status = 'paid', amount = 1 where id = 2")).toEqual(
        permissionDenied("contracts"),
      );
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
    expect(await crm.root(contract2)).toEqual([CONTRACT_2]);
  });

  test("fiona cannot set the legal status or the stage, nor delete a contract", async () => {
    await crm.as(persona("fiona"), async (c) => {
      expect(await attempt(c, "update crm.contracts set legal_status = 'approved' where id = 2")).toEqual(
        permissionDenied("contracts"),
      );
      expect(await attempt(c, "update crm.contracts set stage = 'signed' where id = 2")).toEqual(permissionDenied("contracts"));
      expect(await attempt(c, "delete from crm.contracts where id = 2")).toEqual(permissionDenied("contracts"));
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
  });
});

describe("legal", () => {
  test("lena approves a contract in review", async () => {
    await crm.as(persona("lena"), async (c) => {
      expect(await attempt(c, "update crm.contracts set legal_status = 'approved' where id = 2")).toEqual({
        rowCount: 1,
        rows: [],
      });
      expect(await contract2(c)).toEqual([{ ...CONTRACT_2, legal_status: "approved" }]);
    });
  });

  test("lena's approval of a draft contract changes no row, and it stays pending", async () => {
    expect(
      await crm.as(persona("lena"), (c) => attempt(c, "update crm.contracts set legal_status = 'approved' where id = 1")),
    ).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => rows(c, "select stage, legal_status from crm.contracts where id = 1"))).toEqual([
      { stage: "draft", legal_status: "pending" },
    ]);
  });

  test("lena cannot set the amount or the payment status", async () => {
    await crm.as(persona("lena"), async (c) => {
      expect(await attempt(c, "update crm.contracts set amount = 1 where id = 2")).toEqual(permissionDenied("contracts"));
      expect(await attempt(c, "update crm.contracts set payment_status = 'paid' where id = 2")).toEqual(
        permissionDenied("contracts"),
      );
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
  });
});

describe("the owning rep", () => {
  test("rita changes the amount of her draft contract", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.contracts set amount = 47000 where id = 1")).toEqual({ rowCount: 1, rows: [] });
      expect(await column(c, "select amount from crm.contracts where id = 1")).toEqual(["47000.00"]);
    });
  });

  test("roy's change of the amount of his contract in review changes no row, and the amount stays", async () => {
    await crm.as(persona("roy"), async (c) => {
      expect(await attempt(c, "update crm.contracts set amount = 1 where id = 2")).toEqual({ rowCount: 0, rows: [] });
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
    expect(await crm.root(contract2)).toEqual([CONTRACT_2]);
  });

  test("rick's change of the amount of his active contract changes no row", async () => {
    expect(await crm.as(persona("rick"), (c) => attempt(c, "update crm.contracts set amount = 1 where id = 4"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => rows(c, "select stage, amount from crm.contracts where id = 4"))).toEqual([
      { stage: "active", amount: "89900.00" },
    ]);
  });

  test("rick's change of rita's draft contract changes no row", async () => {
    expect(await crm.as(persona("rick"), (c) => attempt(c, "update crm.contracts set amount = 1 where id = 1"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select amount from crm.contracts where id = 1"))).toEqual(["48000.00"]);
  });

  test("rita may change only the amount of her draft contract: stage and statuses are refused", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.contracts set stage = 'review' where id = 1")).toEqual(permissionDenied("contracts"));
      expect(await attempt(c, "update crm.contracts set payment_status = 'paid' where id = 1")).toEqual(
        permissionDenied("contracts"),
      );
      expect(await attempt(c, "insert into crm.contracts (customer_id, amount) values (3, 1)")).toEqual(
        permissionDenied("contracts"),
      );
    });
  });
});

describe("the mobile channel: contracts are read-only", () => {
  test("fiona on mobile still reads every contract", async () => {
    expect(
      await crm.as(persona("fiona", { channel: "mobile" }), (c) => column(c, "select id::int from crm.contracts order by id")),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test("fiona's payment update on mobile is refused, and the status stays", async () => {
    await crm.as(persona("fiona", { channel: "mobile" }), async (c) => {
      expect(await attempt(c, "update crm.contracts set payment_status = 'invoiced' where id = 2")).toEqual(
        rowSecurityViolation("contracts", "restrict__mobile_read_only__finance__update"),
      );
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
    expect(await crm.root(contract2)).toEqual([CONTRACT_2]);
  });

  test("lena's approval on mobile is refused", async () => {
    await crm.as(persona("lena", { channel: "mobile" }), async (c) => {
      expect(await attempt(c, "update crm.contracts set legal_status = 'approved' where id = 2")).toEqual(
        rowSecurityViolation("contracts", "restrict__mobile_read_only__legal__update"),
      );
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
  });

  test("rita's amount change of her draft contract on mobile is refused", async () => {
    await crm.as(persona("rita", { channel: "mobile" }), async (c) => {
      expect(await attempt(c, "update crm.contracts set amount = 47000 where id = 1")).toEqual(
        rowSecurityViolation("contracts", "restrict__mobile_read_only__sales_rep__update"),
      );
      expect(await column(c, "select amount from crm.contracts where id = 1")).toEqual(["48000.00"]);
    });
  });

  test("adam, admin, can neither insert nor update a contract on mobile, though he can on the web; he never deletes one", async () => {
    await crm.as(persona("adam", { channel: "mobile" }), async (c) => {
      expect(await attempt(c, "insert into crm.contracts (customer_id, amount) values (3, 1)")).toEqual(
        rowSecurityViolation("contracts", "restrict__mobile_read_only__admin__insert"),
      );
      expect(await attempt(c, "update crm.contracts set payment_status = 'paid' where id = 2")).toEqual(
        rowSecurityViolation("contracts", "restrict__mobile_read_only__admin__update"),
      );
      expect(await attempt(c, "delete from crm.contracts where id = 2")).toEqual(permissionDenied("contracts"));
      expect(await contract2(c)).toEqual([CONTRACT_2]);
    });
    await crm.as(persona("adam", { channel: "web" }), async (c) => {
      // (its amount, past draft, only through an approval request: test/crm/approvals.test.ts)
      expect(await attempt(c, "update crm.contracts set payment_status = 'paid' where id = 2")).toEqual({
        rowCount: 1,
        rows: [],
      });
      expect(await attempt(c, "delete from crm.contracts where id = 2")).toEqual(permissionDenied("contracts"));
    });
    expect(await crm.root((c) => column(c, "select id::int from crm.contracts where id = 2"))).toEqual([2]);
  });
});
