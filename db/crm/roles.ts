/**
 * The reference CRM's access rules (../shared/CRM.md), written once. `gatehouse compile` turns them
 * into migrations/fixtures/crm-security.sql and generated/access-matrix.md.
 */
import {
  all,
  and,
  approval,
  channelIsNot,
  CLOCK,
  dateToMonth,
  defineApp,
  emailDomain,
  endWhen,
  granted,
  is,
  isNot,
  isNotNull,
  isFuture,
  isNull,
  keepLast,
  mask,
  member,
  memberSet,
  or,
  operation,
  own,
  pool,
  publicPool,
  raw,
  redact,
  restrict,
  reveal,
  encrypt,
  role,
  softDelete,
  sql,
  unit,
  unitTree,
  userInTree,
  via,
  view,
  type TableRules,
} from "..";

/** Customers of open projects the user belongs to. */
const openProjectCustomers = memberSet({
  name: "open_project_customers",
  membership: { table: "project_members", user: "user_id", group: "project_id" },
  link: { table: "project_customers", group: "project_id", row: "customer_id" },
  live: { table: "projects", key: "id", where: is("status", "open") },
});

/** Customers shared with the user's partner organisation, while the share lasts. */
const partnerShares = memberSet({
  name: "partner_shared_customers",
  membership: { table: "users", user: "id", group: "partner_org" },
  link: { table: "partner_shares", group: "partner_org", row: "customer_id", where: isFuture("expires_at") },
});

const ownCustomer = via("customer_id", "customers", own("owner_id"));
/** Rows whose customer is granted to the user or in one of their open projects. */
const borrowedCustomer = via("customer_id", "customers", or(granted("id"), member("id", openProjectCustomers)));
const visibleCustomer = via("customer_id", "customers");
const PERSONAL = { phone: "masked", email: "masked", id_number: "masked" } as const;

export const salesRep = role("sales_rep", {
  description: "sells to their own customers; sees the pool, granted rows and open projects they belong to",
  tables: {
    customers: {
      select: or(own("owner_id"), pool("owner_id"), granted("id"), member("id", openProjectCustomers)),
      insert: { check: and(own("owner_id"), unit("unit_id")) },
      update: { using: or(own("owner_id"), granted("id")), check: or(own("owner_id"), granted("id")) },
      columns: {
        default: "write",
        id: "read",
        owner_id: "insert",
        unit_id: "insert",
        tier: "read",
        archived_at: "read",
        deleted_at: "read",
        created_at: "read",
      },
    },
    contacts: {
      // the contacts of borrowed customers too, their personal data masked (masks below)
      select: or(ownCustomer, borrowedCustomer),
      insert: { check: ownCustomer },
      update: { using: ownCustomer },
      columns: { default: "write", id: "read", customer_id: "insert" },
    },
    follow_ups: {
      select: visibleCustomer,
      insert: { check: and(own("author_id"), visibleCustomer) },
      columns: { default: "read", customer_id: "insert", body: "insert", author_id: "insert" },
    },
    quotes: {
      select: visibleCustomer,
      insert: { check: and(ownCustomer, is("status", "draft", "submitted")) },
      update: { using: and(ownCustomer, is("status", "draft")), check: and(ownCustomer, is("status", "draft", "submitted")) },
      columns: { default: "read", customer_id: "insert", amount: "write", status: "write", approved_by: "read" },
    },
    contracts: {
      select: ownCustomer,
      update: { using: and(ownCustomer, is("stage", "draft")) },
      columns: { default: "read", amount: "write" },
    },
    service_tickets: { select: visibleCustomer },
  },
});

export const intern = role("intern", {
  description: "only customers they own; may add follow-ups; contacts masked",
  tables: {
    customers: { select: own("owner_id"), columns: { default: "read" } },
    contacts: { select: ownCustomer, columns: { default: "read", ...PERSONAL } },
    follow_ups: {
      select: ownCustomer,
      insert: { check: and(own("author_id"), ownCustomer) },
      columns: { default: "read", customer_id: "insert", body: "insert", author_id: "insert" },
    },
  },
});

const managedCustomer = via("customer_id", "customers", or(own("owner_id"), unitTree("unit_id")));
/** Rows whose customer is in the user's unit or below: what supervisors and above approve. */
const customerInTree = via("customer_id", "customers", unitTree("unit_id"));

export const supervisor = role("supervisor", {
  extends: [salesRep],
  description: "a sales rep who also manages every customer of their unit and its sub-units",
  tables: {
    customers: {
      select: unitTree("unit_id"),
      update: { using: unitTree("unit_id"), check: and(unitTree("unit_id"), or(pool("owner_id"), userInTree("owner_id"))) },
      // only by approving a customer_delete request (approvals below)
      delete: unitTree("unit_id"),
      columns: { owner_id: "write" },
    },
    contacts: { select: managedCustomer },
    // amounts past draft: only by approving a contract_amount request (approvals below)
    contracts: { select: managedCustomer, update: { using: and(customerInTree, isNot("stage", "draft")) } },
    follow_ups: { update: { using: managedCustomer }, columns: { body: "write" } },
    // approving: only through a quote_approval request, which records the approver in approved_by
    quotes: { update: { using: managedCustomer }, columns: { status: "write", approved_by: "read" } },
  },
});

export const regionalManager = role("regional_manager", {
  extends: [supervisor],
  description: "a supervisor over their region's subtree who may also change a customer's tier",
  tables: { customers: { columns: { tier: "write" } } },
});

export const director = role("director", {
  extends: [regionalManager],
  description: "a regional manager over the whole company",
  // sees the CRM as one of the sales organisation does, read only and audited (README, View as)
  viewAs: ["sales_rep", "intern", "supervisor", "regional_manager"],
  tables: {
    customers: { select: all(), update: { using: all() } },
    contacts: { select: visibleCustomer },
    follow_ups: { update: { using: visibleCustomer } },
    quotes: { update: { using: visibleCustomer } },
    contracts: { select: visibleCustomer },
  },
});

export const finance = role("finance", {
  description: "customers at contract or won and every contract; sets payment_status only",
  tables: {
    customers: { select: is("stage", "contract", "won"), columns: { default: "read" } },
    contracts: { select: all(), update: { using: all() }, columns: { default: "read", payment_status: "write" } },
  },
});

export const legal = role("legal", {
  description: "contracts in review or signed; sets legal_status only",
  tables: {
    contracts: {
      select: is("stage", "review", "signed"),
      update: { using: is("stage", "review", "signed") },
      columns: { default: "read", legal_status: "write" },
    },
  },
});

export const support = role("support", {
  description: "customers not archived (limited columns), service tickets read and write, follow-ups read, contacts masked",
  tables: {
    customers: {
      select: all(),
      columns: { default: "hidden", id: "read", name: "read", industry: "read", region: "read", tier: "read", stage: "read" },
    },
    contacts: { select: visibleCustomer, columns: { default: "read", ...PERSONAL } },
    service_tickets: {
      select: visibleCustomer,
      insert: { check: visibleCustomer },
      update: { using: visibleCustomer },
      columns: { default: "write", id: "read", customer_id: "insert", created_at: "read" },
    },
    follow_ups: { select: visibleCustomer, columns: { default: "read" } },
  },
});

export const marketing = role("marketing", {
  description: "no table access; only the de-identified export view",
  // CRM.md: marketing at most 3 exports and 100,000 rows a day
  exportQuota: { files: 3, rows: 100_000 },
});

export const partner = role("partner", {
  description: "external: customers shared with their partner organisation and not expired; four columns",
  tables: {
    customers: {
      select: member("id", partnerShares),
      columns: { default: "hidden", name: "read", industry: "read", region: "read", stage: "read" },
    },
  },
});

export const analyst = role("analyst", {
  description: "read-only: customers of their unit subtree without personal data, contracts with amounts, contacts masked",
  tables: {
    customers: { select: unitTree("unit_id"), columns: { default: "read", name: "hidden", owner_id: "hidden" } },
    contracts: { select: visibleCustomer, columns: { default: "read" } },
    contacts: { select: visibleCustomer, columns: { default: "hidden", id: "read", customer_id: "read", ...PERSONAL } },
  },
});

const APP_TABLES = [
  "customers",
  "contacts",
  "follow_ups",
  "quotes",
  "contracts",
  "service_tickets",
  "projects",
  "project_members",
  "project_customers",
  "partner_shares",
  "access_grants",
  "org_units",
  "users",
  "user_roles",
] as const;

const everything = (rules: TableRules): Record<string, TableRules> => Object.fromEntries(APP_TABLES.map((t) => [t, rules]));

const adminRules: TableRules = {
  select: all(),
  insert: { check: all() },
  update: { using: all() },
  columns: { default: "write" },
};

export const admin = role("admin", {
  description: "everything, including deleted and archived rows; deletes only customers, which a delete marks (soft delete)",
  // nothing is lost (DESIGN.md invariant 7): no physical delete, admin included; a customer's delete only marks it
  tables: { ...everything(adminRules), customers: { ...adminRules, delete: all() } },
  // every persona's role but marketing's (its export view is not admin's) and admin's own; read only and audited
  viewAs: [
    "sales_rep",
    "intern",
    "supervisor",
    "regional_manager",
    "director",
    "finance",
    "legal",
    "support",
    "partner",
    "analyst",
    "auditor",
  ],
});

export const auditor = role("auditor", {
  description: "reads everything; writes nothing",
  tables: everything({ select: all(), columns: { default: "read" } }),
});

const allRoles = [
  salesRep,
  intern,
  supervisor,
  regionalManager,
  director,
  finance,
  legal,
  support,
  marketing,
  partner,
  analyst,
  admin,
  auditor,
];

/** Who reads a contact's personal data in full, and on which rows. */
const contactReaders = [
  [salesRep, ownCustomer],
  [supervisor, managedCustomer],
  [director, all()],
  [admin, all()],
  [auditor, all()],
] as const;

/** The CRM app: schema `crm`, roles `crm_<role>`, toolkit objects in `gatehouse`. */
/** Supervisors reveal a contact's phone or id number in their subtree, VIP excepted; regional managers and above VIP too. */
const revealers = [
  [supervisor, via("customer_id", "customers", and(unitTree("unit_id"), isNot("tier", "vip")))],
  [regionalManager, via("customer_id", "customers", unitTree("unit_id"))],
] as const;

export const crm = defineApp({
  schema: "crm",
  rolePrefix: "crm_",
  identity: {
    users: { table: "users", id: "id", unit: "unit_id", status: "status", activeStatus: "active", username: "username" },
    userRoles: { table: "user_roles", user: "user_id", role: "role" },
    units: { table: "org_units", id: "id", parent: "parent_id" },
    grants: {
      table: "access_grants",
      grantee: "grantee_id",
      tableName: "table",
      row: "row_id",
      privilege: "privilege",
      expires: "expires_at",
      grantedBy: "granted_by",
      reason: "reason",
    },
  },
  roles: allRoles,
  reveals: [reveal("contacts", "phone", { by: revealers })],
  // id numbers are stored encrypted: nobody selects them; the revealers read one through the audited reveal
  encrypted: [encrypt("contacts", "id_number", { reveal: revealers })],
  pools: [
    publicPool("customers", {
      name: "customer",
      owner: "owner_id",
      dailyLimit: 5,
      claim: [[salesRep, and(unitTree("unit_id"), isNot("tier", "vip"), isNull("deleted_at"), isNull("archived_at"))]],
    }),
  ],
  endings: [
    endWhen("partner_shares_end_at_signature", {
      table: "partner_shares",
      expires: "expires_at",
      link: "customer_id",
      when: { table: "contracts", link: "customer_id", where: is("stage", "signed", "active", "closed") },
      description: "a partner share ends, at the latest, when the shared customer's contract is signed",
    }),
  ],
  operations: [
    operation("close_project", {
      table: "projects",
      row: true,
      set: { status: "closed" },
      where: is("status", "open"),
      by: [admin],
      description: "its members lose its customers on their next statement",
    }),
    operation("archive_stale_customers", {
      table: "customers",
      row: false,
      set: { archived_at: CLOCK },
      where: and(
        isNull("archived_at"),
        isNull("deleted_at"),
        raw(
          sql`coalesce(customers.last_contacted_at, customers.created_at) < pg_catalog.clock_timestamp() - interval '3 years'`,
          "no contact for 3 years",
        ),
      ),
      by: [admin],
      description: "customers with no contact for 3 years are archived",
    }),
    operation("return_idle_customers_to_pool", {
      table: "customers",
      row: false,
      set: { owner_id: null },
      where: and(
        isNotNull("owner_id"),
        isNull("deleted_at"),
        isNull("archived_at"),
        raw(
          sql`not exists (select 1 from crm.follow_ups f where f.customer_id = customers.id and f.created_at > pg_catalog.clock_timestamp() - interval '30 days')`,
          "no follow-up for 30 days",
        ),
      ),
      by: [admin],
      description: "customers with no follow-up for 30 days return to the public pool",
    }),
  ],
  offboarding: { by: [admin] },
  // CRM.md "Approvals": approvers are supervisors or above over the customer's unit, never the requester; 7 days
  approvals: [
    approval("customer_delete", {
      table: "customers",
      change: "delete",
      requesters: [
        [salesRep, own("owner_id")],
        [supervisor, unitTree("unit_id")],
      ],
      approvers: [[supervisor, unitTree("unit_id")]],
      expires: "7 days",
      direct: [admin],
    }),
    approval("contract_amount", {
      table: "contracts",
      change: { update: ["amount"] },
      when: isNot("stage", "draft"),
      requesters: [
        [salesRep, via("customer_id", "customers", own("owner_id"))],
        [supervisor, customerInTree],
      ],
      approvers: [[supervisor, customerInTree]],
      expires: "7 days",
    }),
    approval("customer_transfer", {
      table: "customers",
      change: { update: ["owner_id"] },
      requesters: [
        [salesRep, own("owner_id")],
        [supervisor, unitTree("unit_id")],
      ],
      approvers: [[supervisor, unitTree("unit_id")]],
      expires: "7 days",
      // within their own subtree a supervisor reassigns directly; a request is for what their rules refuse
      direct: "everyone",
    }),
    approval("quote_approval", {
      table: "quotes",
      change: { set: { status: "approved" } },
      records: "approved_by",
      locks: ["amount"],
      requesters: [[salesRep, via("customer_id", "customers", own("owner_id"))]],
      approvers: [[supervisor, customerInTree]],
      expires: "7 days",
    }),
  ],
  restrictions: [
    restrict("vip", {
      table: "customers",
      hides: is("tier", "vip"),
      unless: own("owner_id"),
      exempt: [
        [regionalManager, unitTree("unit_id")],
        [director, all()],
        [admin, all()],
        [auditor, all()],
      ],
    }),
    restrict("archived", {
      table: "customers",
      hides: isNotNull("archived_at"),
      exempt: [
        [supervisor, all()],
        [admin, all()],
        [auditor, all()],
      ],
    }),
    restrict("mobile_read_only", {
      table: "contracts",
      hides: all(),
      unless: channelIsNot("mobile"),
      commands: ["insert", "update", "delete"],
    }),
  ],
  audit: { readers: [admin, auditor] },
  // CRM.md: a delete marks deleted_at (who and why recorded), soft-deleted rows are visible only to admin and
  // auditor; admin restores (and an approver, supervisor or above, over the customer's unit); purge after 365 days
  softDeletes: [
    softDelete("customers", {
      column: "deleted_at",
      by: "deleted_by",
      reason: "deleted_reason",
      visibleTo: [admin, auditor],
      restore: [admin, [supervisor, unitTree("unit_id")]],
      retention: "365 days",
    }),
  ],
  // CRM.md: supervisors and above grant select or update on a customer they can see, to a user of their subtree,
  // for at most 30 days, with a reason; admin may grant anywhere
  grants: { by: [supervisor], anywhere: [admin], maxDuration: "30 days", tables: ["customers"] },
  // CRM.md contacts: phone and email in full for a rep's own customers and across the subtree a manager manages; masked
  // on the other contacts a reader sees (a rep's granted and project customers); support, analyst and intern always masked
  masks: [
    mask("contacts", "phone", keepLast(4), { unless: contactReaders }),
    mask("contacts", "email", emailDomain(), { unless: contactReaders }),
    // encrypted (above): every reader sees it masked, the revealers read it through the audited reveal
    mask("contacts", "id_number", redact()),
    mask("customers", "created_at", dateToMonth(), { as: "created_month" }),
  ],
  views: [
    view("marketing_export", {
      from: "customers",
      columns: ["id", "region", "industry", "tier", "stage", "created_month"],
      where: and(isNull("deleted_at"), isNull("archived_at"), is("consent_marketing", true), channelIsNot("mobile")),
      roles: [marketing],
      description: "de-identified customers with marketing consent: no name, phone or id number",
    }),
  ],
});
