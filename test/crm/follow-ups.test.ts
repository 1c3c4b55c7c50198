import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { followUps } from "./expectations/follow-ups";
import { attempt } from "../../db/testing";
import { permissionDenied, rows, rowSecurityViolation, testTableAccess } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

testTableAccess(() => crm, followUps);

const insert = (customer: number, author: number, body: string) =>
  [
    "insert into crm.follow_ups (customer_id, author_id, body) values ($1, $2, $3) returning customer_id::int, author_id::int, body",
    [customer, author, body],
  ] as const;

describe("sales reps", () => {
  test("rita adds a follow-up as its author on her own customer and sees it", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, ...insert(2, 4, "Called back about the spring order."))).toEqual({
        rowCount: 1,
        rows: [{ customer_id: 2, author_id: 4, body: "Called back about the spring order." }],
      });
      expect(await column(c, "select body from crm.follow_ups where customer_id = 2 order by id")).toEqual([
        "Met the owner at the regional trade fair.",
        "Called back about the spring order.",
      ]);
    });
  });

  test("rita adds a follow-up on a pool customer she sees", async () => {
    expect(await crm.as(persona("rita"), (c) => attempt(c, ...insert(16, 4, "Cold call; asked for a demo.")))).toEqual({
      rowCount: 1,
      rows: [{ customer_id: 16, author_id: 4, body: "Cold call; asked for a demo." }],
    });
  });

  test("rita cannot add a follow-up in rick's name, and none appears", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, ...insert(2, 5, "Written for rick."))).toEqual(rowSecurityViolation("follow_ups"));
      expect(await column(c, "select id::int from crm.follow_ups where author_id = 5 and customer_id = 2")).toEqual([]);
    });
  });

  test("rita cannot add a follow-up on roy's customer, which she does not see but which exists", async () => {
    expect(await crm.as(persona("rita"), (c) => attempt(c, ...insert(8, 4, "Poaching.")))).toEqual(
      rowSecurityViolation("follow_ups"),
    );
    expect(await crm.root((c) => column(c, "select owner_id::int from crm.customers where id = 8"))).toEqual([6]);
  });

  test("rita cannot edit her follow-up once written: the update is refused (42501), not silently skipped", async () => {
    await crm.as(persona("rita"), async (c) => {
      const created = await c.query(
        "insert into crm.follow_ups (customer_id, author_id, body) values (2, 4, 'First draft') returning id",
      );
      const id = created.rows[0].id;
      expect(await attempt(c, "update crm.follow_ups set body = 'Rewritten' where id = $1", [id])).toEqual(
        permissionDenied("follow_ups"),
      );
      expect(await attempt(c, "update crm.follow_ups set body = 'Rewritten' where id = 3")).toEqual(
        permissionDenied("follow_ups"),
      );
      expect(await column(c, "select body from crm.follow_ups where id in ($1, 3) order by id", [id])).toEqual([
        "Met the owner at the regional trade fair.",
        "First draft",
      ]);
    });
  });

  test("rita cannot delete her follow-up", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "delete from crm.follow_ups where id = 3")).toEqual(permissionDenied("follow_ups"));
      expect(await column(c, "select id::int from crm.follow_ups where id = 3")).toEqual([3]);
    });
  });
});

describe("supervisors and above", () => {
  test("sam edits rick's follow-up on an East-1 customer", async () => {
    await crm.as(persona("sam"), async (c) => {
      expect(await attempt(c, "update crm.follow_ups set body = 'Demo moved to Friday.' where id = 5")).toEqual({
        rowCount: 1,
        rows: [],
      });
      expect(await rows(c, "select author_id::int, body from crm.follow_ups where id = 5")).toEqual([
        { author_id: 5, body: "Demo moved to Friday." },
      ]);
    });
  });

  test("sam's edit of a follow-up on the VIP customer of his unit changes no row, and it keeps its body", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "update crm.follow_ups set body = 'x' where id = 1"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select body from crm.follow_ups where id = 1"))).toEqual([
      "Kick-off call with procurement; they want a volume discount.",
    ]);
  });

  test("sam's edit of a follow-up outside his unit (East-2) changes no row, and it keeps its body", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "update crm.follow_ups set body = 'x' where id = 7"))).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select body from crm.follow_ups where id = 7"))).toEqual([
      "Asked for two references in healthcare.",
    ]);
  });

  test("sam may edit the body of a follow-up but not who wrote it", async () => {
    expect(await crm.as(persona("sam"), (c) => attempt(c, "update crm.follow_ups set author_id = 3 where id = 5"))).toEqual(
      permissionDenied("follow_ups"),
    );
  });

  test("erin edits a follow-up on an East-2 customer of her region", async () => {
    await crm.as(persona("erin"), async (c) => {
      expect(await attempt(c, "update crm.follow_ups set body = 'References sent.' where id = 7")).toEqual({
        rowCount: 1,
        rows: [],
      });
      expect(await column(c, "select body from crm.follow_ups where id = 7")).toEqual(["References sent."]);
    });
  });

  test("dana edits a follow-up on a West customer", async () => {
    expect(
      await crm.as(persona("dana"), (c) => attempt(c, "update crm.follow_ups set body = 'Invoice query closed.' where id = 10")),
    ).toEqual({
      rowCount: 1,
      rows: [],
    });
  });
});

describe("interns, support, admin", () => {
  test("ian adds a follow-up on his own customer", async () => {
    await crm.as(persona("ian"), async (c) => {
      expect(await attempt(c, ...insert(15, 8, "Sent the starter plan brochure."))).toEqual({
        rowCount: 1,
        rows: [{ customer_id: 15, author_id: 8, body: "Sent the starter plan brochure." }],
      });
      expect(await column(c, "select count(*)::int from crm.follow_ups where customer_id = 15")).toEqual([2]);
    });
  });

  test("ian cannot add a follow-up on a pool customer of his unit, which exists", async () => {
    expect(await crm.as(persona("ian"), (c) => attempt(c, ...insert(16, 8, "Cold call.")))).toEqual(
      rowSecurityViolation("follow_ups"),
    );
    expect(await crm.root((c) => rows(c, "select owner_id, unit_id::int from crm.customers where id = 16"))).toEqual([
      { owner_id: null, unit_id: 4 },
    ]);
  });

  test("ian cannot edit his follow-up", async () => {
    expect(await crm.as(persona("ian"), (c) => attempt(c, "update crm.follow_ups set body = 'x' where id = 11"))).toEqual(
      permissionDenied("follow_ups"),
    );
  });

  test("suki reads follow-ups but cannot add or edit one", async () => {
    await crm.as(persona("suki"), async (c) => {
      expect(await attempt(c, ...insert(2, 11, "Support note."))).toEqual(permissionDenied("follow_ups"));
      expect(await attempt(c, "update crm.follow_ups set body = 'x' where id = 3")).toEqual(permissionDenied("follow_ups"));
    });
  });

  test("adam, admin, cannot physically delete a follow-up of the offboarded olga: nothing is lost", async () => {
    await crm.as(persona("adam"), async (c) => {
      expect(await attempt(c, "delete from crm.follow_ups where id = 13")).toEqual(permissionDenied("follow_ups"));
    });
    expect(await crm.root((c) => column(c, "select id::int from crm.follow_ups where author_id = 17 order by id"))).toEqual([
      12, 13,
    ]);
  });
});
