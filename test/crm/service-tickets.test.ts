import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { serviceTickets } from "./expectations/service-tickets";
import { attempt } from "../../db/testing";
import { permissionDenied, rows, rowSecurityViolation, testTableAccess } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

testTableAccess(() => crm, serviceTickets);

describe("support", () => {
  test("suki opens a ticket for a customer she sees", async () => {
    await crm.as(persona("suki"), async (c) => {
      const insert =
        "insert into crm.service_tickets (customer_id, subject, body) values (6, 'Invoice PDF missing', 'Resend March.') returning customer_id::int, status, subject";
      expect(await attempt(c, insert)).toEqual({
        rowCount: 1,
        rows: [{ customer_id: 6, status: "open", subject: "Invoice PDF missing" }],
      });
      expect(await column(c, "select subject from crm.service_tickets where customer_id = 6 order by id")).toEqual([
        "Import of legacy orders stuck",
        "Invoice PDF missing",
      ]);
    });
  });

  test("suki cannot open a ticket for the VIP or the archived customer, which exist", async () => {
    await crm.as(persona("suki"), async (c) => {
      expect(await attempt(c, "insert into crm.service_tickets (customer_id, subject) values (1, 'x')")).toEqual(
        rowSecurityViolation("service_tickets"),
      );
      expect(await attempt(c, "insert into crm.service_tickets (customer_id, subject) values (22, 'x')")).toEqual(
        rowSecurityViolation("service_tickets"),
      );
    });
    expect(await crm.root((c) => column(c, "select id::int from crm.customers where id in (1, 22) order by id"))).toEqual([
      1, 22,
    ]);
  });

  test("suki closes a ticket and edits its subject", async () => {
    await crm.as(persona("suki"), async (c) => {
      expect(
        await attempt(c, "update crm.service_tickets set status = 'closed', subject = 'Import restarted' where id = 2"),
      ).toEqual({ rowCount: 1, rows: [] });
      expect(await rows(c, "select status, subject from crm.service_tickets where id = 2")).toEqual([
        { status: "closed", subject: "Import restarted" },
      ]);
    });
  });

  test("suki's updates of the VIP customer's and the archived customer's tickets change no row, and they keep their status", async () => {
    await crm.as(persona("suki"), async (c) => {
      expect(await attempt(c, "update crm.service_tickets set status = 'pending' where id = 1")).toEqual({
        rowCount: 0,
        rows: [],
      });
      expect(await attempt(c, "update crm.service_tickets set status = 'pending' where id = 5")).toEqual({
        rowCount: 0,
        rows: [],
      });
    });
    expect(
      await crm.root((c) => rows(c, "select id::int, status from crm.service_tickets where id in (1, 5) order by id")),
    ).toEqual([
      { id: 1, status: "open" },
      { id: 5, status: "closed" },
    ]);
  });

  test("suki cannot move a ticket to another customer, nor delete one", async () => {
    await crm.as(persona("suki"), async (c) => {
      expect(await attempt(c, "update crm.service_tickets set customer_id = 7 where id = 2")).toEqual(
        permissionDenied("service_tickets"),
      );
      expect(await attempt(c, "delete from crm.service_tickets where id = 3")).toEqual(permissionDenied("service_tickets"));
    });
  });
});

describe("sales reps and managers", () => {
  test("rita reads the ticket of her VIP customer in full", async () => {
    expect(
      await crm.as(persona("rita"), (c) => rows(c, "select customer_id::int, status, subject, body from crm.service_tickets")),
    ).toEqual([
      {
        customer_id: 1,
        status: "open",
        subject: "SSO login fails for new staff",
        body: "New hires get an error after the identity provider redirect.",
      },
    ]);
  });

  test("rita can neither open nor update nor delete a ticket", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "insert into crm.service_tickets (customer_id, subject) values (2, 'x')")).toEqual(
        permissionDenied("service_tickets"),
      );
      expect(await attempt(c, "update crm.service_tickets set status = 'closed' where id = 1")).toEqual(
        permissionDenied("service_tickets"),
      );
      expect(await attempt(c, "delete from crm.service_tickets where id = 1")).toEqual(permissionDenied("service_tickets"));
      expect(await column(c, "select status from crm.service_tickets where id = 1")).toEqual(["open"]);
    });
  });

  test("sam reads the ticket of the archived customer of his unit", async () => {
    expect(
      await crm.as(persona("sam"), (c) => rows(c, "select customer_id::int, subject from crm.service_tickets where id = 5")),
    ).toEqual([{ customer_id: 22, subject: "Data export before archiving" }]);
  });

  test("sam cannot update a ticket of his unit", async () => {
    expect(
      await crm.as(persona("sam"), (c) => attempt(c, "update crm.service_tickets set status = 'open' where id = 5")),
    ).toEqual(permissionDenied("service_tickets"));
  });
});
