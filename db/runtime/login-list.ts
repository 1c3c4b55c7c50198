import type { ClientBase } from "pg";
import type { AppDefinition } from "../policy/define";
import { sql, toDdl } from "../sql/ddl";

/** One role-bound login as `gatehouse login list` shows it. */
export interface LoginStatus {
  readonly login: string;
  /** The mapped user's username, when the identity config names a username column; else null. */
  readonly username: string | null;
  readonly userId: string;
  readonly role: string;
  /** The role may log in (not NOLOGIN, and it exists). */
  readonly enabled: boolean;
  /** Sessions open now (`pg_stat_activity`). */
  readonly sessions: number;
  /** The latest state change or start of an open session; null when none is open (PostgreSQL keeps no history). */
  readonly lastActivity: Date | null;
  /** Recorded in the logins table; null for a login made before these columns existed. */
  readonly createdAt: Date | null;
  readonly rotatedAt: Date | null;
  readonly disabledAt: Date | null;
}

/**
 * Every login mapped in `<toolkit schema>.logins`, by name, with whether it may log in, its open sessions now
 * and the times recorded for it. Run as an administrator (it reads the mapping past row security, and other
 * roles' sessions in `pg_stat_activity`).
 *
 * @example
 * const [eve] = await listLogins(client, app); // { login: "clinic_login_eve", username: "eve", role: "researcher", enabled: true, sessions: 0, … }
 */
export async function listLogins(client: ClientBase, app: AppDefinition): Promise<LoginStatus[]> {
  const { users } = app.identity;
  const username = users.username
    ? sql`(select u.${sql.identifier(users.username)}::text from ${sql.identifier(app.schema, users.table)} u
         where u.${sql.identifier(users.id)}::text = l.user_id::text)`
    : sql`null::text`;
  const { rows } = await client.query(
    toDdl(sql`select l.login, ${username} as username, l.user_id::text as user_id, l.role,
       coalesce(r.rolcanlogin, false) as enabled,
       (select count(*) from pg_catalog.pg_stat_activity a where a.usename = l.login)::int as sessions,
       (select max(coalesce(a.state_change, a.backend_start)) from pg_catalog.pg_stat_activity a where a.usename = l.login) as last_activity,
       l.created_at, l.rotated_at, l.disabled_at
  from ${sql.identifier(app.toolkitSchema, "logins")} l
  left join pg_catalog.pg_roles r on r.rolname = l.login
 order by l.login`),
  );
  return rows.map((r) =>
    Object.freeze({
      login: r.login,
      username: r.username,
      userId: r.user_id,
      role: r.role,
      enabled: r.enabled,
      sessions: r.sessions,
      lastActivity: r.last_activity,
      createdAt: r.created_at,
      rotatedAt: r.rotated_at,
      disabledAt: r.disabled_at,
    }),
  );
}
