import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { contacts } from "./expectations/contacts";
import { attempt } from "../../db/testing";
import { permissionDenied, rows, rowSecurityViolation, testTableAccess } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

testTableAccess(() => crm, contacts);

describe("raw personal data", () => {
  test("rita reads the full phone and email of her own customer's contact through her select * view, the id number (encrypted) masked", async () => {
    const seen = await crm.as(persona("rita"), (c) =>
      rows(c, "select id::int, phone, email, id_number from crm_sales_rep.contacts where customer_id = 3"),
    );
    expect(seen).toEqual([{ id: 4, phone: "+1-555-0104", email: "carl.mensah@cobalt.example", id_number: "[redacted]" }]);
  });

  test("rick cannot read the contact of his teammate rita's customer, which exists", async () => {
    expect(await crm.as(persona("rick"), (c) => column(c, "select phone from crm_sales_rep.contacts where id = 4"))).toEqual([]);
    expect(await crm.root((c) => rows(c, "select customer_id::int, phone from crm.contacts where id = 4"))).toEqual([
      { customer_id: 3, phone: "+1-555-0104" },
    ]);
  });

  test("rita sees the pool customers 16, 17, 18 but none of their contacts, which exist", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await column(c, "select id::int from crm.customers where owner_id is null order by id")).toEqual([16, 17, 18]);
      expect(await column(c, "select id::int from crm.contacts where customer_id in (16, 17, 18)")).toEqual([]);
    });
    expect(
      await crm.root((c) => column(c, "select id::int from crm.contacts where customer_id in (16, 17, 18) order by id")),
    ).toEqual([16, 17, 18]);
  });

  test("sam, supervisor of East-1, reads in full the contact of olga's East-1 customer (the encrypted id number masked)", async () => {
    const seen = await crm.as(persona("sam"), (c) =>
      rows(c, "select full_name, phone, email, id_number from crm_supervisor.contacts where id = 19"),
    );
    expect(seen).toEqual([
      { full_name: "Tara Walsh", phone: "+1-555-0119", email: "tara.walsh@tidewater.example", id_number: "[redacted]" },
    ]);
  });

  test("sam cannot see the contacts of the VIP customer he does not own, which exist", async () => {
    expect(await crm.as(persona("sam"), (c) => column(c, "select id::int from crm.contacts where customer_id = 1"))).toEqual([]);
    expect(await crm.root((c) => column(c, "select id::int from crm.contacts where customer_id = 1 order by id"))).toEqual([
      1, 2,
    ]);
  });
});

describe("masked personal data", () => {
  const MASKED_COLUMNS = "id::int, phone_masked, email_masked, id_number_masked";

  test("ian reads his own customer's contact only through the masks: last 4 of the phone, the e-mail domain, a redacted id", async () => {
    expect(await crm.as(persona("ian"), (c) => rows(c, `select ${MASKED_COLUMNS} from crm.contacts`))).toEqual([
      { id: 15, phone_masked: "*******0115", email_masked: "***@pebble.example", id_number_masked: "[redacted]" },
    ]);
    const decrypted = "select phone, email, gatehouse.encryption_decrypt(id_number) as id_number from crm.contacts where id = 15";
    expect(await crm.root((c) => rows(c, decrypted))).toEqual([
      { phone: "+1-555-0115", email: "pia.sato@pebble.example", id_number: "ID-650318" },
    ]);
  });

  test("ian is refused the raw phone, e-mail and id number of his own customer's contact", async () => {
    await crm.as(persona("ian"), async (c) => {
      for (const raw of ["phone", "email", "id_number"]) {
        expect(await attempt(c, `select ${raw} from crm.contacts where id = 15`)).toEqual(permissionDenied("contacts"));
      }
    });
  });

  test("suki reads masked values, and a missing phone or id number stays missing", async () => {
    expect(
      await crm.as(persona("suki"), (c) =>
        rows(c, `select ${MASKED_COLUMNS} from crm.contacts where id in (3, 6, 14) order by id`),
      ),
    ).toEqual([
      { id: 3, phone_masked: "*******0103", email_masked: "***@bluebird.example", id_number_masked: "[redacted]" },
      { id: 6, phone_masked: "*******0106", email_masked: "***@fjord.example", id_number_masked: null },
      { id: 14, phone_masked: null, email_masked: "***@nimbus.example", id_number_masked: "[redacted]" },
    ]);
  });

  test("ana reads the masked contacts of her East customers, without their names", async () => {
    await crm.as(persona("ana"), async (c) => {
      expect(await rows(c, `select ${MASKED_COLUMNS} from crm.contacts where id in (3, 6, 14) order by id`)).toEqual([
        { id: 3, phone_masked: "*******0103", email_masked: "***@bluebird.example", id_number_masked: "[redacted]" },
        { id: 6, phone_masked: "*******0106", email_masked: "***@fjord.example", id_number_masked: null },
      ]);
      expect(await attempt(c, "select full_name from crm.contacts")).toEqual(permissionDenied("contacts"));
    });
  });

  test("suki sees the contacts of every customer she may see, not those of the archived, VIP or deleted ones, which exist", async () => {
    expect(
      await crm.as(persona("suki"), (c) => column(c, "select id::int from crm.contacts where customer_id in (1, 21, 22)")),
    ).toEqual([]);
    expect(
      await crm.root((c) =>
        rows(c, "select id::int, customer_id::int from crm.contacts where customer_id in (1, 21, 22) order by id"),
      ),
    ).toEqual([
      { id: 1, customer_id: 1 },
      { id: 2, customer_id: 1 },
      { id: 20, customer_id: 21 },
      { id: 21, customer_id: 22 },
    ]);
  });
});

describe("writes", () => {
  test("rita adds a contact to her own customer and reads it back in full", async () => {
    await crm.as(persona("rita"), async (c) => {
      const insert =
        "insert into crm.contacts (customer_id, full_name, phone, email, id_number) values (2, 'Ada Byrne', '+1-555-0199', 'ada@bluebird.example', 'ID-100001') returning customer_id::int, full_name, phone_masked";
      expect(await attempt(c, insert)).toEqual({
        rowCount: 1,
        rows: [{ customer_id: 2, full_name: "Ada Byrne", phone_masked: "*******0199" }],
      });
      expect(await rows(c, "select full_name, phone from crm_sales_rep.contacts where customer_id = 2 order by id")).toEqual([
        { full_name: "Bea Lindqvist", phone: "+1-555-0103" },
        { full_name: "Ada Byrne", phone: "+1-555-0199" },
      ]);
    });
  });

  test("rita cannot add a contact to a pool customer she sees but does not own", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "insert into crm.contacts (customer_id, full_name) values (16, 'Ada Byrne')")).toEqual(
        rowSecurityViolation("contacts"),
      );
      expect(await column(c, "select id::int from crm.customers where id = 16")).toEqual([16]);
    });
  });

  test("rita corrects the phone of her own customer's contact", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.contacts set phone = '+1-555-0999' where id = 3")).toEqual({ rowCount: 1, rows: [] });
      expect(await column(c, "select phone from crm_sales_rep.contacts where id = 3")).toEqual(["+1-555-0999"]);
    });
  });

  test("rita's update of rick's customer's contact changes no row, and the contact keeps its phone", async () => {
    expect(
      await crm.as(persona("rita"), (c) => attempt(c, "update crm.contacts set phone = '+1-555-0999' where id = 5")),
    ).toEqual({ rowCount: 0, rows: [] });
    expect(await crm.root((c) => column(c, "select phone from crm.contacts where id = 5"))).toEqual(["+1-555-0105"]);
  });

  test("rita cannot move a contact to another customer, nor delete one", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.contacts set customer_id = 2 where id = 4")).toEqual(permissionDenied("contacts"));
      expect(await attempt(c, "delete from crm.contacts where id = 4")).toEqual(permissionDenied("contacts"));
      expect(await column(c, "select customer_id::int from crm.contacts where id = 4")).toEqual([3]);
    });
  });

  test("ian, intern, cannot add or change a contact of his own customer", async () => {
    await crm.as(persona("ian"), async (c) => {
      expect(await attempt(c, "insert into crm.contacts (customer_id, full_name) values (15, 'Ada Byrne')")).toEqual(
        permissionDenied("contacts"),
      );
      expect(await attempt(c, "update crm.contacts set full_name = 'P. Sato' where id = 15")).toEqual(
        permissionDenied("contacts"),
      );
    });
  });

  test("suki cannot change a contact she reads masked", async () => {
    expect(
      await crm.as(persona("suki"), (c) => attempt(c, "update crm.contacts set full_name = 'B. Lindqvist' where id = 3")),
    ).toEqual(permissionDenied("contacts"));
  });

  test("adam, admin, cannot physically delete a contact, not even one of the soft-deleted customer: nothing is lost", async () => {
    await crm.as(persona("adam"), async (c) => {
      expect(await attempt(c, "delete from crm.contacts where id = 20")).toEqual(permissionDenied("contacts"));
    });
    expect(await crm.root((c) => column(c, "select id::int from crm.contacts where customer_id = 21"))).toEqual([20]);
  });
});

describe("the listed keys of a via", () => {
  const helpers = () =>
    crm.root((c) =>
      column<string>(
        c,
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'gatehouse' and p.proname like 'via\\_contacts\\_\\_%' order by 1",
      ),
    );

  test("rita calling the contacts' key helpers herself gets only customers she already sees, and every customer of a contact she sees", async () => {
    const names = await helpers();
    expect(names).toHaveLength(2);
    await crm.as(persona("rita"), async (c) => {
      const listed = new Set<number>();
      for (const name of names) {
        for (const id of await column<string>(c, `select unnest(${name})`)) listed.add(Number(id));
      }
      const visible = (await column<number>(c, "select id::int from crm.customers")).filter((id) => listed.has(id));
      expect([...listed].sort((a, b) => a - b)).toEqual(visible.sort((a, b) => a - b));
      const ofContacts = await column<number>(c, "select distinct customer_id::int from crm.contacts order by 1");
      expect(ofContacts.length).toBeGreaterThan(0);
      expect(ofContacts.filter((id) => !listed.has(id))).toEqual([]);
    });
  });

  test("rick calling the same helper lists his own customers, none of rita's: a helper answers for its caller only", async () => {
    const [name] = await helpers();
    const ritas = await crm.as(persona("rita"), (c) => column<string>(c, `select unnest(${name!}) order by 1`));
    const ricks = await crm.as(persona("rick"), (c) => column<string>(c, `select unnest(${name!}) order by 1`));
    expect(ritas.length).toBeGreaterThan(0);
    expect(ricks.filter((id) => ritas.includes(id))).toEqual([]);
  });

  test("mark, marketing, who has no rule on contacts, may not call the contacts' key helpers", async () => {
    for (const name of await helpers()) {
      expect(await crm.as(persona("mark"), (c) => attempt(c, `select ${name}`))).toMatchObject({ code: "42501" });
    }
  });
});
