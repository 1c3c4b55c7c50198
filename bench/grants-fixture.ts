import type { Client } from "pg";
import { BENCH_GRANT_REASON, type BenchPersona } from "./personas";

/** How many live grants the "rep holding many grants" case gives its rep. */
export const MANY_GRANTS = 1_000;

/**
 * Gives `grantee` {@link MANY_GRANTS} live select grants on customers spread over the table (granted by
 * the head of their unit, valid 20 days from now), replacing the ones an earlier run gave: every run
 * starts from grants that are live whatever the age of the reused database.
 *
 * @example
 * await giveManyGrants(root, grantee, 1_000_000);
 */
export async function giveManyGrants(root: Client, grantee: BenchPersona, customers: number): Promise<void> {
  await root.query(`delete from crm.access_grants where reason = $1`, [BENCH_GRANT_REASON]);
  await root.query(
    `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason, created_at)
     select $1, 'customers', 1 + (n * 7919) % $3, 'select', now() + interval '20 days', $2, $4, now()
       from generate_series(1, $5) as n`,
    [grantee.userId, grantee.unitId, customers, BENCH_GRANT_REASON, MANY_GRANTS],
  );
  await root.query("analyze crm.access_grants");
}
