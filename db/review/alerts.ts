import type { ClientBase } from "pg";
import { ACTIVITY } from "../compile/emit/activity";
import { AUDIT } from "../compile/emit/audit";
import { EXPORTS } from "../compile/emit/exports";
import { POOL_CLAIMS_TABLE } from "../compile/emit/public-pool";
import type { AppDefinition } from "../policy/define";
import { literal, sql, toDdl, type SQL } from "../sql/ddl";
import { appRoleOf, readDirectory, toolkitTable, type Directory } from "./directory";
import { ALERT_METRICS, type AlertMetric, type AlertSettings } from "./settings";

/** One user whose volume of one metric in the window is out of line. */
export interface Alert {
  readonly metric: AlertMetric;
  readonly userId: string;
  readonly username: string;
  /** The unprefixed app role whose users they are compared with. */
  readonly role: string;
  readonly value: number;
  /** The median of that role's users (active users holding it, and anyone who acted in it), zeros included. */
  readonly median: number;
  /** `multiple`: above multiple × median (and at least the minimum); `limit`: above the absolute limit. */
  readonly reason: "multiple" | "limit";
  readonly threshold: number;
  readonly message: string;
}

/** What `gatehouse alerts` found, and what it could count. */
export interface AlertReport {
  readonly settings: AlertSettings;
  readonly alerts: readonly Alert[];
  /** Metrics this database cannot count (the app has no exports, pools or audit trail, or the table is missing), with why. */
  readonly unavailable: readonly { readonly metric: AlertMetric; readonly why: string }[];
}

interface Count {
  user_id: string;
  acting_role: string;
  n: number;
}

const WORDS: Record<AlertMetric, string> = {
  requests: "API requests",
  exports: "exports",
  reveals: "reveals",
  claims: "pool claims",
  bulk_updates: "bulk updates",
};

/** Per metric, the query counting each user's events in the window (`$1`: the window in seconds), or why it cannot. */
async function metricQueries(
  client: ClientBase,
  app: AppDefinition,
  settings: AlertSettings,
): Promise<Record<AlertMetric, SQL | string>> {
  const since = sql`pg_catalog.now() - pg_catalog.make_interval(secs => $1)`;
  const activity = await toolkitTable(client, app, ACTIVITY.table);
  const exports = await toolkitTable(client, app, EXPORTS.table);
  const audit = app.audit ? await toolkitTable(client, app, AUDIT.table) : null;
  const claims = app.pools.length ? await toolkitTable(client, app, POOL_CLAIMS_TABLE) : null;
  const { userRoles } = app.identity;
  const noAudit = app.audit ? "the audit trail is not in the database (run gatehouse migrate)" : "the app has no audit trail";
  return {
    requests: activity
      ? sql`select a.user_id::text, a.acting_role::text, pg_catalog.sum(a.requests)::int as n from ${activity} a
   where a.hour > ${since} - interval '1 hour' group by 1, 2`
      : "the activity record is not in the database (run gatehouse migrate)",
    exports: exports
      ? sql`select e.user_id::text, e.acting_role::text, pg_catalog.count(*)::int as n from ${exports} e
   where e.started_at > ${since} group by 1, 2`
      : "the app has no exports",
    reveals: audit
      ? sql`select l.user_id::text, l.acting_role::text, pg_catalog.count(*)::int as n from ${audit} l
   where l.operation = 'reveal' and l.user_id is not null and l.at > ${since} group by 1, 2`
      : noAudit,
    claims: claims
      ? sql`select c.user_id::text, r.${sql.identifier(userRoles.role)}::text as acting_role, pg_catalog.count(*)::int as n
    from ${claims} c join ${sql.identifier(app.schema, userRoles.table)} r on r.${sql.identifier(userRoles.user)} = c.user_id
   where c.action = 'claim' and c.at > ${since} group by 1, 2`
      : "the app has no public pool",
    bulk_updates: audit
      ? sql`select b.user_id::text, b.acting_role::text, pg_catalog.count(*)::int as n from (
    select l.user_id, l.acting_role from ${audit} l
     where l.operation in ('update', 'delete') and l.user_id is not null and l.at > ${since}
     group by l.txid, l.user_id, l.acting_role, l.table_name
    having pg_catalog.count(*) > ${literal(settings.bulkRows)}) b group by 1, 2`
      : noAudit,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Counts, per user and role, the window's API requests (the server's activity record), exports, reveals, pool
 * claims and bulk updates (one transaction updating or deleting more than `bulkRows` rows of one table, from the
 * audit trail), and flags a user whose count is above `multiple` × the median of their role's users (and at least
 * `minimum`), or above a metric's absolute limit. A role's users are its active holders and anyone who acted in it;
 * those without events count as 0. Run as the owner or a superuser.
 *
 * @example
 * const { alerts } = await readAlerts(client, app, alertSettings(undefined));
 * // [{ metric: "reveals", username: "nurse_ben", role: "nurse", value: 40, median: 2, reason: "multiple", … }]
 */
export async function readAlerts(
  client: ClientBase,
  app: AppDefinition,
  settings: AlertSettings,
  directory?: Directory,
): Promise<AlertReport> {
  const dir = directory ?? (await readDirectory(client, app));
  const queries = await metricQueries(client, app, settings);
  const alerts: Alert[] = [];
  const unavailable: { metric: AlertMetric; why: string }[] = [];
  for (const metric of ALERT_METRICS) {
    const query = queries[metric];
    if (typeof query === "string") {
      unavailable.push({ metric, why: query });
      continue;
    }
    const { rows } = await client.query<Count>(toDdl(query), [settings.windowSeconds]);
    const byRole = new Map<string, Map<string, number>>();
    const group = (role: string) => byRole.get(role) ?? byRole.set(role, new Map()).get(role)!;
    for (const u of dir.users) if (u.active) for (const role of u.roles) group(role).set(u.id, 0);
    for (const r of rows) {
      const users = group(appRoleOf(app, dir, r.acting_role));
      users.set(r.user_id, (users.get(r.user_id) ?? 0) + r.n);
    }
    const limit = settings.limits[metric];
    for (const [role, users] of [...byRole].sort(([a], [b]) => a.localeCompare(b))) {
      const mid = median([...users.values()]);
      for (const [userId, value] of users) {
        const username = dir.byId.get(userId)?.username ?? userId;
        const words = `${username} (${role}): ${value} ${WORDS[metric]} in ${settings.window}`;
        const alert = (reason: Alert["reason"], threshold: number, why: string) =>
          alerts.push({ metric, userId, username, role, value, median: mid, reason, threshold, message: `${words}, ${why}` });
        if (limit !== undefined && value > limit) alert("limit", limit, `above the limit of ${limit}`);
        else if (value >= settings.minimum && value > settings.multiple * mid)
          alert("multiple", settings.multiple * mid, `over ${settings.multiple} × the median of ${role} (${mid})`);
      }
    }
  }
  alerts.sort((a, b) => ALERT_METRICS.indexOf(a.metric) - ALERT_METRICS.indexOf(b.metric) || b.value - a.value);
  return { settings, alerts, unavailable };
}
