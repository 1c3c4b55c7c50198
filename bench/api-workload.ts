import type { Client } from "pg";
import { pickSubtreeHead } from "./personas";
import { PAGE_SIZE } from "./workload";

/** A user the load run acts as: unprefixed role, id, and why this one. */
export interface ApiPersona {
  readonly role: "sales_rep" | "supervisor" | "support";
  readonly userId: number;
  readonly why: string;
}

/** One GraphQL request the load run repeats, as one persona. */
export interface ApiCase {
  readonly key: "rep-page" | "rep-pool" | "supervisor-unit" | "support-contacts";
  readonly title: string;
  readonly persona: ApiPersona;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** Why the rules and the bypass can return the same response for it (checked on the responses). */
  readonly sameInBothModes: string;
}

/** Throughput under the rules over throughput with the roles bypassing them: at least this. */
export const API_TARGET = 0.9;

const CUSTOMER_FIELDS = "rowId name industry region tier stage ownerId unitId lastContactedAt";

/**
 * The four requests of the load run, their personas and parameters picked from the generated data by rule (so
 * every run at a size picks the same): among the candidates of each, the first whose response cannot differ
 * between the rules and the bypass (no row the rules hide is in it) — only such a request compares the same work.
 */
export async function pickApiCases(root: Client): Promise<ApiCase[]> {
  const rep = await pickPagedRep(root);
  return [
    {
      key: "rep-page",
      title: "Rep: first page of own customers",
      persona: rep.persona,
      query: `query RepPage($me: BigInt!) { allCustomers(condition: { ownerId: $me }, orderBy: PRIMARY_KEY_ASC, first: ${PAGE_SIZE}) { nodes { ${CUSTOMER_FIELDS} } } }`,
      variables: { me: String(rep.persona.userId) },
      sameInBothModes: `the rep's first ${PAGE_SIZE} own customers hold no deleted or archived one (an owned VIP is visible to its owner)`,
    },
    await repPoolCase(root, rep.persona, rep.unitId),
    await supervisorUnitCase(root),
    await supportContactsCase(root),
  ];
}

const one = <T>(rows: T[], what: string): T => {
  if (!rows[0]) throw new Error(`no ${what} in the generated data: generate a larger database (--customers, --users)`);
  return rows[0];
};

/** The active rep nearest the median number of own customers whose first page holds no deleted or archived row. */
async function pickPagedRep(root: Client): Promise<{ persona: ApiPersona; unitId: number }> {
  const { rows } = await root.query<{ id: string; unit_id: string; owned: number; median: number }>(
    `with reps as (
       select u.id, u.unit_id, (select count(*) from crm.customers c where c.owner_id = u.id)::int as owned
         from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = 'sales_rep'
        where u.status = 'active'
     ),
     median as (select percentile_disc(0.5) within group (order by owned) as median from reps)
     select r.id, r.unit_id, r.owned, m.median
       from reps r, median m
      where r.owned >= $1
        and not exists (select from (select c.deleted_at, c.archived_at from crm.customers c
                                      where c.owner_id = r.id order by c.id limit $1) page
                         where page.deleted_at is not null or page.archived_at is not null)
      order by abs(r.owned - m.median), r.id
      limit 1`,
    [PAGE_SIZE],
  );
  const rep = one(rows, `active sales rep with a full first page of live customers`);
  return {
    persona: {
      role: "sales_rep",
      userId: Number(rep.id),
      why: `active sales rep nearest the median of own customers (${rep.owned}; median ${rep.median}) whose first page holds no deleted or archived customer`,
    },
    unitId: Number(rep.unit_id),
  };
}

/** The pool customers of one unit: the rep's own unit when its pool is all visible, else the first such unit by id. */
async function repPoolCase(root: Client, rep: ApiPersona, repUnit: number): Promise<ApiCase> {
  const { rows } = await root.query<{ unit_id: string; pooled: number }>(
    `select c.unit_id, count(*)::int as pooled
       from crm.customers c
      where c.owner_id is null
      group by c.unit_id
     having bool_and(c.deleted_at is null and c.archived_at is null and c.tier <> 'vip')
      order by c.unit_id <> $1, c.unit_id
      limit 1`,
    [repUnit],
  );
  const unit = one(rows, "unit whose pool customers are all live and not VIP");
  return {
    key: "rep-pool",
    title: "Rep: pool customers of one unit",
    persona: rep,
    query: `query RepPool($unit: BigInt!) { allCustomers(condition: { ownerId: null, unitId: $unit }, orderBy: PRIMARY_KEY_ASC) { nodes { ${CUSTOMER_FIELDS} } } }`,
    variables: { unit: unit.unit_id },
    sameInBothModes: `unit ${unit.unit_id}${Number(unit.unit_id) === repUnit ? " (the rep's own)" : ""} has ${unit.pooled} pool customers, none deleted, archived or VIP`,
  };
}

/** The supervisor of the largest subtree, and the first unit of it (by id) whose first page shows them every row. */
async function supervisorUnitCase(root: Client): Promise<ApiCase> {
  const { persona, subtree } = await pickSubtreeHead(root, "supervisor");
  const { rows } = await root.query<{ unit_id: string }>(
    `select u.id as unit_id
       from unnest($1::bigint[]) as u(id)
      where exists (select from crm.customers c where c.unit_id = u.id)
        and not exists (select from (select c.deleted_at, c.tier, c.owner_id from crm.customers c
                                      where c.unit_id = u.id order by c.id limit $2) page
                         where page.deleted_at is not null or (page.tier = 'vip' and page.owner_id is distinct from $3))
      order by u.id
      limit 1`,
    [subtree, PAGE_SIZE, persona.userId],
  );
  const unit = one(rows, "unit of the supervisor's subtree whose first page holds no deleted or foreign VIP customer");
  return {
    key: "supervisor-unit",
    title: "Supervisor: first page of one unit",
    persona: { role: "supervisor", userId: persona.userId, why: persona.why },
    query: `query SupervisorUnit($unit: BigInt!) { allCustomers(condition: { unitId: $unit }, orderBy: PRIMARY_KEY_ASC, first: ${PAGE_SIZE}) { nodes { ${CUSTOMER_FIELDS} archivedAt } } }`,
    variables: { unit: unit.unit_id },
    sameInBothModes: `unit ${unit.unit_id}, the first of the subtree whose first page holds no deleted and no VIP customer of another owner (a supervisor sees archived ones)`,
  };
}

/** Support's first page of contacts (masked), when no contact on it belongs to a customer the rules hide from support. */
async function supportContactsCase(root: Client): Promise<ApiCase> {
  const support = one(
    (
      await root.query<{ id: string }>(
        `select u.id from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = 'support'
          where u.status = 'active' order by u.id limit 1`,
      )
    ).rows,
    "active support user",
  );
  const hidden = (
    await root.query<{ id: string }>(
      `select page.id from (select k.id, k.customer_id from crm.contacts k order by k.id limit $1) page
         join crm.customers c on c.id = page.customer_id
        where c.deleted_at is not null or c.archived_at is not null or c.tier = 'vip'`,
      [PAGE_SIZE],
    )
  ).rows;
  if (hidden.length > 0)
    throw new Error(
      `support's first page of contacts holds contacts of customers the rules hide (${hidden.map((r) => r.id).join(", ")}): the two modes would differ`,
    );
  return {
    key: "support-contacts",
    title: "Support: first page of contacts (masked)",
    persona: { role: "support", userId: Number(support.id), why: "the first active support user" },
    query: `query SupportContacts { allContacts(orderBy: PRIMARY_KEY_ASC, first: ${PAGE_SIZE}) { nodes { rowId customerId fullName phoneMasked emailMasked idNumberMasked } } }`,
    variables: {},
    sameInBothModes: `the first ${PAGE_SIZE} contacts belong to customers that are live, not archived and not VIP`,
  };
}
