import type { ClientBase } from "pg";
import { compileAgainst } from "../apply/apply";
import { ACTIVITY } from "../compile/emit/activity";
import { AUDIT } from "../compile/emit/audit";
import { EXPORTS } from "../compile/emit/exports";
import { tableOf } from "../compile/plan";
import type { AppDefinition } from "../policy/define";
import { listLogins, type LoginStatus } from "../runtime/login-list";
import { sql, toDdl, type SQL } from "../sql/ddl";
import { readAlerts, type AlertReport } from "./alerts";
import { readDirectory, toolkitTable, type DirectoryUser } from "./directory";
import { personalData, type PersonalColumn } from "./personal-data";
import type { AlertSettings } from "./settings";

/** What `check` found, as the review summarises it: one line per difference between the database and the definitions. */
export interface DriftSummary {
  readonly items: readonly { readonly kind: string; readonly object: string; readonly message: string }[];
}

/** One temporary grant. */
export interface ReviewGrant {
  readonly id: string;
  readonly grantee: string;
  readonly table: string;
  readonly row: string;
  readonly privilege: string;
  readonly expiresAt: Date;
  readonly grantedBy: string | null;
  readonly reason: string | null;
}

/** A user and the latest trace of them, and where it was found. */
export interface UserActivity {
  readonly user: DirectoryUser;
  readonly lastActivity: Date | null;
  /** `api` (the server's hourly record), `audit` (a write, reveal or export in the audit trail), `export`, `session` (a login's open session). */
  readonly source: "api" | "audit" | "export" | "session" | null;
}

/** A role-bound login, with the latest write it made (the audit trail's `login`), where there is one. */
export interface ReviewLogin extends LoginStatus {
  readonly lastWrite: Date | null;
}

/** The periodic access review: what `gatehouse review` renders. */
export interface Review {
  readonly generatedAt: Date;
  readonly database: string;
  readonly inactiveDays: number;
  readonly users: readonly DirectoryUser[];
  /** Users who are not active but still hold a login that may log in, or a grant that has not expired. */
  readonly frozen: readonly {
    readonly user: DirectoryUser;
    readonly logins: readonly string[];
    readonly grants: readonly ReviewGrant[];
  }[];
  /** Active users with no trace newer than `inactiveDays`. */
  readonly inactive: readonly UserActivity[];
  readonly grants: {
    /** Expiring later than in 7 days. */
    readonly active: readonly ReviewGrant[];
    /** Expiring within 7 days. */
    readonly expiring: readonly ReviewGrant[];
    /** Expired within the last 30 days. */
    readonly expired: readonly ReviewGrant[];
  };
  readonly personal: readonly PersonalColumn[];
  readonly logins: readonly ReviewLogin[];
  /** Null: drift was not checked. */
  readonly drift: DriftSummary | null;
  readonly alerts: AlertReport;
}

/** Days ahead in which a live grant counts as expiring, and days back an expired grant is still listed. */
export const EXPIRING_DAYS = 7;
export const EXPIRED_SHOWN_DAYS = 30;

/**
 * Reads the access review from the database (as the owner or a superuser): users by role and unit, frozen users
 * still holding a login or a live grant, users inactive for more than `inactiveDays`, temporary grants, who reads
 * personal data raw or masked (from the definitions compiled against this database), role-bound logins, anomaly
 * alerts, and `drift` as given (null: not checked).
 *
 * @example
 * const review = await readReview(client, app, { inactiveDays: 90, alerts: alertSettings(config.alerts) });
 * renderReviewMarkdown(review);
 */
export async function readReview(
  client: ClientBase,
  app: AppDefinition,
  options: { inactiveDays: number; alerts: AlertSettings; drift?: DriftSummary },
): Promise<Review> {
  const { plan } = await compileAgainst(client, app);
  const directory = await readDirectory(client, app);
  const meta = (
    await client.query<{ now: Date; db: string }>("select pg_catalog.now() as now, pg_catalog.current_database() as db")
  ).rows[0]!;
  const grants = await readGrants(client, app, (name) => tableOf(plan, name), directory.byId);
  const logins = await readLogins(client, app);
  const activity = await lastActivity(client, app);
  const now = meta.now.getTime();
  const day = 86_400_000;
  const enabledLogins = (userId: string) => logins.filter((l) => l.userId === userId && l.enabled).map((l) => l.login);
  const live = grants.filter((g) => g.expiresAt.getTime() > now);
  const frozen = directory.users
    .filter((u) => !u.active)
    .map((user) => ({
      user,
      logins: enabledLogins(user.id),
      grants: live.filter((g) => g.granteeId === user.id).map(publicGrant),
    }))
    .filter((f) => f.logins.length || f.grants.length);
  const inactive = directory.users
    .filter((u) => u.active)
    .map((user): UserActivity => ({ user, ...(activity.get(user.id) ?? { lastActivity: null, source: null }) }))
    .filter((a) => a.lastActivity === null || a.lastActivity.getTime() < now - options.inactiveDays * day);
  return {
    generatedAt: meta.now,
    database: meta.db,
    inactiveDays: options.inactiveDays,
    users: directory.users,
    frozen,
    inactive,
    grants: {
      active: live.filter((g) => g.expiresAt.getTime() > now + EXPIRING_DAYS * day).map(publicGrant),
      expiring: live.filter((g) => g.expiresAt.getTime() <= now + EXPIRING_DAYS * day).map(publicGrant),
      expired: grants
        .filter((g) => g.expiresAt.getTime() <= now && g.expiresAt.getTime() > now - EXPIRED_SHOWN_DAYS * day)
        .map(publicGrant),
    },
    personal: personalData(plan),
    logins,
    drift: options.drift ?? null,
    alerts: await readAlerts(client, app, options.alerts, directory),
  };
}

type GrantRow = ReviewGrant & { readonly granteeId: string };
const publicGrant = ({ granteeId: _id, ...grant }: GrantRow): ReviewGrant => grant;

async function readGrants(
  client: ClientBase,
  app: AppDefinition,
  table: (name: string) => { key: string },
  users: ReadonlyMap<string, DirectoryUser>,
): Promise<GrantRow[]> {
  const g = app.identity.grants;
  if (!g) return [];
  const c = (name: string | undefined) => (name ? sql`g.${sql.identifier(name)}::text` : sql`null::text`);
  const { rows } = await client.query<{
    id: string;
    grantee: string;
    table: string;
    row: string;
    privilege: string;
    expires_at: Date;
    granted_by: string | null;
    reason: string | null;
  }>(
    toDdl(sql`select ${c(table(g.table).key)} as id, ${c(g.grantee)} as grantee, ${c(g.tableName)} as table, ${c(g.row)} as row,
       ${c(g.privilege)} as privilege, g.${sql.identifier(g.expires)} as expires_at, ${c(g.grantedBy)} as granted_by, ${c(g.reason)} as reason
  from ${sql.identifier(app.schema, g.table)} g
 order by g.${sql.identifier(g.expires)}, 1`),
  );
  const name = (id: string | null) => (id === null ? null : (users.get(id)?.username ?? id));
  return rows.map((r) => ({
    id: r.id,
    granteeId: r.grantee,
    grantee: name(r.grantee)!,
    table: r.table,
    row: r.row,
    privilege: r.privilege,
    expiresAt: r.expires_at,
    grantedBy: name(r.granted_by),
    reason: r.reason,
  }));
}

async function readLogins(client: ClientBase, app: AppDefinition): Promise<ReviewLogin[]> {
  if (!(await toolkitTable(client, app, "logins"))) return [];
  const logins = await listLogins(client, app);
  const audit = app.audit ? await toolkitTable(client, app, AUDIT.table) : null;
  const writes = new Map<string, Date>();
  if (audit && logins.length) {
    const { rows } = await client.query<{ login: string; at: Date }>(
      toDdl(sql`select l.login::text, pg_catalog.max(l.at) as at from ${audit} l where l.login = any ($1::name[]) group by 1`),
      [logins.map((l) => l.login)],
    );
    for (const r of rows) writes.set(r.login, r.at);
  }
  return logins.map((l) => ({ ...l, lastWrite: writes.get(l.login) ?? null }));
}

/**
 * Each user's latest trace: the server's hourly activity record, the audit trail (writes, reveals and exports by
 * any channel, role-bound logins included), exports, and the open sessions of their logins. PostgreSQL keeps no
 * history of a login's reads, so a login that only reads shows only while a session is open.
 */
async function lastActivity(client: ClientBase, app: AppDefinition): Promise<Map<string, Omit<UserActivity, "user">>> {
  const sources: SQL[] = [];
  const activity = await toolkitTable(client, app, ACTIVITY.table);
  if (activity)
    sources.push(sql`select a.user_id::text, pg_catalog.max(a.hour) as at, 'api' as source from ${activity} a group by 1`);
  const audit = app.audit ? await toolkitTable(client, app, AUDIT.table) : null;
  if (audit)
    sources.push(
      sql`select l.user_id::text, pg_catalog.max(l.at) as at, 'audit' as source from ${audit} l where l.user_id is not null group by 1`,
    );
  const exports = await toolkitTable(client, app, EXPORTS.table);
  if (exports)
    sources.push(
      sql`select e.user_id::text, pg_catalog.max(e.started_at) as at, 'export' as source from ${exports} e group by 1`,
    );
  const logins = await toolkitTable(client, app, "logins");
  if (logins)
    sources.push(sql`select l.user_id::text, pg_catalog.max(coalesce(s.state_change, s.backend_start)) as at, 'session' as source
  from ${logins} l join pg_catalog.pg_stat_activity s on s.usename = l.login group by 1`);
  const found = new Map<string, Omit<UserActivity, "user">>();
  if (sources.length === 0) return found;
  const { rows } = await client.query<{ user_id: string; at: Date; source: UserActivity["source"] }>(
    toDdl(sql`select distinct on (t.user_id) t.user_id, t.at, t.source from (${sql.join(sources, "\n union all ")}) t
 where t.at is not null order by t.user_id, t.at desc`),
  );
  for (const r of rows) found.set(r.user_id, { lastActivity: r.at, source: r.source });
  return found;
}
