/**
 * The CRM demo seed: the personas of CRM.md and a small, fixed data set that exercises every rule
 * (pool, VIP, grants, projects, partner shares, soft delete, archive, an offboarded rep).
 *
 * Rows carry explicit ids so the README, the demo and the tests can name them; timestamps are fixed,
 * except expiry times, which are relative to `now()` so that "live" stays live.
 */
import type { ClientBase } from "pg";

/** A demo user: who they are, what roles they hold, where they sit in the org tree. */
export interface DemoUser {
  username: string;
  id: number;
  fullName: string;
  /** Unprefixed role names, as stored in `crm.user_roles`. */
  roles: string[];
  /** Name of the home org unit; `null` for the external partner. */
  unit: string | null;
  /** Company of a partner user (`crm.users.partner_org`). */
  partnerOrg?: string;
  /** Offboarded: `crm.users.status = 'frozen'`. */
  frozen?: boolean;
  note?: string;
}

/** The org tree, parents first: Acme → East, West → East-1, East-2 (East), West-1 (West). */
export const ORG_UNITS: readonly { id: number; name: string; parent: string | null }[] = [
  { id: 1, name: "Acme", parent: null },
  { id: 2, name: "East", parent: "Acme" },
  { id: 3, name: "West", parent: "Acme" },
  { id: 4, name: "East-1", parent: "East" },
  { id: 5, name: "East-2", parent: "East" },
  { id: 6, name: "West-1", parent: "West" },
];

/** The 17 personas of CRM.md, with the ids the seed gives them. */
export const PERSONAS: readonly DemoUser[] = [
  { username: "dana", id: 1, fullName: "Dana Whitaker", roles: ["director"], unit: "Acme", note: "sees the whole company" },
  { username: "erin", id: 2, fullName: "Erin Castillo", roles: ["regional_manager"], unit: "East" },
  { username: "sam", id: 3, fullName: "Sam Okafor", roles: ["supervisor"], unit: "East-1" },
  { username: "rita", id: 4, fullName: "Rita Moreno", roles: ["sales_rep"], unit: "East-1", note: "owns the VIP customer" },
  {
    username: "rick",
    id: 5,
    fullName: "Rick Alvarez",
    roles: ["sales_rep"],
    unit: "East-1",
    note: "holds a live and an expired grant",
  },
  { username: "roy", id: 6, fullName: "Roy Chen", roles: ["sales_rep"], unit: "East-2" },
  { username: "wendy", id: 7, fullName: "Wendy Larsen", roles: ["sales_rep"], unit: "West-1" },
  { username: "ian", id: 8, fullName: "Ian Fletcher", roles: ["intern"], unit: "East-1" },
  { username: "fiona", id: 9, fullName: "Fiona Grant", roles: ["finance"], unit: "Acme" },
  { username: "lena", id: 10, fullName: "Lena Hoffmann", roles: ["legal"], unit: "Acme" },
  { username: "suki", id: 11, fullName: "Suki Tanaka", roles: ["support"], unit: "Acme" },
  { username: "mark", id: 12, fullName: "Mark Dubois", roles: ["marketing"], unit: "Acme" },
  {
    username: "paul",
    id: 13,
    fullName: "Paul Mercer",
    roles: ["partner"],
    unit: null,
    partnerOrg: "Partner Co",
    note: 'external, company "Partner Co"',
  },
  {
    username: "ana",
    id: 14,
    fullName: "Ana Silva",
    roles: ["analyst"],
    unit: "East",
    note: "connects with a role-bound database login",
  },
  { username: "adam", id: 15, fullName: "Adam Novak", roles: ["admin"], unit: "Acme" },
  { username: "aude", id: 16, fullName: "Aude Lefevre", roles: ["auditor"], unit: "Acme" },
  {
    username: "olga",
    id: 17,
    fullName: "Olga Petrova",
    roles: ["sales_rep"],
    unit: "East-1",
    frozen: true,
    note: "offboarded: status frozen",
  },
];

/** Ids of the rows the demo and the tests talk about. */
export const DEMO_ROWS = {
  /** The only VIP customer: East-1, owned by rita. */
  vipCustomer: 1,
  /** Public pool (owner NULL): East-1, East-2, West-1. */
  poolCustomers: [16, 17, 18],
  /** roy's customer granted to rick (select) for 30 more days. */
  grantedCustomer: 8,
  /** roy's customer whose grant to rick has expired. */
  expiredGrantCustomer: 10,
  openProject: 1,
  /** wendy's customer in the open project rita belongs to. */
  openProjectCustomer: 11,
  closedProject: 2,
  /** roy's customer in the closed project rick belonged to. */
  closedProjectCustomer: 9,
  /** Shared with Partner Co, live. */
  partnerSharedCustomer: 12,
  /** Shared with Partner Co, expired. */
  expiredPartnerShareCustomer: 7,
  /** Soft-deleted (deleted_at set), East-1, owned by rick. */
  deletedCustomer: 21,
  /** Archived (archived_at set), East-1, owned by rita. */
  archivedCustomer: 22,
  /** Still owned by the frozen olga. */
  olgaCustomers: [19, 20],
} as const;

type Stage = "lead" | "qualified" | "negotiation" | "contract" | "won" | "lost";

interface DemoCustomer {
  id: number;
  name: string;
  industry: string;
  stage: Stage;
  owner: string | null;
  unit: string;
  vip?: boolean;
  consent?: boolean;
  archivedAt?: string;
  deletedAt?: string;
}

const CUSTOMERS: readonly DemoCustomer[] = [
  { id: 1, name: "Northwind Traders", industry: "Wholesale", stage: "negotiation", owner: "rita", unit: "East-1", vip: true },
  { id: 2, name: "Bluebird Bakery", industry: "Food", stage: "lead", owner: "rita", unit: "East-1", consent: true },
  { id: 3, name: "Cobalt Mining", industry: "Mining", stage: "contract", owner: "rita", unit: "East-1" },
  { id: 4, name: "Evergreen Logistics", industry: "Logistics", stage: "qualified", owner: "rick", unit: "East-1", consent: true },
  { id: 5, name: "Fjord Fisheries", industry: "Food", stage: "lead", owner: "rick", unit: "East-1" },
  { id: 6, name: "Granite Builders", industry: "Construction", stage: "won", owner: "rick", unit: "East-1" },
  { id: 7, name: "Harbor Hotels", industry: "Hospitality", stage: "won", owner: "roy", unit: "East-2", consent: true },
  { id: 8, name: "Iris Optics", industry: "Healthcare", stage: "negotiation", owner: "roy", unit: "East-2" },
  { id: 9, name: "Juniper Foods", industry: "Food", stage: "qualified", owner: "roy", unit: "East-2" },
  { id: 10, name: "Kestrel Aviation", industry: "Aviation", stage: "contract", owner: "roy", unit: "East-2" },
  { id: 11, name: "Lumen Labs", industry: "Software", stage: "lead", owner: "wendy", unit: "West-1", consent: true },
  { id: 12, name: "Maple Media", industry: "Media", stage: "contract", owner: "wendy", unit: "West-1", consent: true },
  { id: 13, name: "Nimbus Cloud", industry: "Software", stage: "won", owner: "wendy", unit: "West-1" },
  { id: 14, name: "Oak & Ash Furniture", industry: "Retail", stage: "lost", owner: "wendy", unit: "West-1" },
  { id: 15, name: "Pebble Toys", industry: "Retail", stage: "lead", owner: "ian", unit: "East-1" },
  { id: 16, name: "Quartz Analytics", industry: "Software", stage: "lead", owner: null, unit: "East-1", consent: true },
  { id: 17, name: "Riverstone Realty", industry: "Real estate", stage: "qualified", owner: null, unit: "East-2" },
  { id: 18, name: "Summit Sports", industry: "Retail", stage: "lead", owner: null, unit: "West-1", consent: true },
  { id: 19, name: "Tidewater Shipping", industry: "Logistics", stage: "negotiation", owner: "olga", unit: "East-1" },
  { id: 20, name: "Umbra Security", industry: "Security", stage: "qualified", owner: "olga", unit: "East-1" },
  {
    id: 21,
    name: "Vertex Vending",
    industry: "Retail",
    stage: "lead",
    owner: "rick",
    unit: "East-1",
    consent: true,
    deletedAt: "2026-10-05T08:30:00Z",
  },
  {
    id: 22,
    name: "Willow Wellness",
    industry: "Healthcare",
    stage: "won",
    owner: "rita",
    unit: "East-1",
    consent: true,
    archivedAt: "2026-09-01T12:00:00Z",
  },
];

// [id, customer, full_name, phone, email, id_number]
const CONTACTS: readonly [number, number, string, string | null, string | null, string | null][] = [
  [1, 1, "Nora Quinn", "+1-555-0101", "nora.quinn@northwind.example", "ID-441022"],
  [2, 1, "Omar Haddad", "+1-555-0102", "omar.haddad@northwind.example", "ID-772011"],
  [3, 2, "Bea Lindqvist", "+1-555-0103", "bea@bluebird.example", "ID-310945"],
  [4, 3, "Carl Mensah", "+1-555-0104", "carl.mensah@cobalt.example", "ID-508812"],
  [5, 4, "Dora Kowalski", "+1-555-0105", "dora.k@evergreen.example", "ID-660137"],
  [6, 5, "Eli Novak", "+1-555-0106", "eli@fjord.example", null],
  [7, 6, "Gina Rossi", "+1-555-0107", "gina.rossi@granite.example", "ID-129904"],
  [8, 7, "Hugo Blanc", "+1-555-0108", "hugo.blanc@harbor.example", "ID-845560"],
  [9, 8, "Ines Duarte", "+1-555-0109", "ines.duarte@iris.example", "ID-237781"],
  [10, 9, "Jon Berg", "+1-555-0110", "jon.berg@juniper.example", "ID-993410"],
  [11, 10, "Kim Tran", "+1-555-0111", "kim.tran@kestrel.example", "ID-402256"],
  [12, 11, "Liam Ortiz", "+1-555-0112", "liam@lumen.example", "ID-118873"],
  [13, 12, "Mia Conti", "+1-555-0113", "mia.conti@maple.example", "ID-576690"],
  [14, 13, "Nils Falk", null, "nils.falk@nimbus.example", "ID-884021"],
  [15, 15, "Pia Sato", "+1-555-0115", "pia.sato@pebble.example", "ID-650318"],
  [16, 16, "Quinn Avery", "+1-555-0116", "quinn@quartz.example", "ID-204417"],
  [17, 17, "Rosa Vidal", "+1-555-0117", "rosa.vidal@riverstone.example", "ID-731152"],
  [18, 18, "Sven Holm", "+1-555-0118", "sven.holm@summit.example", "ID-319964"],
  [19, 19, "Tara Walsh", "+1-555-0119", "tara.walsh@tidewater.example", "ID-158827"],
  [20, 21, "Vic Moreau", "+1-555-0121", "vic@vertex.example", "ID-467703"],
  [21, 22, "Wes Adler", "+1-555-0122", "wes.adler@willow.example", "ID-892245"],
];

// [id, customer, author, body, created_at]
const FOLLOW_UPS: readonly [number, number, string, string, string][] = [
  [1, 1, "rita", "Kick-off call with procurement; they want a volume discount.", "2026-02-03T09:30:00Z"],
  [2, 1, "rita", "Sent revised pricing for 500 seats.", "2026-03-10T14:00:00Z"],
  [3, 2, "rita", "Met the owner at the regional trade fair.", "2026-02-12T11:00:00Z"],
  [4, 3, "rita", "Contract draft sent to their counsel.", "2026-04-02T16:15:00Z"],
  [5, 4, "rick", "Demo scheduled with the operations team.", "2026-03-05T10:00:00Z"],
  [6, 6, "rick", "Go-live checklist agreed.", "2026-05-20T13:45:00Z"],
  [7, 8, "roy", "Asked for two references in healthcare.", "2026-04-18T09:00:00Z"],
  [8, 10, "roy", "Renewal terms are with their legal team.", "2026-06-11T15:30:00Z"],
  [9, 11, "wendy", "Introduced through the West expansion project.", "2026-05-07T10:20:00Z"],
  [10, 13, "wendy", "Invoice query forwarded to finance.", "2026-07-01T08:50:00Z"],
  [11, 15, "ian", "First call; interested in the starter plan.", "2026-06-22T14:10:00Z"],
  [12, 19, "olga", "Waiting for their board decision.", "2026-05-28T12:00:00Z"],
  [13, 20, "olga", "Sent case studies from the security sector.", "2026-06-02T09:40:00Z"],
];

// [id, customer, amount, status, approved_by]
const QUOTES: readonly [number, number, string, string, string | null][] = [
  [1, 1, "500000.00", "submitted", null],
  [2, 2, "4800.00", "draft", null],
  [3, 3, "48000.00", "approved", "sam"],
  [4, 5, "12000.00", "submitted", null],
  [5, 8, "67000.00", "submitted", null],
  [6, 10, "125000.00", "approved", "erin"],
  [7, 11, "9000.00", "draft", null],
  [8, 12, "36500.00", "approved", "dana"],
  [9, 14, "15000.00", "rejected", null],
  [10, 16, "2500.00", "draft", null],
];

// [id, customer, amount, stage, payment_status, legal_status]
const CONTRACTS: readonly [number, number, string, string, string, string][] = [
  [1, 3, "48000.00", "draft", "pending", "pending"],
  [2, 10, "125000.00", "review", "pending", "pending"],
  [3, 12, "36500.00", "signed", "invoiced", "approved"],
  [4, 6, "89900.00", "active", "invoiced", "approved"],
  [5, 13, "54000.00", "active", "overdue", "approved"],
  [6, 7, "210000.00", "closed", "paid", "approved"],
  [7, 1, "500000.00", "draft", "pending", "pending"],
  [8, 22, "18000.00", "closed", "paid", "approved"],
];

// [id, customer, status, subject, body, created_at]
const SERVICE_TICKETS: readonly [number, number, string, string, string, string][] = [
  [
    1,
    1,
    "open",
    "SSO login fails for new staff",
    "New hires get an error after the identity provider redirect.",
    "2026-08-04T07:45:00Z",
  ],
  [2, 6, "open", "Import of legacy orders stuck", "The nightly import has stopped at 60%.", "2026-08-19T10:05:00Z"],
  [3, 7, "closed", "Invoice address change", "Please use the new head office address.", "2026-07-14T13:30:00Z"],
  [4, 13, "pending", "API rate limit questions", "Which limits apply to the reporting API?", "2026-09-09T16:20:00Z"],
  [5, 22, "closed", "Data export before archiving", "Full export delivered as CSV.", "2026-08-28T11:00:00Z"],
];

const PROJECTS = [
  {
    id: DEMO_ROWS.openProject,
    name: "West expansion",
    status: "open",
    members: ["rita"],
    customers: [DEMO_ROWS.openProjectCustomer],
  },
  {
    id: DEMO_ROWS.closedProject,
    name: "Food sector push",
    status: "closed",
    members: ["rick"],
    customers: [DEMO_ROWS.closedProjectCustomer],
  },
] as const;

const PARTNER_SHARES = [
  { customer: DEMO_ROWS.partnerSharedCustomer, partnerOrg: "Partner Co", expiresIn: "60 days" },
  { customer: DEMO_ROWS.expiredPartnerShareCustomer, partnerOrg: "Partner Co", expiresIn: "-10 days" },
] as const;

const ACCESS_GRANTS = [
  {
    id: 1,
    grantee: "rick",
    table: "customers",
    rowId: DEMO_ROWS.grantedCustomer,
    privilege: "select",
    expiresIn: "30 days",
    grantedBy: "erin",
    reason: "Covering Iris Optics while roy is on leave",
    createdAt: "2026-11-01T09:00:00Z",
  },
  {
    id: 2,
    grantee: "rick",
    table: "customers",
    rowId: DEMO_ROWS.expiredGrantCustomer,
    privilege: "select",
    expiresIn: "-1 day",
    grantedBy: "erin",
    reason: "Helped with the Kestrel renewal",
    createdAt: "2026-06-01T09:00:00Z",
  },
] as const;

const USERS_CREATED_AT = "2025-06-01T09:00:00Z";
const DAY_MS = 86_400_000;

/**
 * True when `crm.users` has rows, i.e. the database has been seeded (demo or generated).
 *
 * @example
 * if (!(await isSeeded(client))) await seedDemo(client);
 */
export async function isSeeded(client: ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ seeded: boolean }>("select exists (select from crm.users) as seeded");
  return rows[0].seeded;
}

/**
 * Loads the demo data set into a migrated, empty CRM database, in one transaction. Run it as a superuser
 * (or the owner of the `crm` tables): it writes every table directly, below any row-level security.
 *
 * Seeding twice is refused: when `crm.users` already has rows it throws and changes nothing.
 *
 * @example
 * const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
 * await client.connect();
 * await seedDemo(client);
 * const rita = PERSONAS.find((p) => p.username === 'rita'); // { id: 4, roles: ['sales_rep'], unit: 'East-1', ... }
 */
export async function seedDemo(client: ClientBase): Promise<void> {
  if (await isSeeded(client)) {
    throw new Error("seedDemo: crm.users already has rows; the demo seed only runs into an empty database");
  }
  await client.query("begin");
  try {
    await insertAll(client);
    await resetIdentities(client);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

/** Every seed row, in foreign-key order. */
async function insertAll(client: ClientBase): Promise<void> {
  await insertIdentity(client);
  await insertCustomers(client);
  await insertDeals(client);
  await insertProjects(client);
  await insertSharesAndGrants(client);
}

/** The org tree, the users (personas) and their roles. */
async function insertIdentity(client: ClientBase): Promise<void> {
  await insert(
    client,
    `insert into crm.org_units (id, parent_id, name) overriding system value
     select id, parent_id, name from jsonb_to_recordset($1) as r(id bigint, parent_id bigint, name text)
     order by id`,
    ORG_UNITS.map((u) => ({ id: u.id, parent_id: u.parent === null ? null : unitId(u.parent), name: u.name })),
  );
  await insert(
    client,
    `insert into crm.users (id, username, full_name, unit_id, status, partner_org, created_at) overriding system value
     select id, username, full_name, unit_id, status, partner_org, created_at
     from jsonb_to_recordset($1) as r(id bigint, username text, full_name text, unit_id bigint, status text,
                                      partner_org text, created_at timestamptz)`,
    PERSONAS.map((p) => ({
      id: p.id,
      username: p.username,
      full_name: p.fullName,
      unit_id: p.unit === null ? null : unitId(p.unit),
      status: p.frozen ? "frozen" : "active",
      partner_org: p.partnerOrg ?? null,
      created_at: USERS_CREATED_AT,
    })),
  );
  await insert(
    client,
    `insert into crm.user_roles (user_id, role)
     select user_id, role from jsonb_to_recordset($1) as r(user_id bigint, role text)`,
    PERSONAS.flatMap((p) => p.roles.map((role) => ({ user_id: p.id, role }))),
  );
}

/** Customers, their contacts and follow-ups. */
async function insertCustomers(client: ClientBase): Promise<void> {
  await insert(
    client,
    `insert into crm.customers (id, name, industry, region, tier, stage, owner_id, unit_id, consent_marketing,
                                last_contacted_at, archived_at, deleted_at, created_at) overriding system value
     select id, name, industry, region, tier, stage, owner_id, unit_id, consent_marketing,
            last_contacted_at, archived_at, deleted_at, created_at
     from jsonb_to_recordset($1) as r(id bigint, name text, industry text, region text, tier text, stage text,
                                      owner_id bigint, unit_id bigint, consent_marketing boolean,
                                      last_contacted_at timestamptz, archived_at timestamptz,
                                      deleted_at timestamptz, created_at timestamptz)`,
    CUSTOMERS.map(customerRow),
  );
  await insert(
    client,
    `insert into crm.contacts (id, customer_id, full_name, phone, email, id_number) overriding system value
     select id, customer_id, full_name, phone, email, id_number
     from jsonb_to_recordset($1) as r(id bigint, customer_id bigint, full_name text, phone text, email text,
                                      id_number text)`,
    CONTACTS.map(([id, customer_id, full_name, phone, email, id_number]) => ({
      id,
      customer_id,
      full_name,
      phone,
      email,
      id_number,
    })),
  );
  await insert(
    client,
    `insert into crm.follow_ups (id, customer_id, author_id, body, created_at) overriding system value
     select id, customer_id, author_id, body, created_at
     from jsonb_to_recordset($1) as r(id bigint, customer_id bigint, author_id bigint, body text,
                                      created_at timestamptz)`,
    FOLLOW_UPS.map(([id, customer_id, author, body, created_at]) => ({
      id,
      customer_id,
      author_id: userId(author),
      body,
      created_at,
    })),
  );
}

/** Quotes, contracts and service tickets. */
async function insertDeals(client: ClientBase): Promise<void> {
  await insert(
    client,
    `insert into crm.quotes (id, customer_id, amount, status, approved_by) overriding system value
     select id, customer_id, amount, status, approved_by
     from jsonb_to_recordset($1) as r(id bigint, customer_id bigint, amount numeric, status text, approved_by bigint)`,
    QUOTES.map(([id, customer_id, amount, status, approver]) => ({
      id,
      customer_id,
      amount,
      status,
      approved_by: approver === null ? null : userId(approver),
    })),
  );
  await insert(
    client,
    `insert into crm.contracts (id, customer_id, amount, stage, payment_status, legal_status) overriding system value
     select id, customer_id, amount, stage, payment_status, legal_status
     from jsonb_to_recordset($1) as r(id bigint, customer_id bigint, amount numeric, stage text,
                                      payment_status text, legal_status text)`,
    CONTRACTS.map(([id, customer_id, amount, stage, payment_status, legal_status]) => ({
      id,
      customer_id,
      amount,
      stage,
      payment_status,
      legal_status,
    })),
  );
  await insert(
    client,
    `insert into crm.service_tickets (id, customer_id, status, subject, body, created_at) overriding system value
     select id, customer_id, status, subject, body, created_at
     from jsonb_to_recordset($1) as r(id bigint, customer_id bigint, status text, subject text, body text,
                                      created_at timestamptz)`,
    SERVICE_TICKETS.map(([id, customer_id, status, subject, body, created_at]) => ({
      id,
      customer_id,
      status,
      subject,
      body,
      created_at,
    })),
  );
}

/** Projects, their members and customers. */
async function insertProjects(client: ClientBase): Promise<void> {
  await insert(
    client,
    `insert into crm.projects (id, name, status) overriding system value
     select id, name, status from jsonb_to_recordset($1) as r(id bigint, name text, status text)`,
    PROJECTS.map(({ id, name, status }) => ({ id, name, status })),
  );
  await insert(
    client,
    `insert into crm.project_members (project_id, user_id)
     select project_id, user_id from jsonb_to_recordset($1) as r(project_id bigint, user_id bigint)`,
    PROJECTS.flatMap((p) => p.members.map((member) => ({ project_id: p.id, user_id: userId(member) }))),
  );
  await insert(
    client,
    `insert into crm.project_customers (project_id, customer_id)
     select project_id, customer_id from jsonb_to_recordset($1) as r(project_id bigint, customer_id bigint)`,
    PROJECTS.flatMap((p) => p.customers.map((customer_id) => ({ project_id: p.id, customer_id }))),
  );
}

/** Partner shares and temporary grants, expiring relative to now. */
async function insertSharesAndGrants(client: ClientBase): Promise<void> {
  await insert(
    client,
    `insert into crm.partner_shares (customer_id, partner_org, expires_at)
     select customer_id, partner_org, now() + expires_in
     from jsonb_to_recordset($1) as r(customer_id bigint, partner_org text, expires_in interval)`,
    PARTNER_SHARES.map((s) => ({ customer_id: s.customer, partner_org: s.partnerOrg, expires_in: s.expiresIn })),
  );
  await insert(
    client,
    `insert into crm.access_grants (id, grantee_id, "table", row_id, privilege, expires_at, granted_by, reason,
                                    created_at) overriding system value
     select id, grantee_id, "table", row_id, privilege, now() + expires_in, granted_by, reason, created_at
     from jsonb_to_recordset($1) as r(id bigint, grantee_id bigint, "table" text, row_id bigint, privilege text,
                                      expires_in interval, granted_by bigint, reason text, created_at timestamptz)`,
    ACCESS_GRANTS.map((g) => ({
      id: g.id,
      grantee_id: userId(g.grantee),
      table: g.table,
      row_id: g.rowId,
      privilege: g.privilege,
      expires_in: g.expiresIn,
      granted_by: userId(g.grantedBy),
      reason: g.reason,
      created_at: g.createdAt,
    })),
  );
}

/** Moves each identity sequence past the explicit ids, so the next default id does not collide. */
async function resetIdentities(client: ClientBase): Promise<void> {
  const maxIds: [string, number[]][] = [
    ["crm.org_units", ORG_UNITS.map((u) => u.id)],
    ["crm.users", PERSONAS.map((p) => p.id)],
    ["crm.customers", CUSTOMERS.map((c) => c.id)],
    ["crm.contacts", CONTACTS.map(([id]) => id)],
    ["crm.follow_ups", FOLLOW_UPS.map(([id]) => id)],
    ["crm.quotes", QUOTES.map(([id]) => id)],
    ["crm.contracts", CONTRACTS.map(([id]) => id)],
    ["crm.service_tickets", SERVICE_TICKETS.map(([id]) => id)],
    ["crm.projects", PROJECTS.map((p) => p.id)],
    ["crm.access_grants", ACCESS_GRANTS.map((g) => g.id)],
  ];
  for (const [table, ids] of maxIds) {
    await client.query(`select setval(pg_get_serial_sequence($1, 'id'), $2)`, [table, Math.max(...ids)]);
  }
}

/** Runs one `insert … select … from jsonb_to_recordset($1)` with the rows as its only parameter. */
async function insert(client: ClientBase, text: string, rows: object[]): Promise<void> {
  await client.query(text, [JSON.stringify(rows)]);
}

function customerRow(c: DemoCustomer): Record<string, unknown> {
  const created = Date.parse("2026-01-15T10:00:00Z") + (c.id - 1) * 7 * DAY_MS;
  return {
    id: c.id,
    name: c.name,
    industry: c.industry,
    region: regionOf(c.unit),
    tier: c.vip ? "vip" : "standard",
    stage: c.stage,
    owner_id: c.owner === null ? null : userId(c.owner),
    unit_id: unitId(c.unit),
    consent_marketing: c.consent ?? false,
    last_contacted_at: c.stage === "lead" ? null : new Date(created + 14 * DAY_MS).toISOString(),
    archived_at: c.archivedAt ?? null,
    deleted_at: c.deletedAt ?? null,
    created_at: new Date(created).toISOString(),
  };
}

function unitId(name: string): number {
  const unit = ORG_UNITS.find((u) => u.name === name);
  if (!unit) throw new Error(`seed: unknown org unit ${name}`);
  return unit.id;
}

function userId(username: string): number {
  const persona = PERSONAS.find((p) => p.username === username);
  if (!persona) throw new Error(`seed: unknown persona ${username}`);
  return persona.id;
}

/** The region of a unit: its ancestor directly under the root. */
function regionOf(unitName: string): string {
  let unit = ORG_UNITS.find((u) => u.name === unitName);
  while (unit?.parent) {
    const parent = ORG_UNITS.find((u) => u.name === unit?.parent);
    if (parent?.parent === null) return unit.name;
    unit = parent;
  }
  throw new Error(`seed: ${unitName} is not inside a region`);
}
