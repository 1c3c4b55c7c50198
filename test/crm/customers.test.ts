/**
 * `crm.customers` per persona: the exact rows and columns of test/crm/expectations/customers.ts, then the
 * write rules of CRM.md (insert, update, delete), each "cannot" paired with a root check.
 */
import type { PoolClient } from "pg";
import { refusal } from "../../db/testing";
import { PERSONAS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { CUSTOMER_COLUMNS, CUSTOMER_EXPECTATIONS, MARKETING_EXPORT_COLUMNS, customerExpectation } from "./expectations/customers";

let crm: AppTestDatabase;
/** Columns of crm.customers as the catalog lists them (superuser), in table order. */
let tableColumns: string[];
/** Customer id by name, for personas that may read `name` but not `id`. */
let idByName: Map<string, number>;

beforeAll(async () => {
  crm = await openCrmDatabase();
  tableColumns = await crm.root((c) =>
    column<string>(
      c,
      "select column_name from information_schema.columns where table_schema = 'crm' and table_name = 'customers' order by ordinal_position",
    ),
  );
  const named = await crm.root((c) => c.query<{ id: number; name: string }>("select id::int, name from crm.customers"));
  idByName = new Map(named.rows.map((r) => [r.name, r.id]));
});
afterAll(() => crm?.close());

const PERMISSION_DENIED = { code: "42501", message: "permission denied for table customers" };
const ROW_SECURITY = { code: "42501", message: 'new row violates row-level security policy for table "customers"' };

/** A persona on the web channel, as the expectations are written. */
const web = (username: string) => persona(username, { channel: "web" });

/**
 * Ids of the customers the persona's client sees, by `id`, or by `name` for a partner; through the persona's
 * relation (marketing: the export view) unless another is given.
 */
async function visibleIds(c: PoolClient, username: string, relation = customerExpectation(username).relation): Promise<number[]> {
  const { columns } = customerExpectation(username);
  if (columns.includes("id")) return column<number>(c, `select id::int from ${relation} order by id`);
  const names = await column<string>(c, `select name from ${relation}`);
  return names.map((n) => idByName.get(n) ?? -1).sort((a, b) => a - b);
}

/** One customer as the superuser sees it (an empty list when it does not exist). */
async function rootCustomer(id: number): Promise<Record<string, unknown>[]> {
  const text =
    "select id::int, name, owner_id::int, unit_id::int, tier, archived_at is not null as archived, deleted_at is not null as deleted from crm.customers where id = $1";
  return crm.root(async (c) => (await c.query(text, [id])).rows);
}

/** The personas (with a readable id or name) who see customer `id`. */
async function whoSees(id: number): Promise<string[]> {
  const readers = PERSONAS.filter((p) => customerExpectation(p.username).columns.some((c) => c === "id" || c === "name"));
  const seen = await Promise.all(readers.map((p) => crm.as(web(p.username), (c) => visibleIds(c, p.username, "crm.customers"))));
  return readers.filter((_, i) => seen[i]!.includes(id)).map((p) => p.username);
}

const READ_ONLY = new Set(["ian", "fiona", "lena", "suki", "mark", "paul", "ana", "aude"]);

/** The table-driven part every persona shares: exact rows, exact columns, no delete, no writes for read-only roles. */
function readsExactlyTheirCustomers(username: string): void {
  const expected = customerExpectation(username);

  if (expected.columns.length === 0) {
    test(`${username} has no privilege on crm.customers: selecting is refused`, async () => {
      const refused = await crm.as(web(username), (c) => refusal(c, "select count(*) from crm.customers"));
      expect(refused).toEqual(PERMISSION_DENIED);
      expect(await crm.root((c) => column<number>(c, "select count(*)::int from crm.customers"))).toEqual([22]);
    });
  }
  if (expected.relation !== "crm.customers") {
    test(`${username} selects exactly customers [${expected.ids.join(", ")}] from ${expected.relation}`, async () => {
      expect(
        await crm.as(web(username), (c) => column<number>(c, `select id::int from ${expected.relation} order by id`)),
      ).toEqual(expected.ids);
    });
  } else if (expected.columns.length > 0) {
    test(`${username} selects exactly customers [${expected.ids.join(", ")}] from ${expected.relation}`, async () => {
      expect(await crm.as(web(username), (c) => visibleIds(c, username))).toEqual(expected.ids);
    });
  }

  const readable = new Set<string>(expected.columns);
  const columnsInWords = readable.size === 0 ? "no column" : `exactly [${expected.columns.join(", ")}]`;
  test(`${username} reads ${columnsInWords} of crm.customers; every other column is refused`, async () => {
    const outcome = await crm.as(web(username), async (c) => {
      const result: Record<string, string> = {};
      for (const name of tableColumns)
        result[name] = (await refusal(c, `select "${name}" from crm.customers`))?.code ?? "readable";
      return result;
    });
    expect(outcome).toEqual(Object.fromEntries(tableColumns.map((name) => [name, readable.has(name) ? "readable" : "42501"])));
  });

  if (username !== "adam") {
    // supervisors and above hold delete only to apply an approved customer_delete request (test/crm/approvals.test.ts)
    const approver = ["sam", "erin", "dana"].includes(username);
    test(`${username} cannot delete a customer (${approver ? "only by approving a request" : "permission denied for table"})`, async () => {
      expect(await crm.as(web(username), (c) => refusal(c, "delete from crm.customers where id = 2"))).toEqual(
        approver
          ? {
              code: "42501",
              message:
                "gatehouse: deleting a row of customers needs an approved request (row 2): ask with crm.request_customer_delete(row_id, reason); supervisor, regional_manager and director approve",
            }
          : PERMISSION_DENIED,
      );
      expect(await rootCustomer(2)).toEqual([expect.objectContaining({ id: 2, name: "Bluebird Bakery" })]);
    });
  }

  if (READ_ONLY.has(username)) {
    test(`${username} can neither insert nor update customers (permission denied for table)`, async () => {
      const refused = await crm.as(web(username), async (c) => [
        await refusal(c, "insert into crm.customers (name, unit_id) values ('Acorn Analytics', 4)"),
        await refusal(c, "update crm.customers set stage = 'won' where id = 2"),
      ]);
      expect(refused).toEqual([PERMISSION_DENIED, PERMISSION_DENIED]);
      expect(await rootCustomer(2)).toEqual([expect.objectContaining({ id: 2, name: "Bluebird Bakery" })]);
    });
  }
}

describe("the expectations", () => {
  test("name every persona of PERSONAS, and no one else", () => {
    expect(Object.keys(CUSTOMER_EXPECTATIONS).sort()).toEqual(PERSONAS.map((p) => p.username).sort());
  });

  test("name every column of crm.customers, raw and twin, in table order", () => {
    expect(tableColumns).toEqual([...CUSTOMER_COLUMNS]);
  });
});

describe("dana (director, Acme)", () => {
  readsExactlyTheirCustomers("dana");

  test("dana sees the VIP customer 1 owned by rita and the archived 22", async () => {
    const ids = await crm.as(web("dana"), (c) =>
      column<number>(c, "select id::int from crm.customers where id in (1, 22) order by id"),
    );
    expect(ids).toEqual([1, 22]);
  });

  test("dana changes the tier of a West-1 customer", async () => {
    const rows = await crm.as(
      web("dana"),
      async (c) => (await c.query("update crm.customers set tier = 'vip' where id = 13 returning id::int, tier")).rows,
    );
    expect(rows).toEqual([{ id: 13, tier: "vip" }]);
  });
});

describe("erin (regional_manager, East)", () => {
  readsExactlyTheirCustomers("erin");

  test("erin sees the VIP customer 1 of East-1", async () => {
    expect(await crm.as(web("erin"), (c) => column<number>(c, "select id::int from crm.customers where tier = 'vip'"))).toEqual([
      1,
    ]);
  });

  test("erin changes the tier of an East-1 customer", async () => {
    const rows = await crm.as(
      web("erin"),
      async (c) => (await c.query("update crm.customers set tier = 'vip' where id = 2 returning id::int, tier")).rows,
    );
    expect(rows).toEqual([{ id: 2, tier: "vip" }]);
  });

  test("erin cannot change the tier of a West-1 customer outside her region: 0 rows", async () => {
    const result = await crm.as(web("erin"), (c) => c.query("update crm.customers set tier = 'vip' where id = 13"));
    expect(result.rowCount).toBe(0);
    expect(await rootCustomer(13)).toEqual([expect.objectContaining({ id: 13, unit_id: 6, tier: "standard" })]);
  });
});

describe("sam (supervisor, East-1)", () => {
  readsExactlyTheirCustomers("sam");

  test("sam cannot see the VIP customer 1 of his own unit, owned by rita", async () => {
    expect(await crm.as(web("sam"), (c) => column(c, "select id from crm.customers where id = 1"))).toEqual([]);
    expect(await rootCustomer(1)).toEqual([expect.objectContaining({ id: 1, owner_id: 4, unit_id: 4, tier: "vip" })]);
  });

  test("sam cannot see roy's East-2 customers, East-2 being outside his subtree; only the East-2 pool customer 17", async () => {
    const ids = await crm.as(web("sam"), (c) =>
      column<number>(c, "select id::int from crm.customers where unit_id = 5 order by id"),
    );
    expect(ids).toEqual([17]);
    const roys = await crm.root((c) =>
      column<number>(c, "select id::int from crm.customers where owner_id = 6 and unit_id = 5 order by id"),
    );
    expect(roys).toEqual([7, 8, 9, 10]);
  });

  test("sam reassigns olga's former customer 19 to rita, within his subtree", async () => {
    const rows = await crm.as(
      web("sam"),
      async (c) => (await c.query("update crm.customers set owner_id = 4 where id = 19 returning id::int, owner_id::int")).rows,
    );
    expect(rows).toEqual([{ id: 19, owner_id: 4 }]);
  });

  test("sam cannot reassign roy's East-2 customer 7: 0 rows", async () => {
    const result = await crm.as(web("sam"), (c) => c.query("update crm.customers set owner_id = 4 where id = 7"));
    expect(result.rowCount).toBe(0);
    expect(await rootCustomer(7)).toEqual([expect.objectContaining({ id: 7, owner_id: 6, unit_id: 5 })]);
  });

  test("sam cannot update the East-2 pool customer 17 although he sees it: 0 rows", async () => {
    const result = await crm.as(web("sam"), (c) => c.query("update crm.customers set owner_id = 4 where id = 17"));
    expect(result.rowCount).toBe(0);
    expect(await rootCustomer(17)).toEqual([expect.objectContaining({ id: 17, owner_id: null, unit_id: 5 })]);
  });

  // CRM.md lets a supervisor "reassign owner_id within that subtree": the new owner must be in it too.
  test("sam cannot hand an East-1 customer to wendy of West-1, outside his subtree", async () => {
    const refused = await crm.as(web("sam"), (c) => refusal(c, "update crm.customers set owner_id = 7 where id = 19"));
    expect(refused).toEqual(ROW_SECURITY);
  });

  test("sam cannot change a customer's tier (permission denied) and the tier stays", async () => {
    const refused = await crm.as(web("sam"), (c) => refusal(c, "update crm.customers set tier = 'vip' where id = 2"));
    expect(refused).toEqual(PERMISSION_DENIED);
    expect(await rootCustomer(2)).toEqual([expect.objectContaining({ id: 2, tier: "standard" })]);
  });
});

describe("rita (sales_rep, East-1)", () => {
  readsExactlyTheirCustomers("rita");

  test("rita inserts a customer she owns in her unit and sees it back", async () => {
    const { inserted, ids } = await crm.as(web("rita"), async (c) => {
      const { rows } = await c.query(
        "insert into crm.customers (name, industry, owner_id, unit_id) values ('Acorn Analytics', 'Software', 4, 4) returning id::int, name, owner_id::int, unit_id::int, tier",
      );
      return { inserted: rows, ids: await column<number>(c, "select id::int from crm.customers order by id") };
    });
    expect(inserted).toEqual([{ id: expect.any(Number), name: "Acorn Analytics", owner_id: 4, unit_id: 4, tier: "standard" }]);
    expect(ids).toEqual([1, 2, 3, 11, 16, 17, 18, inserted[0].id]);
  });

  test("rita cannot insert a customer owned by rick (row security)", async () => {
    const refused = await crm.as(web("rita"), (c) =>
      refusal(c, "insert into crm.customers (name, owner_id, unit_id) values ('Acorn Analytics', 5, 4)"),
    );
    expect(refused).toEqual(ROW_SECURITY);
    expect(await crm.root((c) => column(c, "select id from crm.customers where name = 'Acorn Analytics'"))).toEqual([]);
  });

  test("rita cannot insert a customer of East-2, not her unit (row security)", async () => {
    const refused = await crm.as(web("rita"), (c) =>
      refusal(c, "insert into crm.customers (name, owner_id, unit_id) values ('Acorn Analytics', 4, 5)"),
    );
    expect(refused).toEqual(ROW_SECURITY);
  });

  test("rita updates the stage of her own customer", async () => {
    const rows = await crm.as(
      web("rita"),
      async (c) => (await c.query("update crm.customers set stage = 'qualified' where id = 2 returning id::int, stage")).rows,
    );
    expect(rows).toEqual([{ id: 2, stage: "qualified" }]);
  });

  test("rita cannot set owner_id or tier of her own customer (permission denied) and nothing changes", async () => {
    const refused = await crm.as(web("rita"), async (c) => [
      await refusal(c, "update crm.customers set owner_id = 5 where id = 2"),
      await refusal(c, "update crm.customers set tier = 'vip' where id = 2"),
    ]);
    expect(refused).toEqual([PERMISSION_DENIED, PERMISSION_DENIED]);
    expect(await rootCustomer(2)).toEqual([expect.objectContaining({ id: 2, owner_id: 4, tier: "standard" })]);
  });

  test("rita's update of rick's customer 4 updates 0 rows", async () => {
    const result = await crm.as(web("rita"), (c) => c.query("update crm.customers set name = 'Taken' where id = 4"));
    expect(result.rowCount).toBe(0);
    expect(await rootCustomer(4)).toEqual([expect.objectContaining({ id: 4, name: "Evergreen Logistics", owner_id: 5 })]);
  });

  test("rita sees customer 11 of the open project she belongs to", async () => {
    expect(await crm.as(web("rita"), (c) => column<number>(c, "select id::int from crm.customers where owner_id = 7"))).toEqual([
      11,
    ]);
    const project = await crm.root((c) =>
      c.query(
        "select p.status from crm.projects p join crm.project_members m on m.project_id = p.id join crm.project_customers pc on pc.project_id = p.id where m.user_id = 4 and pc.customer_id = 11",
      ),
    );
    expect(project.rows).toEqual([{ status: "open" }]);
  });

  test("rita cannot see her own archived customer 22", async () => {
    expect(await crm.as(web("rita"), (c) => column(c, "select id from crm.customers where id = 22"))).toEqual([]);
    expect(await rootCustomer(22)).toEqual([expect.objectContaining({ id: 22, owner_id: 4, archived: true })]);
  });

  test("rita sees the same customers on the mobile channel (mobile only limits contracts and exports)", async () => {
    expect(await crm.as(persona("rita", { channel: "mobile" }), (c) => visibleIds(c, "rita"))).toEqual(
      customerExpectation("rita").ids,
    );
  });

  test("rita acting as director, a role she does not hold, sees and changes nothing", async () => {
    const { ids, updated } = await crm.as(persona("rita", { role: "director" }), async (c) => ({
      ids: await column(c, "select id from crm.customers"),
      updated: (await c.query("update crm.customers set stage = 'won' where id = 2")).rowCount,
    }));
    expect({ ids, updated }).toEqual({ ids: [], updated: 0 });
    expect(await crm.root((c) => column<number>(c, "select id::int from crm.customers where owner_id = 4 order by id"))).toEqual([
      1, 2, 3, 22,
    ]);
  });
});

describe("rick (sales_rep, East-1)", () => {
  readsExactlyTheirCustomers("rick");

  test("rick's select grant on roy's customer 8 lets him read it but not update it: 0 rows", async () => {
    const result = await crm.as(web("rick"), (c) => c.query("update crm.customers set stage = 'won' where id = 8"));
    expect(result.rowCount).toBe(0);
    expect(await rootCustomer(8)).toEqual([expect.objectContaining({ id: 8, owner_id: 6 })]);
    const grant = await crm.root((c) =>
      c.query("select privilege, expires_at > now() as live from crm.access_grants where grantee_id = 5 and row_id = 8"),
    );
    expect(grant.rows).toEqual([{ privilege: "select", live: true }]);
  });

  test("rick updates customer 8 once adam grants him update on it", async () => {
    const rows = await crm.as(web("adam"), async (c) => {
      const upgraded = await c.query(
        "select crm.grant_access('customers', 8, 5, 'update', now() + interval '1 day', 'closing the Iris Optics deal')",
      );
      expect(upgraded.rowCount).toBe(1);
      await crm.actAs(c, persona("rick"));
      return (await c.query("update crm.customers set stage = 'won' where id = 8 returning id::int, stage, owner_id::int")).rows;
    });
    expect(rows).toEqual([{ id: 8, stage: "won", owner_id: 6 }]);
  });

  test("rick cannot see customer 10, whose grant to him has expired", async () => {
    expect(await crm.as(web("rick"), (c) => column(c, "select id from crm.customers where id = 10"))).toEqual([]);
    expect(await rootCustomer(10)).toEqual([expect.objectContaining({ id: 10, owner_id: 6 })]);
    const grant = await crm.root((c) =>
      c.query("select privilege, expires_at < now() as expired from crm.access_grants where grantee_id = 5 and row_id = 10"),
    );
    expect(grant.rows).toEqual([{ privilege: "select", expired: true }]);
  });

  test("rick cannot see customer 9 of the closed project he belonged to", async () => {
    expect(await crm.as(web("rick"), (c) => column(c, "select id from crm.customers where id = 9"))).toEqual([]);
    const project = await crm.root((c) =>
      c.query(
        "select p.status from crm.projects p join crm.project_members m on m.project_id = p.id join crm.project_customers pc on pc.project_id = p.id where m.user_id = 5 and pc.customer_id = 9",
      ),
    );
    expect(project.rows).toEqual([{ status: "closed" }]);
  });

  test("rick cannot see his own soft-deleted customer 21", async () => {
    expect(await crm.as(web("rick"), (c) => column(c, "select id from crm.customers where id = 21"))).toEqual([]);
    expect(await rootCustomer(21)).toEqual([expect.objectContaining({ id: 21, owner_id: 5, deleted: true })]);
  });
});

describe("roy (sales_rep, East-2)", () => {
  readsExactlyTheirCustomers("roy");
});

describe("wendy (sales_rep, West-1)", () => {
  readsExactlyTheirCustomers("wendy");
});

describe("ian (intern, East-1)", () => {
  readsExactlyTheirCustomers("ian");

  test("ian sees only the customer he owns, not the pool of his unit", async () => {
    expect(await crm.as(web("ian"), (c) => column<number>(c, "select id::int from crm.customers"))).toEqual([15]);
    expect(await rootCustomer(16)).toEqual([expect.objectContaining({ id: 16, owner_id: null, unit_id: 4 })]);
  });
});

describe("fiona (finance, Acme)", () => {
  readsExactlyTheirCustomers("fiona");

  test("fiona sees only customers at stage contract or won, and not the archived won customer 22", async () => {
    const stages = await crm.as(web("fiona"), (c) =>
      column<string>(c, "select distinct stage from crm.customers order by stage"),
    );
    expect(stages).toEqual(["contract", "won"]);
    expect(await rootCustomer(22)).toEqual([expect.objectContaining({ id: 22, archived: true })]);
  });
});

describe("lena (legal, Acme)", () => {
  readsExactlyTheirCustomers("lena");
});

describe("suki (support, Acme)", () => {
  readsExactlyTheirCustomers("suki");

  test("suki sees neither the VIP 1, the soft-deleted 21 nor the archived 22", async () => {
    expect(await crm.as(web("suki"), (c) => column(c, "select id from crm.customers where id in (1, 21, 22)"))).toEqual([]);
    const hidden = await crm.root((c) =>
      c.query(
        "select id::int, tier, archived_at is not null as archived, deleted_at is not null as deleted from crm.customers where id in (1, 21, 22) order by id",
      ),
    );
    expect(hidden.rows).toEqual([
      { id: 1, tier: "vip", archived: false, deleted: false },
      { id: 21, tier: "standard", archived: false, deleted: true },
      { id: 22, tier: "standard", archived: true, deleted: false },
    ]);
  });
});

describe("mark (marketing, Acme)", () => {
  readsExactlyTheirCustomers("mark");

  test("mark reads the six export columns of crm.marketing_export, in the view's order", async () => {
    const fields = await crm.as(web("mark"), async (c) =>
      (await c.query("select * from crm.marketing_export limit 1")).fields.map((f) => f.name),
    );
    expect(fields).toEqual([...MARKETING_EXPORT_COLUMNS]);
  });

  test("mark sees exactly the consenting, non-deleted, non-archived customers, with their month created", async () => {
    const rows = await crm.as(
      web("mark"),
      async (c) => (await c.query("select id::int, created_month::text from crm.marketing_export order by id")).rows,
    );
    const expected = await crm.root(
      async (c) =>
        (
          await c.query(
            "select id::int, to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM-DD') as created_month from crm.customers where consent_marketing and deleted_at is null and archived_at is null order by id",
          )
        ).rows,
    );
    expect(rows.map((r) => r.id)).toEqual(customerExpectation("mark").ids);
    expect(rows).toEqual(expected);
    const consenting = await crm.root((c) =>
      column<number>(c, "select id::int from crm.customers where consent_marketing order by id"),
    );
    expect(consenting).toEqual([2, 4, 7, 11, 12, 16, 18, 21, 22]);
  });

  test("mark cannot select from crm.customers (permission denied), not even the columns the export shows", async () => {
    const refused = await crm.as(web("mark"), async (c) => [
      await refusal(c, "select id from crm.customers"),
      await refusal(c, "select id, region from crm.customers where consent_marketing"),
      await refusal(c, "select created_month from crm.customers"),
    ]);
    expect(refused).toEqual([PERMISSION_DENIED, PERMISSION_DENIED, PERMISSION_DENIED]);
    expect(
      await crm.root((c) => column<number>(c, "select id::int from crm.customers where consent_marketing order by id")),
    ).toEqual([2, 4, 7, 11, 12, 16, 18, 21, 22]);
  });

  test("mark on the mobile channel sees nothing through the export, which runs as its owner", async () => {
    expect(await crm.as(persona("mark", { channel: "mobile" }), (c) => column(c, "select id from crm.marketing_export"))).toEqual(
      [],
    );
    expect(
      await crm.as(persona("mark", { channel: "web" }), (c) =>
        column<number>(c, "select id::int from crm.marketing_export order by id"),
      ),
    ).toEqual(customerExpectation("mark").ids);
    // the superuser has no app identity, so the owner's policy gives it no row of the view: the rows exist in the table
    expect(await crm.root((c) => column<number>(c, "select id::int from crm.marketing_export"))).toEqual([]);
    expect(
      await crm.root((c) =>
        column<number>(
          c,
          "select id::int from crm.customers where consent_marketing and deleted_at is null and archived_at is null order by id",
        ),
      ),
    ).toEqual(customerExpectation("mark").ids);
  });

  test("rita acting in the marketing role she does not hold sees nothing through the export: its owner's policy checks the caller", async () => {
    expect(
      await crm.as(persona("rita", { role: "marketing", channel: "web" }), (c) =>
        column(c, "select id from crm.marketing_export"),
      ),
    ).toEqual([]);
    expect(await crm.root((c) => column(c, "select role from crm.user_roles where user_id = 4"))).toEqual(["sales_rep"]);
  });
});

describe("paul (partner, Partner Co)", () => {
  readsExactlyTheirCustomers("paul");

  test("paul sees the live share's four columns, and not customer 7 whose share has expired", async () => {
    // `select *` names columns he may not read, so it is refused as a whole
    expect(await crm.as(web("paul"), (c) => refusal(c, "select * from crm.customers"))).toEqual(PERMISSION_DENIED);
    const shared = await crm.as(
      web("paul"),
      async (c) => (await c.query("select name, industry, region, stage from crm.customers")).rows,
    );
    expect(shared).toEqual([{ name: "Maple Media", industry: "Media", region: "West", stage: "contract" }]);
    const expired = await crm.root((c) =>
      c.query(
        "select customer_id::int, expires_at < now() as expired from crm.partner_shares where partner_org = 'Partner Co' order by customer_id",
      ),
    );
    expect(expired.rows).toEqual([
      { customer_id: 7, expired: true },
      { customer_id: 12, expired: false },
    ]);
  });
});

describe("ana (analyst, East)", () => {
  readsExactlyTheirCustomers("ana");

  test("ana through her role-bound login sees exactly her customers, and setting jwt.claims.user_id changes nothing", async () => {
    const login = await crm.login({ username: "ana", userId: 14, role: "analyst" });
    const read = async () => (await login.query("select id::int from crm.customers order by id")).rows.map((r) => r.id);
    const before = await read();
    await login.query("select set_config('jwt.claims.user_id', '1', false), set_config('jwt.claims.channel', 'web', false)");
    const after = await read();
    expect({ before, after }).toEqual({ before: customerExpectation("ana").ids, after: customerExpectation("ana").ids });
    await expect(login.query("select name from crm.customers")).rejects.toMatchObject(PERMISSION_DENIED);
  });
});

describe("adam (admin, Acme)", () => {
  readsExactlyTheirCustomers("adam");

  test("adam's delete of customer 14 only marks it (soft delete): he still sees it, deleted", async () => {
    const { deleted, left } = await crm.as(web("adam"), async (c) => {
      const deleted = (await c.query("delete from crm.customers where id = 14 returning id::int")).rows;
      return {
        deleted,
        left: (await c.query("select id::int, deleted_at is not null as deleted from crm.customers where id = 14")).rows,
      };
    });
    expect({ deleted, left }).toEqual({ deleted: [], left: [{ id: 14, deleted: true }] });
  });
});

describe("aude (auditor, Acme)", () => {
  readsExactlyTheirCustomers("aude");
});

describe("olga (sales_rep, East-1, frozen)", () => {
  readsExactlyTheirCustomers("olga");

  test("olga, frozen, sees and changes nothing although she still owns 19 and 20", async () => {
    const { ids, updated, inserted } = await crm.as(web("olga"), async (c) => ({
      ids: await column(c, "select id from crm.customers"),
      updated: (await c.query("update crm.customers set stage = 'won' where id = 19")).rowCount,
      inserted: await refusal(c, "insert into crm.customers (name, owner_id, unit_id) values ('Acorn Analytics', 17, 4)"),
    }));
    expect({ ids, updated, inserted }).toEqual({ ids: [], updated: 0, inserted: ROW_SECURITY });
    expect(await crm.root((c) => column<number>(c, "select id::int from crm.customers where owner_id = 17 order by id"))).toEqual(
      [19, 20],
    );
    expect(await crm.root((c) => column(c, "select status from crm.users where id = 17"))).toEqual(["frozen"]);
  });
});

describe("anonymous (no identity)", () => {
  test("the anonymous role cannot select customers, nor the export, whatever user id it claims", async () => {
    const anonymous = { role: crm.app.anonymous, userId: 4 };
    const refused = await crm.as(anonymous, async (c) => [
      await refusal(c, "select id from crm.customers"),
      await refusal(c, "select id from crm.marketing_export"),
    ]);
    expect(refused).toEqual([PERMISSION_DENIED, { code: "42501", message: "permission denied for view marketing_export" }]);
  });
});

describe("restrictions, across every persona", () => {
  test("only adam and aude see the soft-deleted customer 21", async () => {
    expect(await whoSees(21)).toEqual(["adam", "aude"]);
    expect(await rootCustomer(21)).toEqual([expect.objectContaining({ id: 21, deleted: true })]);
  });

  test("only sam, erin, dana, adam and aude see the archived customer 22, not rita who owns it", async () => {
    expect(await whoSees(22)).toEqual(["dana", "erin", "sam", "adam", "aude"]);
    expect(await rootCustomer(22)).toEqual([expect.objectContaining({ id: 22, owner_id: 4, archived: true })]);
  });

  test("only rita (owner), erin, dana, adam and aude see the VIP customer 1", async () => {
    expect(await whoSees(1)).toEqual(["dana", "erin", "rita", "adam", "aude"]);
    expect(await rootCustomer(1)).toEqual([expect.objectContaining({ id: 1, owner_id: 4, tier: "vip" })]);
  });
});
