import type { Client } from "pg";

/** Unprefixed app roles the benchmark acts as. */
export type BenchRole = "sales_rep" | "supervisor" | "regional_manager" | "finance" | "support" | "marketing";

/** A user the benchmark acts as, with the facts about them the report shows. */
export interface BenchPersona {
  readonly role: BenchRole;
  readonly userId: number;
  readonly unitId: number;
  /** What makes the choice representative, in words. */
  readonly why: string;
}

/** A persona who heads a unit subtree, with the subtree's unit ids. */
export interface SubtreePersona {
  readonly persona: BenchPersona;
  readonly subtree: number[];
}

/**
 * Active sales reps with the median number of customers of their own, live grants first (ties:
 * lowest id): the first is the representative rep, the last the one the benchmark gives 1,000 grants.
 */
export async function pickReps(root: Client): Promise<{ rep: BenchPersona; grantee: BenchPersona }> {
  const { rows } = await root.query<{ id: string; unit_id: string; owned: number; grants: number; reps: number }>(
    `with reps as (
       select u.id, u.unit_id,
              (select count(*) from crm.customers c where c.owner_id = u.id)::int as owned,
              (select count(*) from crm.access_grants g
                where g.grantee_id = u.id and g."table" = 'customers' and g.expires_at > now()
                  and g.reason <> ${BENCH_GRANT_REASON_SQL})::int as grants
         from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = 'sales_rep'
        where u.status = 'active'
     ),
     median as (select percentile_disc(0.5) within group (order by owned) as owned, count(*)::int as reps from reps)
     select r.id, r.unit_id, r.owned, r.grants, m.reps
       from reps r, median m
      where r.owned = m.owned
      order by r.grants > 0 desc, r.id`,
  );
  const [first, last] = [rows[0], rows[rows.length - 1]];
  if (!first || !last || rows.length < 2) throw new Error("fewer than two active sales reps with the median number of customers");
  const persona = (r: typeof first, why: string): BenchPersona => ({
    role: "sales_rep",
    userId: Number(r.id),
    unitId: Number(r.unit_id),
    why: `${why} (${r.owned}, of ${r.reps} reps)`,
  });
  return {
    rep: persona(first, `sales rep with ${first.grants} live grant(s) and the median number of own customers`),
    grantee: persona(last, "the last sales rep with the median number of own customers"),
  };
}

/** The `reason` that marks the benchmark's own grants (grants-fixture.ts); pickReps leaves them out of its counts. */
export const BENCH_GRANT_REASON = "bench: a rep holding many live grants";
const BENCH_GRANT_REASON_SQL = `'${BENCH_GRANT_REASON}'`;

/**
 * The active user holding `role` whose unit has the largest subtree (ties: lowest id), with the
 * subtree's unit ids: for supervisors a level-3 unit at full size, for regional managers a region.
 */
export async function pickSubtreeHead(root: Client, role: "supervisor" | "regional_manager"): Promise<SubtreePersona> {
  const { rows } = await root.query<{ id: string; unit_id: string; subtree: string[]; customers: number }>(
    `with recursive heads as (
       select u.id, u.unit_id from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = $1
        where u.status = 'active'
     ),
     tree(head, unit_id) as (
       select id, unit_id from heads
       union all
       select t.head, o.id from crm.org_units o join tree t on o.parent_id = t.unit_id
     ),
     best as (
       select h.id, h.unit_id, array_agg(t.unit_id order by t.unit_id) as subtree
         from heads h join tree t on t.head = h.id
        group by h.id, h.unit_id
        order by count(*) desc, h.id
        limit 1
     )
     select b.id, b.unit_id, b.subtree,
            (select count(*) from crm.customers c where c.unit_id = any (b.subtree))::int as customers
       from best b`,
    [role],
  );
  const best = rows[0];
  if (!best) throw new Error(`no active ${role} in the generated data`);
  const subtree = best.subtree.map(Number);
  return {
    persona: {
      role,
      userId: Number(best.id),
      unitId: Number(best.unit_id),
      why: `${role.replace("_", " ")} of the largest subtree: unit ${best.unit_id} and ${subtree.length - 1} units below it, ${best.customers} customers (all states)`,
    },
    subtree,
  };
}

/** The active user holding a staff role (finance, support, marketing) with the lowest id. */
export async function pickStaff(root: Client, role: "finance" | "support" | "marketing"): Promise<BenchPersona> {
  const { rows } = await root.query<{ id: string; unit_id: string }>(
    `select u.id, u.unit_id from crm.users u join crm.user_roles r on r.user_id = u.id and r.role = $1
      where u.status = 'active' order by u.id limit 1`,
    [role],
  );
  const user = rows[0];
  if (!user) throw new Error(`no active ${role} user in the generated data`);
  return { role, userId: Number(user.id), unitId: Number(user.unit_id), why: `the ${role} user` };
}

/** Facts the cases need besides the personas: ids of rows to read or write. */
export interface BenchTargets {
  /** The leaf unit with the most pool customers (ties: lowest id). */
  readonly poolUnit: { readonly id: number; readonly customers: number };
  /** The rep's live customer with the lowest id: the row the rep's write updates. */
  readonly ownCustomer: number;
  /** The contract with the lowest id: the row finance's write updates. */
  readonly contract: number;
}

export async function pickTargets(root: Client, rep: BenchPersona): Promise<BenchTargets> {
  const pool = await root.query<{ unit_id: string; customers: number }>(
    `select unit_id, count(*)::int as customers from crm.customers where owner_id is null
      group by unit_id order by count(*) desc, unit_id limit 1`,
  );
  const own = await root.query<{ id: string }>(
    `select min(id) as id from crm.customers where owner_id = $1 and deleted_at is null and archived_at is null`,
    [rep.userId],
  );
  const contract = await root.query<{ id: string }>(`select min(id) as id from crm.contracts`);
  const [unit, ownId, contractId] = [pool.rows[0], own.rows[0]?.id, contract.rows[0]?.id];
  if (!unit || !ownId || !contractId)
    throw new Error("the generated data has no pool customer, no live own customer of the rep or no contract");
  return {
    poolUnit: { id: Number(unit.unit_id), customers: unit.customers },
    ownCustomer: Number(ownId),
    contract: Number(contractId),
  };
}
