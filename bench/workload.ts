import { sql, type SQL } from "pg-sql2";
import type { BenchPersona, BenchTargets, SubtreePersona } from "./personas";

/** Rows on a first page, as the API pages by default (primary key order). */
export const PAGE_SIZE = 20;

/** The cases, in the order they run; `--case` picks among these keys. */
export const CASE_KEYS = [
  "rep",
  "rep-count",
  "supervisor",
  "supervisor-page",
  "regional",
  "regional-page",
  "follow-ups",
  "follow-ups-count",
  "pool",
  "pool-unit",
  "rep-grants",
  "support-contacts",
  "rep-contacts",
  "rep-contacts-twins",
  "marketing-export",
  "rep-update",
  "finance-update",
] as const;
export type CaseKey = (typeof CASE_KEYS)[number];

/** One measured request: the query the client sends, and the hand-written equivalent. */
export interface BenchCase {
  readonly key: CaseKey;
  readonly title: string;
  readonly persona: BenchPersona;
  /** Largest acceptable ratio of the RLS server CPU to the hand-written one (issue 11's targets). */
  readonly target: number;
  /** Measured rounds at full size: enough for a stable median in well under a minute. */
  readonly rounds: number;
  /** The query as the persona sends it; row security adds the rules. */
  readonly rls: SQL;
  /** The same query as a BYPASSRLS role, with the rules written into its WHERE clause by hand. */
  readonly hand: SQL;
  /** Why the hand-written filter is equivalent, for the report. */
  readonly equivalence: string;
  /** A write: every request ends in `rollback` instead of `commit`, so each round changes the same row. */
  readonly write?: boolean;
}

/** Everything the cases are built from. */
export interface Workload {
  readonly rep: BenchPersona;
  /** A second rep, holding 1,000 live grants (grants-fixture.ts). */
  readonly grantee: BenchPersona;
  readonly supervisor: SubtreePersona;
  readonly regional: SubtreePersona;
  readonly finance: BenchPersona;
  readonly support: BenchPersona;
  readonly marketing: BenchPersona;
  readonly targets: BenchTargets;
}

/** The columns of a customer list that a sales rep may read. */
const LIST_COLUMNS = sql`id, name, industry, region, tier, stage, owner_id, last_contacted_at`;
const page = sql`order by id
 limit ${sql.literal(PAGE_SIZE)}`;

/**
 * `exists (…)`: the user is active and holds the role — what `current_user_id()` checks before any
 * policy lets a row through (a frozen user or a revoked role sees nothing, on the next statement).
 */
const activeWithRole = (userId: SQL, role: string) =>
  sql`exists (select from crm.users u join crm.user_roles r on r.user_id = u.id
                where u.id = ${userId} and u.status = 'active' and r.role = ${sql.literal(role)})`;

/** The customers granted to the rep (live, select or update) or in their open projects: what they borrow. */
const repBorrowed = (c: SQL, me: SQL) => sql`${c}.id = any (array(select g.row_id from crm.access_grants g
                                 where g.grantee_id = ${me} and g."table" = 'customers'
                                   and g.privilege in ('select', 'update') and g.expires_at > clock_timestamp()))
        or ${c}.id = any (array(select l.customer_id from crm.project_members m
                                  join crm.project_customers l on l.project_id = m.project_id
                                  join crm.projects p on p.id = l.project_id
                                 where m.user_id = ${me} and p.status = 'open'))`;

/**
 * Everything a rep may see of customer `c`, written out: own ∨ pool ∨ live grant ∨ open project, and
 * not vip unless own, not deleted, not archived.
 */
const repVisible = (c: SQL, me: SQL) => sql`(${c}.owner_id = ${me}
        or ${c}.owner_id is null
        or ${repBorrowed(c, me)})
   and (${c}.tier <> 'vip' or ${c}.owner_id = ${me})
   and ${c}.deleted_at is null
   and ${c}.archived_at is null`;

const REP_RULES =
  "The rep may see: own ∨ pool ∨ live grant (select or update) ∨ open project (permissive), and (not vip ∨ own) ∧ not deleted ∧ not archived (restrictive), all only while the user is active and holds sales_rep.";
const ACTIVE = "The active-user-with-role check is an uncorrelated `exists` (one index probe of users and of user_roles).";
const TIER = "`tier` is `not null`, so `tier <> 'vip'` is the rule's `(tier in ('vip')) is not true`.";

function repPage({ rep }: Workload): BenchCase {
  const me = sql.value(rep.userId);
  return {
    key: "rep",
    title: "Rep: first page of own customers",
    persona: rep,
    target: 1.1,
    rounds: 2000,
    rls: sql`select ${LIST_COLUMNS}
  from crm.customers
 where owner_id = ${me}
 ${page}`,
    hand: sql`select ${LIST_COLUMNS}
  from crm.customers
 where owner_id = ${me}
   and deleted_at is null
   and archived_at is null
   and ${activeWithRole(me, "sales_rep")}
 ${page}`,
    equivalence: `${REP_RULES} The page asks for \`owner_id = me\`: every permissive disjunct is absorbed by "own" (own ∧ (own ∨ x) = own), and "not vip unless own" is true for owned rows. What remains: not deleted, not archived. ${ACTIVE}`,
  };
}

function repCount(rep: BenchPersona): BenchCase {
  const me = sql.value(rep.userId);
  return {
    key: "rep-count",
    title: "Rep: count of every visible customer (no filter)",
    persona: rep,
    target: 1.15,
    rounds: 100,
    rls: sql`select count(*)
  from crm.customers`,
    hand: sql`select count(*)
  from crm.customers c
 where ${repVisible(sql`c`, me)}
   and ${activeWithRole(me, "sales_rep")}`,
    equivalence: `${REP_RULES} The query asks for everything, so by hand all of it is written out; grants and open projects as \`= any (array(select …))\` of the same tables the helpers read (each array computed once per statement, as a hand-written query would; \`in (select …)\` reads the table through a hashed subplan and is slower). ${TIER} ${ACTIVE}`,
  };
}

/** The rules of a unit head intersected with their subtree: what stays by hand. */
function subtreeHand(role: "supervisor" | "regional_manager", me: SQL, units: SQL): SQL {
  return role === "supervisor"
    ? sql`unit_id = any (${units})
   and deleted_at is null
   and (tier <> 'vip' or owner_id = ${me})
   and ${activeWithRole(me, role)}`
    : sql`unit_id = any (${units})
   and deleted_at is null
   and ${activeWithRole(me, role)}`;
}

const SUBTREE_RULES = {
  supervisor:
    'The supervisor may see: own ∨ pool ∨ live grant ∨ open project ∨ unit subtree (permissive), and (not vip ∨ own) ∧ not deleted (restrictive; a supervisor is exempt from "archived"), only while active and holding supervisor. The query asks for `unit_id = any(subtree)`: the permissive disjuncts are absorbed by "unit subtree". By hand: `deleted_at is null and (tier <> \'vip\' or owner_id = me)`.',
  regional_manager:
    'A regional manager has the supervisor\'s rules, except that "not vip" becomes (not vip ∨ own ∨ unit subtree). The query asks for the subtree: the permissive disjuncts are absorbed by "unit subtree", and so is the vip rule. By hand: `deleted_at is null`.',
} as const;

function subtreeCase(key: CaseKey, head: SubtreePersona, kind: "count" | "page"): BenchCase {
  const { persona } = head;
  const role = persona.role as "supervisor" | "regional_manager";
  const me = sql.value(persona.userId);
  const units = sql`${sql.value(head.subtree)}::bigint[]`;
  const who = role === "supervisor" ? "Supervisor" : "Regional manager";
  const select = kind === "count" ? sql`count(*)` : LIST_COLUMNS;
  const tail = kind === "count" ? sql`` : sql`\n ${page}`;
  return {
    key,
    title: `${who}: ${kind === "count" ? "count of customers" : "first page of customers"} in the unit subtree`,
    persona,
    target: 1.1,
    rounds: kind === "count" ? (role === "supervisor" ? 200 : 50) : 2000,
    rls: sql`select ${select}
  from crm.customers
 where unit_id = any (${units})${tail}`,
    hand: sql`select ${select}
  from crm.customers
 where ${subtreeHand(role, me, units)}${tail}`,
    equivalence: `${SUBTREE_RULES[role]} ${TIER} ${ACTIVE}`,
  };
}

function followUps({ rep }: Workload): BenchCase {
  const me = sql.value(rep.userId);
  return {
    key: "follow-ups",
    title: "Rep: latest follow-ups of visible customers (via the parent row)",
    persona: rep,
    target: 1.25,
    rounds: 200,
    rls: sql`select f.id, f.customer_id, f.author_id, f.body, f.created_at
  from crm.follow_ups f
 order by f.id desc
 limit ${sql.literal(PAGE_SIZE)}`,
    hand: sql`select f.id, f.customer_id, f.author_id, f.body, f.created_at
  from crm.follow_ups f
 where exists (select from crm.customers c
                where c.id = f.customer_id
                  and ${repVisible(sql`c`, me)})
   and ${activeWithRole(me, "sales_rep")}
 order by f.id desc
 limit ${sql.literal(PAGE_SIZE)}`,
    equivalence: `A rep sees a follow-up whose customer they see (\`via("customer_id", "customers")\`: an \`exists\` on customers, which the customers' rules filter in turn). ${REP_RULES} By hand the \`exists\` carries the rep's whole customer visibility. ${TIER} ${ACTIVE}`,
  };
}

function followUpsCount({ rep }: Workload): BenchCase {
  const me = sql.value(rep.userId);
  return {
    key: "follow-ups-count",
    title: "Rep: count of every follow-up of a visible customer (via the parent row)",
    persona: rep,
    target: 1.25,
    rounds: 5,
    rls: sql`select count(*)
  from crm.follow_ups f`,
    hand: sql`select count(*)
  from crm.follow_ups f
 where exists (select from crm.customers c
                where c.id = f.customer_id
                  and ${repVisible(sql`c`, me)})
   and ${activeWithRole(me, "sales_rep")}`,
    equivalence: `The rep's count of the follow-ups they see, as \`follow-ups\` but every row: each follow-up's customer probed by key on both sides (the rules' \`exists … offset 0\`; by hand the grants' \`clock_timestamp()\` keeps PostgreSQL from hashing). ${REP_RULES} ${TIER} ${ACTIVE}`,
  };
}

function poolPage({ rep }: Workload, unit?: BenchTargets["poolUnit"]): BenchCase {
  const me = sql.value(rep.userId);
  const unitFilter = unit ? sql`\n   and unit_id = ${sql.value(unit.id)}` : sql``;
  return {
    key: unit ? "pool-unit" : "pool",
    title: unit ? "Rep: pool customers of one unit" : "Rep: first page of the pool (unowned customers)",
    persona: rep,
    target: 1.25,
    rounds: 2000,
    rls: sql`select ${LIST_COLUMNS}
  from crm.customers
 where owner_id is null${unitFilter}
 ${page}`,
    hand: sql`select ${LIST_COLUMNS}
  from crm.customers
 where owner_id is null${unitFilter}
   and tier <> 'vip'
   and deleted_at is null
   and archived_at is null
   and ${activeWithRole(me, "sales_rep")}
 ${page}`,
    equivalence: `${REP_RULES} The query asks for \`owner_id is null\`${unit ? ` in unit ${unit.id} (the leaf with the most pool customers, ${unit.customers} in all states)` : ""}: the permissive disjuncts are absorbed by "pool", and "not vip unless own" is "not vip" for unowned rows. ${TIER} ${ACTIVE}`,
  };
}

function repGrants({ grantee }: Workload): BenchCase {
  return {
    ...repCount(grantee),
    key: "rep-grants",
    title: "Rep holding 1,000 live grants: count of every visible customer",
    persona: { ...grantee, why: `${grantee.why}, given 1,000 live select grants on customers spread over the table` },
    target: 1.25,
  };
}

function supportContacts({ support }: Workload): BenchCase {
  const me = sql.value(support.userId);
  const columns = sql`id, customer_id, full_name, phone_masked, email_masked, id_number_masked`;
  return {
    key: "support-contacts",
    title: "Support: first page of contacts, masked",
    persona: support,
    target: 1.25,
    rounds: 50,
    rls: sql`select ${columns}
  from crm.contacts
 ${page}`,
    hand: sql`select ${columns}
  from crm.contacts t
 where exists (select from crm.customers c
                where c.id = t.customer_id
                  and (c.tier <> 'vip' or c.owner_id = ${me})
                  and c.deleted_at is null
                  and c.archived_at is null)
   and ${activeWithRole(me, "support")}
 order by id
 limit ${sql.literal(PAGE_SIZE)}`,
    equivalence: `Support reads contacts whose customer it sees (every customer, then not vip unless own, not deleted, not archived), and only the masked twins of phone, email and id number (column grants). By hand the \`exists\` carries those rules and the query names the same twins. ${TIER} ${ACTIVE}`,
  };
}

/**
 * A rep's first page of contacts: those of customers they own (personal data in full) and of customers granted to
 * them or in their open projects (masked). `byRow`: personal data as the API reads it, through the rep's row mask
 * functions; otherwise the masked twins, what a per-role mask costs. The two rule sides, from one run, give the
 * cost of a row-dependent mask against a per-role one.
 */
function repContacts({ rep }: Workload, byRow: boolean): BenchCase {
  const me = sql.value(rep.userId);
  // phone and email are read row by row; the id number is encrypted, its twin read by every reader
  const personal = ["phone", "email"];
  const twins = sql.join(
    [...personal, "id_number"].map((c) => sql.identifier(`${c}_masked`)),
    ", ",
  );
  const handColumns = byRow
    ? sql`pg_catalog.jsonb_build_object(${sql.join(
        personal.map(
          (c) =>
            sql`${sql.literal(c)}, case when c.owner_id = ${me} then t.${sql.identifier(c)} else t.${sql.identifier(`${c}_masked`)} end`,
        ),
        ", ",
      )}) as personal, t.id_number_masked`
    : sql.join(
        [...personal, "id_number"].map((c) => sql`t.${sql.identifier(`${c}_masked`)}`),
        ", ",
      );
  return {
    key: byRow ? "rep-contacts" : "rep-contacts-twins",
    title: byRow
      ? "Rep: first page of contacts, personal data raw or masked by row (row mask functions)"
      : "Rep: first page of contacts, personal data through the masked twins (a per-role mask)",
    persona: rep,
    target: 1.25,
    rounds: 200,
    // as the API reads it: the page, then the masks of the page's keys in one call of the rep's many-row mask function
    rls: byRow
      ? sql`with page as (select id, customer_id, full_name, id_number_masked
                from crm.contacts
               order by id
               limit ${sql.literal(PAGE_SIZE)})
select page.id, page.customer_id, page.full_name, m.masks as personal, page.id_number_masked
  from page
  left join gatehouse.row_masks_contacts__sales_rep(array(select id from page)) as m on m.row_key = page.id
 order by page.id`
      : sql`select id, customer_id, full_name, ${twins}
  from crm.contacts
 order by id
 limit ${sql.literal(PAGE_SIZE)}`,
    hand: sql`select t.id, t.customer_id, t.full_name, ${handColumns}
  from crm.contacts t
  join crm.customers c on c.id = t.customer_id
 where (c.owner_id = ${me} or ${repBorrowed(sql`c`, me)})
   and (c.tier <> 'vip' or c.owner_id = ${me})
   and c.deleted_at is null
   and c.archived_at is null
   and ${activeWithRole(me, "sales_rep")}
 order by t.id
 limit ${sql.literal(PAGE_SIZE)}`,
    equivalence: `The rep sees the contacts of customers they own or borrow (a live grant, an open project), within the customers' own rules (${REP_RULES}): own ∨ borrowed, and not vip unless own, not deleted, not archived. ${
      byRow
        ? "Phone and email are raw where the rep owns the customer and masked elsewhere: under the rules the page, then one call of the rep's many-row mask function on the page's keys (which reads those rows again under the rep's rules and returns the two as jsonb per row), as the API reads it (the API sends the page and the call as two statements; here they are one, the page a CTE); by hand the same jsonb from a `case` on the joined customer's owner. The id number is encrypted: its twin on both sides."
        : "Phone, email and id number are read as the masked twins on every row, as a per-role mask reads them."
    } ${TIER} ${ACTIVE}`,
  };
}

function marketingExport({ marketing }: Workload): BenchCase {
  const me = sql.value(marketing.userId);
  return {
    key: "marketing-export",
    title: "Marketing: every row of the export view (count)",
    persona: marketing,
    target: 1.25,
    rounds: 50,
    rls: sql`select count(*)
  from crm.marketing_export`,
    hand: sql`select count(*)
  from crm.customers
 where deleted_at is null
   and archived_at is null
   and consent_marketing
   and (tier <> 'vip' or owner_id = ${me})
   and ${activeWithRole(me, "marketing")}`,
    equivalence: `\`gatehouse export\` reads the whole view (\`select * from crm.marketing_export\`, through a cursor); the count reads the same rows without sending them. Marketing reads only the view: customers not deleted, not archived, with marketing consent, not from the mobile channel (no channel is set here, so that test passes), through the view's own role, whose rules add not vip unless own. By hand: the same filter on the table. ${TIER} ${ACTIVE}`,
  };
}

function repUpdate({ rep, targets }: Workload): BenchCase {
  const me = sql.value(rep.userId);
  const id = sql.value(targets.ownCustomer);
  return {
    key: "rep-update",
    title: "Rep: update one of their own customers (rolled back)",
    persona: rep,
    target: 1.25,
    rounds: 1000,
    write: true,
    rls: sql`update crm.customers
   set last_contacted_at = timestamptz '2026-06-01T00:00:00Z'
 where id = ${id}
returning id`,
    hand: sql`update crm.customers
   set last_contacted_at = timestamptz '2026-06-01T00:00:00Z'
 where id = ${id}
   and owner_id = ${me}
   and deleted_at is null
   and archived_at is null
   and ${activeWithRole(me, "sales_rep")}
returning id`,
    equivalence: `The rep may update own ∨ granted-for-update rows they can see, and the new row must stay own ∨ granted. The statement names customer ${targets.ownCustomer}, which the rep owns: "own" absorbs the rest, the row stays owned (owner_id is not written). By hand: own, not deleted, not archived. Each request is rolled back. ${ACTIVE}`,
  };
}

function financeUpdate({ finance, targets }: Workload): BenchCase {
  const me = sql.value(finance.userId);
  const id = sql.value(targets.contract);
  return {
    key: "finance-update",
    title: "Finance: set a contract's payment status (rolled back)",
    persona: finance,
    target: 1.25,
    rounds: 1000,
    write: true,
    rls: sql`update crm.contracts
   set payment_status = 'paid'
 where id = ${id}
returning id`,
    hand: sql`update crm.contracts
   set payment_status = 'paid'
 where id = ${id}
   and ${activeWithRole(me, "finance")}
returning id`,
    equivalence: `Finance may read and update every contract, and write only payment_status (a column grant, checked when the statement is planned). By hand: the active-user check alone. Each request is rolled back. ${ACTIVE}`,
  };
}

/** Every case, in {@link CASE_KEYS} order. */
export function benchCases(w: Workload): BenchCase[] {
  return [
    repPage(w),
    repCount(w.rep),
    subtreeCase("supervisor", w.supervisor, "count"),
    subtreeCase("supervisor-page", w.supervisor, "page"),
    subtreeCase("regional", w.regional, "count"),
    subtreeCase("regional-page", w.regional, "page"),
    followUps(w),
    followUpsCount(w),
    poolPage(w),
    poolPage(w, w.targets.poolUnit),
    repGrants(w),
    supportContacts(w),
    repContacts(w, true),
    repContacts(w, false),
    marketingExport(w),
    repUpdate(w),
    financeUpdate(w),
  ];
}
