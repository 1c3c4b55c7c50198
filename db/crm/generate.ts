/**
 * A scalable, deterministic CRM data generator for benchmarks.
 *
 * Rows are produced server-side (`insert … select … from generate_series(…)`), in batches, from a
 * seeded hash of the row number, so the same options always give the same data. The org tree is a
 * complete tree numbered breadth-first, which makes every placement plain arithmetic:
 *
 * - unit `i` (i > 1) has parent `(i - 2) / b + 1`, where `b` is the branching factor;
 * - user `i` for `i ≤ units` heads unit `i`: the director at the root, a regional manager on each
 *   level-2 unit, a supervisor on every deeper unit;
 * - then one each of finance, legal, support, marketing, analyst, admin and auditor;
 * - every remaining user is a sales rep in a leaf unit (round robin), and owns customers.
 *
 * Beside customers, contacts and grants: three follow-ups per customer (by its owner), one contract per
 * customer at stage contract or won, and one project per ten users (four in five open), each with three
 * reps as members and twenty customers.
 */
import { Presets, SingleBar } from "cli-progress";
import type { ClientBase } from "pg";
import { pauseAudit } from "..";
import { crm } from "./roles";
import { isSeeded } from "./seed";

/** Sizes of the generated data set. */
export interface GenerateOptions {
  customers: number;
  /** Total users, including the unit heads and staff; at least `units + 8`. */
  users: number;
  /** Levels of the org tree, root included (≥ 2). Default 6. */
  depth?: number;
  /** Rows in `crm.access_grants`; about one in six is already expired. */
  grants: number;
  /** Changes every generated value; same seed, same data. Default 1. */
  seed?: number;
  /** Draw a progress bar (stderr), one step per batch. */
  progress?: boolean;
}

/** The shape the generator chose. */
export interface GeneratedShape {
  branching: number;
  units: number;
  leaves: number;
  reps: number;
}

const BATCH_SIZE = 50_000;
/** Every table the generator fills, for `analyze` (and the benchmark's `vacuum`). */
export const GENERATED_TABLES = [
  "crm.org_units",
  "crm.users",
  "crm.user_roles",
  "crm.customers",
  "crm.contacts",
  "crm.access_grants",
  "crm.follow_ups",
  "crm.contracts",
  "crm.projects",
  "crm.project_members",
  "crm.project_customers",
] as const;
const FOLLOW_UPS_PER_CUSTOMER = 3;
const PROJECT_MEMBERS = 3;
const PROJECT_CUSTOMERS = 20;
/** One project per ten users. */
const projectCount = (users: number) => Math.floor(users / 10);
const STAFF_ROLES = ["finance", "legal", "support", "marketing", "analyst", "admin", "auditor"] as const;
const MIDDLE_LEVEL_LABELS = ["Area", "District", "Branch", "Section"];

/**
 * Fills an empty, migrated CRM database with generated data, then analyzes the tables. Runs in one
 * transaction, with the audit trail paused (the pause itself is recorded); refuses a database whose
 * `crm.users` already has rows. Run it as the owner or a superuser.
 *
 * @example
 * const shape = await generateData(client, { customers: 1_000_000, users: 10_000, grants: 20_000, progress: true });
 * // shape: { branching: 4, units: 1365, leaves: 1024, reps: 8628 }
 */
export async function generateData(client: ClientBase, options: GenerateOptions): Promise<GeneratedShape> {
  const { customers, users, grants, depth = 6, seed = 1, progress = false } = options;
  const tree = planTree(users, depth);
  const shape: GeneratedShape = {
    branching: tree.branching,
    units: tree.units,
    leaves: tree.leafCount,
    reps: users - tree.units - STAFF_ROLES.length,
  };
  check(customers, users, grants, seed, shape);
  if (await isSeeded(client)) {
    throw new Error("generateData: crm.users already has rows; generate into an empty database");
  }

  const batches = [
    ...ranges("customers", customers, (lo, hi) => insertCustomers(client, { lo, hi, seed, tree, shape })),
    ...ranges("contacts", customers, (lo, hi) => insertContacts(client, lo, hi, seed)),
    ...ranges("grants", grants, (lo, hi) => insertGrants(client, { lo, hi, seed, tree, shape, customers })),
    ...ranges("follow-ups", customers, (lo, hi) => insertFollowUps(client, lo, hi, seed)),
    ...ranges("contracts", customers, (lo, hi) => insertContracts(client, lo, hi, seed)),
    ...ranges("projects", projectCount(users), (lo, hi) => insertProjects(client, { lo, hi, seed, tree, shape, customers })),
  ];
  const bar = progress
    ? new SingleBar({ format: "generate [{bar}] {value}/{total} batches | {phase}" }, Presets.shades_classic)
    : null;

  await client.query("begin");
  try {
    // one audit row says a bulk load ran, instead of one per generated row
    await pauseAudit(client, crm, `generate: ${customers} customers, ${users} users, ${grants} grants (seed ${seed})`);
    await client.query(HASH_FUNCTION);
    await insertUnits(client, tree);
    await insertUsers(client, tree, users);
    bar?.start(batches.length, 0, { phase: "" });
    for (const batch of batches) {
      bar?.update({ phase: batch.phase });
      await batch.run();
      bar?.increment();
    }
    await client.query(RESET_IDENTITIES);
    await client.query("drop function pg_temp.gh_hash(bigint, text, bigint)");
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    bar?.stop();
  }
  await client.query(`analyze ${GENERATED_TABLES.join(", ")}`);
  return shape;
}

/** A complete tree: `levels[L - 1]` is the id range of level L (root = level 1). */
interface Tree {
  branching: number;
  levels: { first: number; last: number }[];
  units: number;
  leafFirst: number;
  leafCount: number;
  /** Leaves under each level-2 unit (region). */
  leavesPerRegion: number;
}

/** Picks the branching factor that gives roughly `users / 10` leaf units at the given depth. */
function planTree(users: number, depth: number): Tree {
  if (!Number.isInteger(depth) || depth < 2) throw new Error(`generateData: depth must be an integer ≥ 2, got ${depth}`);
  const branching = Math.max(2, Math.round((users / 10) ** (1 / (depth - 1))));
  const levels: Tree["levels"] = [];
  let first = 1;
  for (let level = 1; level <= depth; level++) {
    const size = branching ** (level - 1);
    levels.push({ first, last: first + size - 1 });
    first += size;
  }
  const leaves = levels[depth - 1];
  return {
    branching,
    levels,
    units: leaves.last,
    leafFirst: leaves.first,
    leafCount: leaves.last - leaves.first + 1,
    leavesPerRegion: branching ** (depth - 2),
  };
}

function check(customers: number, users: number, grants: number, seed: number, shape: GeneratedShape): void {
  for (const [name, value] of Object.entries({ customers, users, grants, seed })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`generateData: ${name} must be a non-negative integer`);
  }
  if (shape.reps < 1) {
    throw new Error(`generateData: ${users} users cannot staff ${shape.units} units; need at least ${users - shape.reps + 1}`);
  }
  if (grants > 0 && customers === 0) throw new Error("generateData: grants need customers to point at");
}

interface Batch {
  phase: string;
  run: () => Promise<void>;
}

/** Splits 1..count into batches of BATCH_SIZE row numbers. */
function ranges(phase: string, count: number, run: (lo: number, hi: number) => Promise<void>): Batch[] {
  const batches: Batch[] = [];
  for (let lo = 1; lo <= count; lo += BATCH_SIZE) {
    const hi = Math.min(count, lo + BATCH_SIZE - 1);
    batches.push({ phase, run: () => run(lo, hi) });
  }
  return batches;
}

/**
 * gh_hash(seed, salt, n): a deterministic 48-bit pseudo-random number for row n. Different salts give
 * independent draws for the same row. Temporary (pg_temp), dropped before commit. Its body uses only
 * immutable operators (hence the ::text casts), so the planner inlines it.
 */
const HASH_FUNCTION = `
  create function pg_temp.gh_hash(seed bigint, salt text, n bigint) returns bigint
  language sql immutable parallel safe
  as $$ select ('x' || substr(md5(seed::text || ':' || salt || ':' || n::text), 1, 12))::bit(48)::bigint $$`;

async function insertUnits(client: ClientBase, tree: Tree): Promise<void> {
  await client.query(`insert into crm.org_units (id, parent_id, name) overriding system value values (1, null, 'Acme')`);
  for (let level = 2; level <= tree.levels.length; level++) {
    const { first, last } = tree.levels[level - 1];
    await client.query(
      `insert into crm.org_units (id, parent_id, name) overriding system value
       select g, (g - 2) / $3 + 1, $4::text || ' ' || g
       from generate_series($1::bigint, $2::bigint) as g`,
      [first, last, tree.branching, levelLabel(level, tree.levels.length)],
    );
  }
}

/** Reps come after the unit heads and the staff. */
function firstRepId(tree: Tree): number {
  return tree.units + STAFF_ROLES.length + 1;
}

function levelLabel(level: number, depth: number): string {
  if (level === 2) return "Region";
  if (level === depth) return "Team";
  return MIDDLE_LEVEL_LABELS[level - 3] ?? `Level-${level}`;
}

/** Users 1..units head their unit; then the staff; then the sales reps, round robin over the leaves. */
async function insertUsers(client: ClientBase, tree: Tree, users: number): Promise<void> {
  const repFirst = firstRepId(tree);
  await client.query(
    `with plan as (
       select g as id,
              case when g = 1 then 'director'
                   when g <= $2 then 'regional_manager'
                   when g <= $3 then 'supervisor'
                   when g < $4 then ($5::text[])[g - $3]
                   else 'sales_rep' end as role,
              case when g <= $3 then g
                   when g < $4 then 1
                   else $6 + (g - $4) % $7 end as unit_id
       from generate_series(1::bigint, $1::bigint) as g
     ),
     inserted as (
       insert into crm.users (id, username, full_name, unit_id, created_at) overriding system value
       select id, role || '_' || id, 'User ' || id,
              case when role = 'analyst' then 2 else unit_id end, -- the analyst works for the first region
              timestamptz '2025-01-01T00:00:00Z'
       from plan
       returning id
     )
     insert into crm.user_roles (user_id, role)
     select id, role from plan join inserted using (id)`,
    [users, tree.levels[1].last, tree.units, repFirst, [...STAFF_ROLES], tree.leafFirst, tree.leafCount],
  );
}

interface CustomerBatch {
  lo: number;
  hi: number;
  seed: number;
  tree: Tree;
  shape: GeneratedShape;
}

/**
 * Customers lo..hi: ≈5% in the public pool (a random leaf unit), the rest owned by a random rep in the
 * rep's unit; ≈1% vip; stages mixed; ≈2% archived, ≈1% soft-deleted; ≈40% with marketing consent.
 */
async function insertCustomers(client: ClientBase, { lo, hi, seed, tree, shape }: CustomerBatch): Promise<void> {
  await client.query(
    `with draws as (
       select g as id,
              pg_temp.gh_hash($3, 'pool', g) % 100 < 5 as pooled,
              pg_temp.gh_hash($3, 'rep', g) % $4 as rep,
              pg_temp.gh_hash($3, 'leaf', g) % $6 as pool_leaf,
              pg_temp.gh_hash($3, 'tier', g) % 100 as tier_draw,
              pg_temp.gh_hash($3, 'stage', g) % 100 as stage_draw,
              pg_temp.gh_hash($3, 'life', g) % 100 as life_draw,
              pg_temp.gh_hash($3, 'consent', g) % 100 as consent_draw,
              pg_temp.gh_hash($3, 'industry', g) % 10 as industry_draw,
              pg_temp.gh_hash($3, 'contact', g) % 90 as contact_days,
              timestamptz '2024-01-01T00:00:00Z' + (pg_temp.gh_hash($3, 'created', g) % 730) * interval '1 day'
                as created_at
       from generate_series($1::bigint, $2::bigint) as g
     ),
     placed as (
       select d.*,
              case when pooled then null else $5 + rep end as owner_id,
              case when pooled then pool_leaf else rep % $6 end as leaf,
              case when stage_draw < 30 then 'lead' when stage_draw < 50 then 'qualified'
                   when stage_draw < 65 then 'negotiation' when stage_draw < 75 then 'contract'
                   when stage_draw < 90 then 'won' else 'lost' end as stage
       from draws as d
     )
     insert into crm.customers (id, name, industry, region, tier, stage, owner_id, unit_id, consent_marketing,
                                last_contacted_at, archived_at, deleted_at, created_at) overriding system value
     select id,
            'Customer ' || id,
            (array['Software', 'Retail', 'Food', 'Logistics', 'Healthcare', 'Finance', 'Media', 'Construction',
                   'Energy', 'Education'])[industry_draw + 1],
            'Region ' || (2 + leaf / $8),
            case when tier_draw = 0 then 'vip' else 'standard' end,
            stage,
            owner_id,
            $7 + leaf,
            consent_draw < 40,
            case when stage <> 'lead' then created_at + contact_days * interval '1 day' end,
            case when life_draw < 2 then created_at + interval '200 days' end,
            case when life_draw = 2 then created_at + interval '250 days' end,
            created_at
     from placed`,
    [lo, hi, seed, shape.reps, firstRepId(tree), tree.leafCount, tree.leafFirst, tree.leavesPerRegion],
  );
}

/** One contact for ≈60% of customers lo..hi; the contact's id is its customer's id. */
async function insertContacts(client: ClientBase, lo: number, hi: number, seed: number): Promise<void> {
  await client.query(
    `insert into crm.contacts (id, customer_id, full_name, phone, email, id_number) overriding system value
     select g, g, 'Contact ' || g,
            '+1-555-' || lpad((pg_temp.gh_hash($3, 'phone', g) % 10000000)::text, 7, '0'),
            'contact' || g || '@customer' || g || '.example',
            'ID-' || lpad((pg_temp.gh_hash($3, 'id_number', g) % 1000000000)::text, 9, '0')
     from generate_series($1::bigint, $2::bigint) as g
     where pg_temp.gh_hash($3, 'has_contact', g) % 10 < 6`,
    [lo, hi, seed],
  );
}

interface GrantBatch extends CustomerBatch {
  customers: number;
}

/**
 * Grants lo..hi: a random rep gets select (or, one in five, update) on a random customer, granted by the
 * supervisor of the rep's unit (user id = unit id); expiries spread from 10 days ago to 50 days ahead.
 */
async function insertGrants(client: ClientBase, { lo, hi, seed, tree, shape, customers }: GrantBatch): Promise<void> {
  await client.query(
    `insert into crm.access_grants (id, grantee_id, "table", row_id, privilege, expires_at, granted_by, reason,
                                    created_at) overriding system value
     select g, $5 + rep, 'customers', 1 + pg_temp.gh_hash($3, 'grant_row', g) % $4,
            case when pg_temp.gh_hash($3, 'grant_privilege', g) % 5 = 0 then 'update' else 'select' end,
            now() + (pg_temp.gh_hash($3, 'grant_expiry', g) % 60 - 10) * interval '1 day',
            $6 + rep % $7, 'Generated grant ' || g, timestamptz '2026-01-01T00:00:00Z'
     from generate_series($1::bigint, $2::bigint) as g,
          lateral (select pg_temp.gh_hash($3, 'grantee', g) % $8 as rep) as r`,
    [lo, hi, seed, customers, firstRepId(tree), tree.leafFirst, tree.leafCount, shape.reps],
  );
}

/** Three follow-ups for each customer lo..hi, written by its owner (a pool customer's by the first rep); ids 3c-2..3c. */
async function insertFollowUps(client: ClientBase, lo: number, hi: number, seed: number): Promise<void> {
  await client.query(
    `insert into crm.follow_ups (id, customer_id, author_id, body, created_at) overriding system value
     select (c.id - 1) * $3 + n, c.id, coalesce(c.owner_id, (select min(user_id) from crm.user_roles where role = 'sales_rep')),
            'Follow-up ' || n || ' on customer ' || c.id,
            c.created_at + (pg_temp.gh_hash($4, 'follow_up', (c.id - 1) * $3 + n) % 300) * interval '1 day'
     from crm.customers c, generate_series(1, $3) as n
     where c.id between $1 and $2`,
    [lo, hi, FOLLOW_UPS_PER_CUSTOMER, seed],
  );
}

/** One contract for each customer lo..hi at stage contract or won; the contract's id is its customer's id. */
async function insertContracts(client: ClientBase, lo: number, hi: number, seed: number): Promise<void> {
  await client.query(
    `insert into crm.contracts (id, customer_id, amount, stage, payment_status) overriding system value
     select c.id, c.id, 1000 + pg_temp.gh_hash($3, 'amount', c.id) % 99000,
            case when c.stage = 'contract' then 'review' else 'active' end,
            (array['pending', 'invoiced', 'paid', 'overdue'])[1 + pg_temp.gh_hash($3, 'payment', c.id) % 4]
     from crm.customers c
     where c.id between $1 and $2 and c.stage in ('contract', 'won')`,
    [lo, hi, seed],
  );
}

/** Projects lo..hi (four in five open), each with three random reps and twenty random customers. */
async function insertProjects(client: ClientBase, { lo, hi, seed, tree, shape, customers }: GrantBatch): Promise<void> {
  await client.query(
    `insert into crm.projects (id, name, status) overriding system value
     select g, 'Project ' || g, case when g % 5 = 0 then 'closed' else 'open' end from generate_series($1::bigint, $2::bigint) as g`,
    [lo, hi],
  );
  await client.query(
    `insert into crm.project_members (project_id, user_id)
     select g, $5 + pg_temp.gh_hash($3, 'member', g * 100 + n) % $4
     from generate_series($1::bigint, $2::bigint) as g, generate_series(1, $6) as n
     on conflict do nothing`,
    [lo, hi, seed, shape.reps, firstRepId(tree), PROJECT_MEMBERS],
  );
  if (customers === 0) return;
  await client.query(
    `insert into crm.project_customers (project_id, customer_id)
     select g, 1 + pg_temp.gh_hash($3, 'project_customer', g * 100 + n) % $4
     from generate_series($1::bigint, $2::bigint) as g, generate_series(1, $5) as n
     on conflict do nothing`,
    [lo, hi, seed, customers, PROJECT_CUSTOMERS],
  );
}

/** Moves identity sequences past the explicit ids (a NULL max leaves a sequence untouched). */
const RESET_IDENTITIES = `
  select setval(pg_get_serial_sequence('crm.org_units', 'id'), (select max(id) from crm.org_units)),
         setval(pg_get_serial_sequence('crm.users', 'id'), (select max(id) from crm.users)),
         setval(pg_get_serial_sequence('crm.customers', 'id'), (select max(id) from crm.customers)),
         setval(pg_get_serial_sequence('crm.contacts', 'id'), (select max(id) from crm.contacts)),
         setval(pg_get_serial_sequence('crm.access_grants', 'id'), (select max(id) from crm.access_grants)),
         setval(pg_get_serial_sequence('crm.follow_ups', 'id'), (select max(id) from crm.follow_ups)),
         setval(pg_get_serial_sequence('crm.contracts', 'id'), (select max(id) from crm.contracts)),
         setval(pg_get_serial_sequence('crm.projects', 'id'), (select max(id) from crm.projects))`;
