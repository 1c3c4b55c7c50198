import type { Client } from "pg";
import { sql, type SQL } from "pg-sql2";

/** Rows on the rep's first page, as the API pages by default (primary key order). */
export const PAGE_SIZE = 20;

/** A user the benchmark acts as, with the facts about them the report shows. */
export interface BenchPersona {
  /** Unprefixed app role. */
  readonly role: "sales_rep" | "supervisor";
  readonly userId: number;
  readonly unitId: number;
  /** What makes the choice representative, in words. */
  readonly why: string;
}

/** One measured request: the query the client sends, and the hand-written equivalent. */
export interface BenchCase {
  readonly key: "rep" | "supervisor";
  readonly title: string;
  readonly persona: BenchPersona;
  /** Largest acceptable ratio of the RLS median to the hand-written median. */
  readonly target: number;
  /** Measured rounds at full size: enough for a stable median in well under a minute. */
  readonly rounds: number;
  /** The query as the persona sends it; row security adds the rules. */
  readonly rls: SQL;
  /** The same query as a BYPASSRLS role, with the rules written into its WHERE clause by hand. */
  readonly hand: SQL;
  /** Why the hand-written filter is equivalent, for the report. */
  readonly equivalence: string;
}

/**
 * The representative rep: an active sales rep with the median number of customers of their own
 * (ties: lowest id), preferring one who also holds live temporary grants, so the grant helper has
 * work to do if the plan ever asks it.
 */
export async function pickRep(root: Client): Promise<BenchPersona> {
  const { rows } = await root.query<{ id: string; unit_id: string; owned: number; grants: number; reps: number }>(
    `with reps as (
       select u.id, u.unit_id,
              (select count(*) from crm.customers c where c.owner_id = u.id)::int as owned,
              (select count(*) from crm.access_grants g
                where g.grantee_id = u.id and g."table" = 'customers' and g.expires_at > now())::int as grants
         from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = 'sales_rep'
        where u.status = 'active'
     ),
     median as (select percentile_disc(0.5) within group (order by owned) as owned, count(*)::int as reps from reps)
     select r.id, r.unit_id, r.owned, r.grants, m.reps
       from reps r, median m
      where r.owned = m.owned
      order by r.grants > 0 desc, r.id
      limit 1`,
  );
  const rep = rows[0];
  if (!rep) throw new Error("no active sales rep in the generated data");
  return {
    role: "sales_rep",
    userId: Number(rep.id),
    unitId: Number(rep.unit_id),
    why: `sales rep with the median number of own customers (${rep.owned}, of ${rep.reps} reps) and ${rep.grants} live grant(s)`,
  };
}

/**
 * The supervisor whose unit has the largest subtree (the highest supervisor level; ties: lowest
 * id), with the subtree's unit ids.
 */
export async function pickSupervisor(root: Client): Promise<{ persona: BenchPersona; subtree: number[] }> {
  const { rows } = await root.query<{ id: string; unit_id: string; subtree: string[]; customers: number }>(
    `with recursive supervisors as (
       select u.id, u.unit_id from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = 'supervisor'
        where u.status = 'active'
     ),
     tree(supervisor, unit_id) as (
       select id, unit_id from supervisors
       union all
       select t.supervisor, o.id from crm.org_units o join tree t on o.parent_id = t.unit_id
     ),
     best as (
       select s.id, s.unit_id, array_agg(t.unit_id order by t.unit_id) as subtree
         from supervisors s join tree t on t.supervisor = s.id
        group by s.id, s.unit_id
        order by count(*) desc, s.id
        limit 1
     )
     select b.id, b.unit_id, b.subtree,
            (select count(*) from crm.customers c where c.unit_id = any (b.subtree))::int as customers
       from best b`,
  );
  const best = rows[0];
  if (!best) throw new Error("no active supervisor in the generated data");
  const subtree = best.subtree.map(Number);
  return {
    persona: {
      role: "supervisor",
      userId: Number(best.id),
      unitId: Number(best.unit_id),
      why: `supervisor of the largest subtree: unit ${best.unit_id} and ${subtree.length - 1} units below it, ${best.customers} customers (all states)`,
    },
    subtree,
  };
}

/** The columns of a customer list that a sales rep may read. */
const LIST_COLUMNS = sql`id, name, industry, region, tier, stage, owner_id, last_contacted_at`;

/**
 * `exists (…)`: the user is active and holds the role — what `current_user_id()` checks before any
 * policy lets a row through (a frozen user or a revoked role sees nothing, on the next statement).
 */
const activeWithRole = (userId: SQL, role: string) =>
  sql`exists (select from crm.users u join crm.user_roles r on r.user_id = u.id
                where u.id = ${userId} and u.status = 'active' and r.role = ${sql.literal(role)})`;

/**
 * The rep's first page of their own customers. Under the rules, the page query filters on
 * `owner_id = me` and row security adds the rep's policies. By hand, the rules intersected with
 * "own": the permissive disjuncts (own, pool, live grants, open projects) collapse to "own", since
 * every row of the page is owned; "not vip unless own" holds for owned rows; "not deleted" and "not
 * archived" stay; so does the identity check.
 */
export function repCase(rep: BenchPersona): BenchCase {
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
 order by id
 limit ${sql.literal(PAGE_SIZE)}`,
    hand: sql`select ${LIST_COLUMNS}
  from crm.customers
 where owner_id = ${me}
   and deleted_at is null
   and archived_at is null
   and ${activeWithRole(me, "sales_rep")}
 order by id
 limit ${sql.literal(PAGE_SIZE)}`,
    equivalence: [
      "The rep may see: own ∨ pool ∨ live grant ∨ open project (permissive), and (not vip ∨ own) ∧ not deleted ∧ not archived",
      "(restrictive), all only while the user is active and holds sales_rep. The page asks for `owner_id = me`; intersected",
      'with that, every permissive disjunct is absorbed by "own" (own ∧ (own ∨ x) = own), and "not vip unless own" is true',
      "for owned rows. What remains, by hand: `owner_id = me and deleted_at is null and archived_at is null` plus the",
      "active-user-with-role check, as an uncorrelated `exists` (one index probe of users and of user_roles).",
    ].join("\n"),
  };
}

/**
 * The supervisor's count of customers in their unit subtree. The query names the subtree's unit ids
 * (the client knows its org chart); row security adds the supervisor's policies. By hand: the
 * subtree disjunct absorbs the others, the supervisor is exempt from "archived", and "not vip
 * unless own" and "not deleted" stay, with the identity check.
 */
export function supervisorCase(supervisor: BenchPersona, subtree: readonly number[]): BenchCase {
  const me = sql.value(supervisor.userId);
  const units = sql`${sql.value(subtree)}::bigint[]`;
  return {
    key: "supervisor",
    title: "Supervisor: count of customers in the unit subtree",
    persona: supervisor,
    target: 1.15,
    rounds: 200,
    rls: sql`select count(*)
  from crm.customers
 where unit_id = any (${units})`,
    hand: sql`select count(*)
  from crm.customers
 where unit_id = any (${units})
   and deleted_at is null
   and (tier <> 'vip' or owner_id = ${me})
   and ${activeWithRole(me, "supervisor")}`,
    equivalence: [
      "The supervisor may see: own ∨ pool ∨ live grant ∨ open project ∨ unit subtree (permissive), and (not vip ∨ own) ∧",
      'not deleted (restrictive; a supervisor is exempt from "archived"), only while active and holding supervisor. The',
      'query asks for `unit_id = any(subtree)`: intersected with that, the permissive disjuncts are absorbed by "unit',
      "subtree\". By hand: `deleted_at is null and (tier <> 'vip' or owner_id = me)` plus the active-user-with-role",
      "check (`tier` is `not null`, so `tier <> 'vip'` is the rule's `(tier in ('vip')) is not true`).",
    ].join("\n"),
  };
}
