import { readFileSync } from "node:fs";
import path from "node:path";
import { DEMO_ROWS, PERSONAS, isSeeded, seedDemo } from "../../db/crm/seed";
import { createTestDatabase, type TestDatabase } from "../../db/testing";

const SCHEMA_MIGRATION = path.join(__dirname, "../../migrations/committed/000001-crm-schema.sql");

/** A fresh database with the committed CRM schema migration applied (its header lines are comments). */
async function migratedDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.pool.query(readFileSync(SCHEMA_MIGRATION, "utf8"));
  return db;
}

let db: TestDatabase;
let seededBefore: boolean;

beforeAll(async () => {
  db = await migratedDatabase();
  const client = await db.pool.connect();
  try {
    seededBefore = await isSeeded(client);
    await seedDemo(client);
  } finally {
    client.release();
  }
});
afterAll(() => db?.drop());

async function rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await db.pool.query(text, values)).rows as T[];
}

async function one<T>(text: string, values: unknown[] = []): Promise<T> {
  const result = await rows<T>(text, values);
  expect(result).toHaveLength(1);
  return result[0];
}

const id = (username: string) => {
  const persona = PERSONAS.find((p) => p.username === username);
  if (!persona) throw new Error(`no persona ${username}`);
  return persona.id;
};

describe("personas", () => {
  test("are the 17 of CRM.md, with their roles and units", async () => {
    const expected = [
      ["dana", ["director"], "Acme"],
      ["erin", ["regional_manager"], "East"],
      ["sam", ["supervisor"], "East-1"],
      ["rita", ["sales_rep"], "East-1"],
      ["rick", ["sales_rep"], "East-1"],
      ["roy", ["sales_rep"], "East-2"],
      ["wendy", ["sales_rep"], "West-1"],
      ["ian", ["intern"], "East-1"],
      ["fiona", ["finance"], "Acme"],
      ["lena", ["legal"], "Acme"],
      ["suki", ["support"], "Acme"],
      ["mark", ["marketing"], "Acme"],
      ["paul", ["partner"], null],
      ["ana", ["analyst"], "East"],
      ["adam", ["admin"], "Acme"],
      ["aude", ["auditor"], "Acme"],
      ["olga", ["sales_rep"], "East-1"],
    ];
    expect(PERSONAS.map((p) => [p.username, p.roles, p.unit])).toEqual(expected);

    const stored = await rows<{ id: string; username: string; roles: string[]; unit: string | null }>(
      `select u.id, u.username, array_agg(r.role order by r.role) as roles, o.name as unit
       from crm.users u
       join crm.user_roles r on r.user_id = u.id
       left join crm.org_units o on o.id = u.unit_id
       group by u.id, o.name
       order by u.id`,
    );
    expect(stored).toEqual(PERSONAS.map((p) => ({ id: String(p.id), username: p.username, roles: p.roles, unit: p.unit })));
  });

  test("olga alone is frozen; paul is Partner Co without a unit", async () => {
    expect(await rows(`select username from crm.users where status = 'frozen'`)).toEqual([{ username: "olga" }]);
    expect(await rows(`select username, unit_id, partner_org from crm.users where partner_org is not null`)).toEqual([
      { username: "paul", unit_id: null, partner_org: "Partner Co" },
    ]);
  });
});

test("the org tree is Acme → East, West → East-1, East-2, West-1", async () => {
  const tree = await rows(
    `select u.name, p.name as parent from crm.org_units u left join crm.org_units p on p.id = u.parent_id order by u.id`,
  );
  expect(tree).toEqual([
    { name: "Acme", parent: null },
    { name: "East", parent: "Acme" },
    { name: "West", parent: "Acme" },
    { name: "East-1", parent: "East" },
    { name: "East-2", parent: "East" },
    { name: "West-1", parent: "West" },
  ]);
});

describe("customers", () => {
  test("exactly one VIP, owned by rita in East-1", async () => {
    expect(
      await rows(
        `select c.id, c.owner_id, o.name as unit from crm.customers c join crm.org_units o on o.id = c.unit_id
         where c.tier = 'vip'`,
      ),
    ).toEqual([{ id: String(DEMO_ROWS.vipCustomer), owner_id: String(id("rita")), unit: "East-1" }]);
  });

  test("every rep owns 3–4 customers, ian one, olga her two former ones", async () => {
    const owned = await rows<{ username: string; ids: string[] }>(
      `select u.username, array_agg(c.id order by c.id)::text[] as ids
       from crm.customers c join crm.users u on u.id = c.owner_id group by u.username`,
    );
    const count = Object.fromEntries(owned.map((o) => [o.username, o.ids.length]));
    for (const rep of ["rita", "rick", "roy", "wendy"]) {
      expect(count[rep]).toBeGreaterThanOrEqual(3);
      expect(count[rep]).toBeLessThanOrEqual(4);
    }
    expect(count.ian).toBe(1);
    expect(owned.find((o) => o.username === "olga")?.ids).toEqual(DEMO_ROWS.olgaCustomers.map(String));
  });

  test("the public pool spans units, and its customers have contacts", async () => {
    const pool = await rows<{ id: string; unit: string; contacts: number }>(
      `select c.id, o.name as unit, (select count(*)::int from crm.contacts k where k.customer_id = c.id) as contacts
       from crm.customers c join crm.org_units o on o.id = c.unit_id where c.owner_id is null order by c.id`,
    );
    expect(pool.map((c) => c.id)).toEqual(DEMO_ROWS.poolCustomers.map(String));
    expect(pool.map((c) => c.unit)).toEqual(["East-1", "East-2", "West-1"]);
    expect(pool.every((c) => c.contacts > 0)).toBe(true);
  });

  test("every stage occurs; some customers consent to marketing", async () => {
    const stages = await rows<{ stage: string }>(`select distinct stage from crm.customers order by stage`);
    expect(stages.map((s) => s.stage)).toEqual(["contract", "lead", "lost", "negotiation", "qualified", "won"]);
    const { consenting } = await one<{ consenting: number }>(
      `select count(*)::int as consenting from crm.customers where consent_marketing`,
    );
    expect(consenting).toBeGreaterThan(0);
  });

  test("one soft-deleted and one archived customer, both in East-1", async () => {
    expect(
      await rows(
        `select c.id, c.deleted_at is not null as deleted, c.archived_at is not null as archived, o.name as unit
         from crm.customers c join crm.org_units o on o.id = c.unit_id
         where c.deleted_at is not null or c.archived_at is not null order by c.id`,
      ),
    ).toEqual([
      { id: String(DEMO_ROWS.deletedCustomer), deleted: true, archived: false, unit: "East-1" },
      { id: String(DEMO_ROWS.archivedCustomer), deleted: false, archived: true, unit: "East-1" },
    ]);
  });
});

test("contracts exist in each stage, with amounts", async () => {
  const stages = await rows<{ stage: string; amount: string }>(
    `select stage, min(amount)::text as amount from crm.contracts group by stage order by stage`,
  );
  expect(stages.map((s) => s.stage)).toEqual(["active", "closed", "draft", "review", "signed"]);
  expect(stages.every((s) => Number(s.amount) > 0)).toBe(true);
});

test("rick holds one live grant and one expired grant, both on roy’s customers", async () => {
  const grants = await rows(
    `select g.row_id, g."table", g.privilege, c.owner_id,
            g.expires_at > now() + interval '29 days' and g.expires_at < now() + interval '31 days' as live_30_days,
            g.expires_at < now() as expired
     from crm.access_grants g join crm.customers c on c.id = g.row_id
     where g.grantee_id = $1 order by g.id`,
    [id("rick")],
  );
  const roy = String(id("roy"));
  expect(grants).toEqual([
    {
      row_id: String(DEMO_ROWS.grantedCustomer),
      table: "customers",
      privilege: "select",
      owner_id: roy,
      live_30_days: true,
      expired: false,
    },
    {
      row_id: String(DEMO_ROWS.expiredGrantCustomer),
      table: "customers",
      privilege: "select",
      owner_id: roy,
      live_30_days: false,
      expired: true,
    },
  ]);
  const { total } = await one<{ total: number }>(`select count(*)::int as total from crm.access_grants`);
  expect(total).toBe(2);
});

test("an open project (rita, a customer of wendy) and a closed one (rick, a customer of roy)", async () => {
  const projects = await rows(
    `select p.id, p.status, array_agg(distinct m.user_id)::text[] as members,
            array_agg(distinct pc.customer_id)::text[] as customers, array_agg(distinct c.owner_id)::text[] as owners
     from crm.projects p
     join crm.project_members m on m.project_id = p.id
     join crm.project_customers pc on pc.project_id = p.id
     join crm.customers c on c.id = pc.customer_id
     group by p.id order by p.id`,
  );
  expect(projects).toEqual([
    {
      id: String(DEMO_ROWS.openProject),
      status: "open",
      members: [String(id("rita"))],
      customers: [String(DEMO_ROWS.openProjectCustomer)],
      owners: [String(id("wendy"))],
    },
    {
      id: String(DEMO_ROWS.closedProject),
      status: "closed",
      members: [String(id("rick"))],
      customers: [String(DEMO_ROWS.closedProjectCustomer)],
      owners: [String(id("roy"))],
    },
  ]);
});

test("Partner Co has one live and one expired share", async () => {
  expect(
    await rows(
      `select customer_id, expires_at > now() as live from crm.partner_shares where partner_org = 'Partner Co'
       order by expires_at desc`,
    ),
  ).toEqual([
    { customer_id: String(DEMO_ROWS.partnerSharedCustomer), live: true },
    { customer_id: String(DEMO_ROWS.expiredPartnerShareCustomer), live: false },
  ]);
});

test("identity sequences continue after the explicit ids", async () => {
  const client = await db.pool.connect();
  try {
    await client.query("begin");
    const inserted = await client.query<{ customer: string; user: string }>(
      `with c as (insert into crm.customers (name, unit_id) values ('New', 1) returning id),
            u as (insert into crm.users (username, full_name) values ('newbie', 'New Bie') returning id)
       select (select id from c) as customer, (select id from u) as user`,
    );
    expect(inserted.rows[0]).toEqual({ customer: "23", user: "18" });
  } finally {
    await client.query("rollback");
    client.release();
  }
});

test("isSeeded tells an empty database from a seeded one", async () => {
  expect(seededBefore).toBe(false);
  const client = await db.pool.connect();
  try {
    expect(await isSeeded(client)).toBe(true);
  } finally {
    client.release();
  }
});

test("seeding twice is refused and changes nothing", async () => {
  const count = () => one<{ n: number }>(`select (select count(*) from crm.customers) + (select count(*) from crm.users) as n`);
  const before = await count();
  const client = await db.pool.connect();
  try {
    await expect(seedDemo(client)).rejects.toThrow(/already has rows/);
  } finally {
    client.release();
  }
  expect(await count()).toEqual(before);
});
