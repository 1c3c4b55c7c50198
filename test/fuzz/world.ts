/**
 * Random CRM worlds for differential fuzzing: an org tree, users with statuses and roles, customers (owned, pooled,
 * VIP, archived, soft-deleted) with their contacts, follow-ups, quotes, contracts and tickets, projects open and
 * closed, partner shares and temporary grants that expire in the past or the future, the personas who act, and the
 * writes they try. A world is a small spec of indexes (so fast-check shrinks it well) turned into rows by
 * {@link rowsOfWorld}; references wrap around the table they point into.
 */
import fc from "fast-check";
import type { Hours, Row, Tables, Value } from "./reference/data";
import type { Persona } from "./reference/identity";

export const ROLES = [
  "sales_rep",
  "intern",
  "supervisor",
  "regional_manager",
  "director",
  "finance",
  "legal",
  "support",
  "marketing",
  "partner",
  "analyst",
  "admin",
  "auditor",
] as const;

const STAGES = ["lead", "qualified", "negotiation", "contract", "won", "lost"] as const;
const CONTRACT_STAGES = ["draft", "review", "signed", "active", "closed"] as const;
const QUOTE_STATUSES = ["draft", "submitted", "approved", "rejected"] as const;
const PARTNER_ORGS = ["Partner Co", "Other Co"] as const;
const CHANNELS = [null, "web", "mobile"] as const;

interface UserSpec {
  unit: number | null;
  active: boolean;
  org: number | null;
  roles: string[];
  channel: string | null;
  /** A role the user does not hold, tried too (it must open nothing). */
  extraRole: string | null;
}

interface CustomerSpec {
  owner: number | null;
  unit: number;
  vip: boolean;
  stage: (typeof STAGES)[number];
  archived: boolean;
  deleted: boolean;
  consent: boolean;
}

/** One write a persona tries: an update with one of the table's candidate changes, an insert, or a delete. */
export interface WriteSpec {
  persona: number;
  kind: "update" | "insert" | "delete";
  table: string;
  row: number;
  pick: number;
}

export interface WorldSpec {
  /** Parent of units 2…n (unit 1 is the root), as an index among the units before it. */
  units: number[];
  users: UserSpec[];
  customers: CustomerSpec[];
  contacts: { customer: number; phone: boolean }[];
  followUps: { customer: number; author: number }[];
  quotes: { customer: number; status: (typeof QUOTE_STATUSES)[number] }[];
  contracts: { customer: number; stage: (typeof CONTRACT_STAGES)[number] }[];
  tickets: { customer: number }[];
  projects: { open: boolean; members: number[]; customers: number[] }[];
  shares: { customer: number; org: number; hours: number }[];
  grants: { grantee: number; customer: number; update: boolean; hours: number; grantor: number }[];
  writes: WriteSpec[];
}

/** An hour offset at least an hour away from now, either side, so the clock never decides it. */
const hours = fc.oneof(fc.integer({ min: -72, max: -1 }), fc.integer({ min: 1, max: 72 }));
const ref = fc.nat({ max: 63 });

/** A role, the sales family (where most rules live) three times as often as the others. */
const role: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("sales_rep", "supervisor", "regional_manager", "director") },
  { weight: 2, arbitrary: fc.constantFrom(...ROLES) },
);

const userSpec: fc.Arbitrary<UserSpec> = fc.record({
  unit: fc.option(ref, { freq: 6 }),
  active: fc.constant(true), // decided beside it, four in five active
  org: fc.option(fc.nat({ max: 1 }), { freq: 2 }),
  roles: fc.uniqueArray(role, { minLength: 0, maxLength: 2 }),
  channel: fc.constantFrom(...CHANNELS),
  extraRole: fc.option(role, { freq: 3 }),
});

/** Tables a write may name, with the tables whose writes the runner knows how to phrase. */
export const WRITE_TABLES = ["customers", "contacts", "follow_ups", "quotes", "contracts", "service_tickets"] as const;

export const worldSpec: fc.Arbitrary<WorldSpec> = fc.record({
  units: fc.array(ref, { maxLength: 6 }),
  users: fc.array(
    fc.tuple(userSpec, fc.nat({ max: 4 })).map(([u, n]) => ({ ...u, active: n > 0 })),
    { minLength: 1, maxLength: 12 },
  ),
  customers: fc.array(
    fc.record({
      owner: fc.option(ref, { freq: 3 }),
      unit: ref,
      vip: fc.nat({ max: 4 }).map((n) => n === 0),
      stage: fc.constantFrom(...STAGES),
      archived: fc.nat({ max: 5 }).map((n) => n === 0),
      deleted: fc.nat({ max: 5 }).map((n) => n === 0),
      consent: fc.boolean(),
    }),
    { maxLength: 30 },
  ),
  contacts: fc.array(fc.record({ customer: ref, phone: fc.boolean() }), { maxLength: 12 }),
  followUps: fc.array(fc.record({ customer: ref, author: ref }), { maxLength: 12 }),
  quotes: fc.array(fc.record({ customer: ref, status: fc.constantFrom(...QUOTE_STATUSES) }), { maxLength: 10 }),
  contracts: fc.array(fc.record({ customer: ref, stage: fc.constantFrom(...CONTRACT_STAGES) }), { maxLength: 10 }),
  tickets: fc.array(fc.record({ customer: ref }), { maxLength: 8 }),
  projects: fc.array(
    fc.record({ open: fc.boolean(), members: fc.array(ref, { maxLength: 4 }), customers: fc.array(ref, { maxLength: 5 }) }),
    { maxLength: 3 },
  ),
  shares: fc.array(fc.record({ customer: ref, org: fc.nat({ max: 1 }), hours }), { maxLength: 6 }),
  grants: fc.array(fc.record({ grantee: ref, customer: ref, update: fc.boolean(), hours, grantor: ref }), { maxLength: 12 }),
  writes: fc.array(
    fc.record({
      persona: fc.nat({ max: 99 }),
      kind: fc.constantFrom("update" as const, "insert" as const, "delete" as const),
      table: fc.constantFrom(...WRITE_TABLES),
      row: ref,
      pick: fc.nat({ max: 15 }),
    }),
    { maxLength: 40 },
  ),
});

const at = (h: number): Hours => ({ hours: h });
const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
const idOf = (count: number, i: number): number => (i % count) + 1;

/** Every row of a world, table by table; ids are positions (1, 2, …), references wrap around their table. */
export function rowsOfWorld(w: WorldSpec): Tables {
  const units: Row[] = [{ id: 1, parent_id: null, name: "unit 1" }];
  w.units.forEach((p, i) => units.push({ id: i + 2, parent_id: idOf(i + 1, p), name: `unit ${i + 2}` }));
  const unit = (i: number) => idOf(units.length, i);
  const users = w.users.map((u, i) => ({
    id: i + 1,
    username: `user${i + 1}`,
    full_name: `User ${i + 1}`,
    unit_id: u.unit === null ? null : unit(u.unit),
    status: u.active ? "active" : "frozen",
    partner_org: u.org === null ? null : PARTNER_ORGS[u.org]!,
  }));
  const user = (i: number) => idOf(users.length, i);
  const userRoles = w.users.flatMap((u, i) => u.roles.map((role) => ({ user_id: i + 1, role })));
  const customers = w.customers.map((c, i) => ({
    id: i + 1,
    name: `customer ${i + 1}`,
    industry: pick(["retail", "energy", "health"], i),
    region: pick(["north", "south"], i),
    tier: c.vip ? "vip" : "standard",
    stage: c.stage,
    owner_id: c.owner === null ? null : user(c.owner),
    unit_id: unit(c.unit),
    consent_marketing: c.consent,
    archived_at: c.archived ? at(-24 * 400) : null,
    deleted_at: c.deleted ? at(-24) : null,
  }));
  const n = customers.length;
  const children = <S extends { customer: number }>(specs: S[], row: (s: S, id: number, customer: number) => Row): Row[] =>
    n === 0 ? [] : specs.map((s, i) => row(s, i + 1, idOf(n, s.customer)));
  const unique = (rows: Row[], key: (r: Row) => string) => [...new Map(rows.map((r) => [key(r), r])).values()];
  return {
    org_units: units,
    users,
    user_roles: userRoles,
    customers,
    contacts: children(w.contacts, (s, id, customer_id) => ({
      id,
      customer_id,
      full_name: `contact ${id}`,
      phone: s.phone ? `+1 555 01${String(id).padStart(2, "0")}` : null,
      email: `contact${id}@example${id}.com`,
      id_number: `ID-${1000 + id}`,
    })),
    follow_ups: children(w.followUps, (s, id, customer_id) => ({
      id,
      customer_id,
      author_id: user(s.author),
      body: `note ${id}`,
    })),
    quotes: children(w.quotes, (s, id, customer_id) => ({
      id,
      customer_id,
      amount: 100 * id,
      status: s.status,
      approved_by: null,
    })),
    contracts: children(w.contracts, (s, id, customer_id) => ({
      id,
      customer_id,
      amount: 1000 * id,
      stage: s.stage,
      payment_status: "pending",
      legal_status: "pending",
    })),
    service_tickets: children(w.tickets, (_s, id, customer_id) => ({ id, customer_id, status: "open", subject: `ticket ${id}` })),
    projects: w.projects.map((p, i) => ({ id: i + 1, name: `project ${i + 1}`, status: p.open ? "open" : "closed" })),
    project_members: unique(
      w.projects.flatMap((p, i) => p.members.map((m) => ({ project_id: i + 1, user_id: user(m) }))),
      (r) => `${r.project_id}/${r.user_id}`,
    ),
    project_customers: unique(
      n === 0 ? [] : w.projects.flatMap((p, i) => p.customers.map((c) => ({ project_id: i + 1, customer_id: idOf(n, c) }))),
      (r) => `${r.project_id}/${r.customer_id}`,
    ),
    partner_shares: unique(
      children(w.shares, (s, _id, customer_id) => ({ customer_id, partner_org: PARTNER_ORGS[s.org]!, expires_at: at(s.hours) })),
      (r) => `${r.customer_id}/${r.partner_org}`,
    ),
    access_grants: children(w.grants, (s, id, row_id) => ({
      id,
      grantee_id: user(s.grantee),
      table: "customers",
      row_id,
      privilege: s.update ? "update" : "select",
      expires_at: at(s.hours),
      granted_by: user(s.grantor),
      reason: "fuzz",
    })),
  };
}

/** Who acts in a world: every user in each role they hold and in the extra role they do not, and a user who does not exist. */
export function personasOf(w: WorldSpec): Persona[] {
  const out: Persona[] = [];
  w.users.forEach((u, i) => {
    for (const role of new Set([...u.roles, ...(u.extraRole ? [u.extraRole] : [])]))
      out.push({ userId: i + 1, role, channel: u.channel });
  });
  out.push({ userId: 999, role: "sales_rep", channel: null });
  return out;
}

type Change = Readonly<Record<string, Value>>;

/**
 * Changes an update may try on a table, with values the schema accepts: business columns, and the columns that say
 * who holds a row (owner, unit, parent), moved to another row of the world chosen by `pick`.
 */
export function changesOf(tables: Tables, table: string, pickIndex: number): Change[] {
  const id = (t: string): Value => {
    const rows = tables[t] ?? [];
    return rows.length ? pick(rows, pickIndex).id! : null;
  };
  const moves = (column: string, t: string): Change[] => (id(t) === null ? [] : [{ [column]: id(t) }]);
  switch (table) {
    case "customers":
      return [
        { name: "renamed" },
        { tier: "vip" },
        { tier: "standard" },
        { stage: "won" },
        { industry: "mining" },
        ...moves("owner_id", "users"),
        { owner_id: null },
        ...moves("unit_id", "org_units"),
      ];
    case "contacts":
      return [{ full_name: "renamed" }, { phone: "+1 555 9999" }, ...moves("customer_id", "customers")];
    case "follow_ups":
      return [{ body: "edited" }, ...moves("customer_id", "customers")];
    case "quotes":
      return [{ amount: 7 }, { status: "submitted" }, { status: "approved" }, { status: "draft" }];
    case "contracts":
      return [{ amount: 7 }, { payment_status: "paid" }, { legal_status: "approved" }, { stage: "review" }];
    case "service_tickets":
      return [{ status: "closed" }, { subject: "edited" }, ...moves("customer_id", "customers")];
    default:
      return [];
  }
}

/**
 * A new row an insert may try: the columns it names (what the statement sends) and the row as the table's defaults
 * complete it (what the rules see). `pick` and `row` choose the references.
 */
export function newRow(tables: Tables, table: string, pickIndex: number, rowIndex: number): { sent: Row; full: Row } | undefined {
  const users = tables.users ?? [];
  const units = tables.org_units ?? [];
  const customers = tables.customers ?? [];
  const customer = customers.length ? pick(customers, rowIndex).id! : undefined;
  const user = users.length ? pick(users, pickIndex).id! : undefined;
  switch (table) {
    case "customers": {
      const owner = pickIndex % 4 === 0 || user === undefined ? null : user;
      const sent = { name: "new customer", owner_id: owner, unit_id: pick(units, rowIndex).id! };
      const full = {
        id: null,
        tier: "standard",
        stage: "lead",
        industry: null,
        region: null,
        consent_marketing: false,
        archived_at: null,
        deleted_at: null,
        ...sent,
      };
      return { sent, full };
    }
    case "contacts":
      if (customer === undefined) return undefined;
      return {
        sent: { customer_id: customer, full_name: "new contact" },
        full: { id: null, customer_id: customer, full_name: "new contact", phone: null, email: null, id_number: null },
      };
    case "follow_ups":
      if (customer === undefined || user === undefined) return undefined;
      return {
        sent: { customer_id: customer, author_id: user, body: "new note" },
        full: { id: null, customer_id: customer, author_id: user, body: "new note" },
      };
    case "quotes": {
      if (customer === undefined) return undefined;
      const sent = { customer_id: customer, amount: 5, status: pick(QUOTE_STATUSES, pickIndex) };
      return { sent, full: { id: null, approved_by: null, ...sent } };
    }
    case "contracts": {
      if (customer === undefined) return undefined;
      const sent = { customer_id: customer, amount: 5 };
      return { sent, full: { id: null, stage: "draft", payment_status: "pending", legal_status: "pending", ...sent } };
    }
    case "service_tickets": {
      if (customer === undefined) return undefined;
      const sent = { customer_id: customer, subject: "new ticket" };
      return { sent, full: { id: null, status: "open", body: null, ...sent } };
    }
    default:
      return undefined;
  }
}
