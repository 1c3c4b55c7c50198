import { withRolePrefix, type AppDefinition, role } from "../db";
import { crm, marketing } from "../db/crm/roles";

/** Cluster-wide role prefix of the export benchmark's app, apart from the demo's, the tests' and the other benchmark's. */
export const EXPORT_BENCH_ROLE_PREFIX = "bench_export_";

/** Marketing as the CRM defines it, without its daily quota (100,000 rows), so one export can hold a million rows. */
const unlimitedMarketing = role(marketing.name, { description: `${marketing.description}; no export quota (benchmark)` });

/**
 * The CRM for the export benchmark: every definition as in `db/crm/roles.ts` except marketing's export quota,
 * under {@link EXPORT_BENCH_ROLE_PREFIX}. Marketing is referred to only by the roles list and its export view.
 */
export const exportBenchApp: AppDefinition = withRolePrefix(
  Object.freeze({
    ...crm,
    roles: Object.freeze(crm.roles.map((r) => (r === marketing ? unlimitedMarketing : r))),
    views: Object.freeze(
      crm.views.map((v) =>
        Object.freeze({ ...v, roles: Object.freeze(v.roles.map((r) => (r === marketing ? unlimitedMarketing : r))) }),
      ),
    ),
  }),
  EXPORT_BENCH_ROLE_PREFIX,
);
