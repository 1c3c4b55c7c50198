import { readFileSync } from "node:fs";
import path from "node:path";
import type { PoolClient } from "pg";
import { compileAndApply, withRolePrefix, verifyAuditLog } from "../../db";
import { generateData, type GenerateOptions } from "../../db/crm/generate";
import { crm } from "../../db/crm/roles";
import { createTestDatabase, type TestDatabase } from "../../db/testing";

const SCHEMA_MIGRATION = path.join(__dirname, "../../migrations/committed/000001-crm-schema.sql");
const SMALL: GenerateOptions = { customers: 2_000, users: 100, depth: 4, grants: 50 };

/** A fresh database with the committed CRM schema migration applied (its header lines are comments). */
async function migratedDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.pool.query(readFileSync(SCHEMA_MIGRATION, "utf8"));
  return db;
}

async function withClient<T>(db: TestDatabase, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

const customersChecksum = (db: TestDatabase) =>
  db.pool
    .query<{ md5: string }>(`select md5(string_agg(c::text, '|' order by c.id)) from crm.customers c`)
    .then((result) => result.rows[0].md5);

const databases: TestDatabase[] = [];
let first: TestDatabase;

beforeAll(async () => {
  first = await migratedDatabase();
  databases.push(first);
});
afterAll(() => Promise.all(databases.map((db) => db.drop())));

test("generates exactly the requested counts, reporting the tree it chose", async () => {
  const shape = await withClient(first, (client) => generateData(client, SMALL));
  expect(shape).toEqual({ branching: 2, units: 15, leaves: 8, reps: 78 });
  const { rows } = await first.pool.query(
    `select (select count(*)::int from crm.customers) as customers, (select count(*)::int from crm.users) as users,
            (select count(*)::int from crm.access_grants) as grants, (select count(*)::int from crm.org_units) as units`,
  );
  expect(rows[0]).toEqual({ customers: 2_000, users: 100, grants: 50, units: 15 });
});

test("the org tree has the requested depth, one root and full levels", async () => {
  const { rows } = await first.pool.query(
    `with recursive tree as (
       select id, 1 as level from crm.org_units where parent_id is null
       union all
       select u.id, t.level + 1 from crm.org_units u join tree t on u.parent_id = t.id
     )
     select level, count(*)::int as units from tree group by level order by level`,
  );
  expect(rows).toEqual([
    { level: 1, units: 1 },
    { level: 2, units: 2 },
    { level: 3, units: 4 },
    { level: 4, units: 8 },
  ]);
});

test("roles: a director, a regional manager per region, a supervisor per deeper unit, mostly reps", async () => {
  const { rows } = await first.pool.query(`select role, count(*)::int as users from crm.user_roles group by role`);
  const byRole = Object.fromEntries(rows.map((r: { role: string; users: number }) => [r.role, r.users]));
  expect(byRole).toMatchObject({ director: 1, regional_manager: 2, supervisor: 12, sales_rep: 78 });
  expect(Object.values(byRole).reduce((a, b) => a + b, 0)).toBe(100);
});

test("customers: owned by a rep of their unit or in the pool, some vip, archived and deleted", async () => {
  const { rows } = await first.pool.query(
    `select count(*) filter (where c.owner_id is null)::int as pool,
            count(*) filter (where c.owner_id is not null and (r.role is distinct from 'sales_rep' or u.unit_id <> c.unit_id))::int as misplaced,
            count(*) filter (where c.tier = 'vip')::int as vip,
            count(*) filter (where c.archived_at is not null)::int as archived,
            count(*) filter (where c.deleted_at is not null)::int as deleted,
            count(distinct c.stage)::int as stages
     from crm.customers c
     left join crm.users u on u.id = c.owner_id
     left join crm.user_roles r on r.user_id = u.id`,
  );
  const stats = rows[0];
  expect(stats.misplaced).toBe(0);
  expect(stats.pool).toBeGreaterThan(40); // ≈5% of 2,000
  expect(stats.pool).toBeLessThan(160);
  expect(stats.vip).toBeGreaterThan(0);
  expect(stats.vip).toBeLessThan(60); // ≈1%
  expect(stats.archived).toBeGreaterThan(0);
  expect(stats.deleted).toBeGreaterThan(0);
  expect(stats.stages).toBe(6);
});

test("three follow-ups per customer by its owner, a contract per customer at contract or won, a project per ten users", async () => {
  const { rows } = await first.pool.query(
    `select (select count(*)::int from crm.follow_ups) as follow_ups,
            (select count(*)::int from crm.follow_ups f join crm.customers c on c.id = f.customer_id
              where f.author_id <> coalesce(c.owner_id, f.author_id)) as by_others,
            (select count(*)::int from crm.contracts) as contracts,
            (select count(*)::int from crm.customers where stage in ('contract', 'won')) as contract_stage,
            (select count(*)::int from crm.projects) as projects,
            (select count(*)::int from crm.projects where status = 'open') as open,
            (select count(*)::int from crm.project_members m join crm.user_roles r using (user_id) where r.role <> 'sales_rep') as non_reps,
            (select count(distinct project_id)::int from crm.project_customers) as with_customers`,
  );
  expect(rows[0]).toEqual({
    follow_ups: 6_000,
    by_others: 0,
    contracts: rows[0].contract_stage,
    contract_stage: expect.any(Number),
    projects: 10,
    open: 8,
    non_reps: 0,
    with_customers: 10,
  });
  expect(rows[0].contracts).toBeGreaterThan(300); // ≈25% of 2,000
});

test("is deterministic: the same options give the same customers, another seed does not", async () => {
  const again = await migratedDatabase();
  const reseeded = await migratedDatabase();
  databases.push(again, reseeded);
  await withClient(again, (client) => generateData(client, SMALL));
  await withClient(reseeded, (client) => generateData(client, { ...SMALL, seed: 2 }));
  const checksum = await customersChecksum(first);
  expect(await customersChecksum(again)).toBe(checksum);
  expect(await customersChecksum(reseeded)).not.toBe(checksum);
});

test("identity sequences continue after the generated ids", async () => {
  await withClient(first, async (client) => {
    await client.query("begin");
    try {
      const { rows } = await client.query(`insert into crm.customers (name, unit_id) values ('New', 1) returning id`);
      expect(rows[0].id).toBe("2001");
    } finally {
      await client.query("rollback");
    }
  });
});

test("refuses a database that already has users", async () => {
  await expect(withClient(first, (client) => generateData(client, SMALL))).rejects.toThrow(/already has rows/);
});

test("refuses too few users to staff the tree", async () => {
  await expect(withClient(first, (client) => generateData(client, { ...SMALL, users: 20 }))).rejects.toThrow(
    /cannot staff 15 units; need at least 23/,
  );
});

test("with the audit trail installed, the owner's generate pauses it: one recorded pause instead of a row per generated row", async () => {
  const audited = await migratedDatabase();
  databases.push(audited);
  const app = withRolePrefix(crm, `${audited.rolePrefix}crm_`);
  await withClient(audited, (client) => compileAndApply(client, app));
  await withClient(audited, (client) => generateData(client, SMALL));
  const { rows } = await audited.pool.query(
    "select id::int, acting_role::text = current_user as by_owner, table_name, operation, reason from gatehouse.audit_log order by id",
  );
  expect(rows).toEqual([
    {
      id: 1,
      by_owner: true,
      table_name: null,
      operation: "pause",
      reason: "generate: 2000 customers, 100 users, 50 grants (seed 1)",
    },
  ]);
  // the root check: the rows were written
  expect((await audited.pool.query("select count(*)::int as n from crm.customers")).rows).toEqual([{ n: 2_000 }]);
  expect(await withClient(audited, (client) => verifyAuditLog(client, app))).toEqual({
    intact: true,
    rows: 1,
    lastHash: expect.any(String),
  });
});
