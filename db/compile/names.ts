import type { AppDefinition } from "../policy/define";
import type { Command } from "../policy/roles";
import type { Plan } from "./plan";
import { sql, type SQL } from "../sql/ddl";

/** The database role of an app role: the prefix plus its name. */
export const roleName = (app: AppDefinition, role: string): string => `${app.rolePrefix}${role}`;

/** Identifiers of an app's roles, tables and helpers already built: each recurs in thousands of statements. */
const identifiers = new WeakMap<AppDefinition, Record<"role" | "table" | "helper", Map<string, SQL>>>();

function identifierOf(app: AppDefinition, kind: "role" | "table" | "helper", name: string, make: () => SQL): SQL {
  let known = identifiers.get(app);
  if (!known) identifiers.set(app, (known = { role: new Map(), table: new Map(), helper: new Map() }));
  let ident = known[kind].get(name);
  if (!ident) known[kind].set(name, (ident = make()));
  return ident;
}

export const roleIdent = (app: AppDefinition, role: string): SQL =>
  identifierOf(app, "role", role, () => sql.identifier(roleName(app, role)));

/**
 * The schema of one app role's `select *` views (`<app schema>_<role>`, e.g. `clinic_nurse`): first on the
 * search_path of that role's logins, so a BI tool's `select * from patients` reads exactly what the role may.
 */
export const roleSchemaName = (app: AppDefinition, role: string): string => `${app.schema}_${role}`;

export const tableIdent = (app: AppDefinition, table: string): SQL =>
  identifierOf(app, "table", table, () => sql.identifier(app.schema, table));

export const helperIdent = (app: AppDefinition, helper: string): SQL =>
  identifierOf(app, "helper", helper, () => sql.identifier(app.toolkitSchema, helper));

/** Every role a request can act in: the app's roles and the anonymous role, unprefixed. */
export const requestRoles = (plan: Plan): string[] => [...plan.roles.map((r) => r.name), plan.app.anonymous];

/**
 * The role a masking view runs as, unprefixed (`view_<view>`, e.g. `view_research_export`; in the database
 * `clinic_view_research_export`): a dedicated NOLOGIN, NOINHERIT, non-superuser role that owns only that view, holds
 * exactly the view's reach on its base table, and is granted to nobody. Its policies are named like a role's.
 *
 * @example
 * roleName(clinic, viewOwner("research_export")) // "clinic_view_research_export"
 */
export const viewOwner = (view: string): string => `view_${view}`;

/** Permissive policies are named `<role>__<command>`. */
export const policyName = (role: string, command: Command): string => `${role}__${command}`;

/** Restrictive policies are named `restrict__<restriction>__<role>`. */
export const restrictiveName = (restriction: string, role: string): string => `restrict__${restriction}__${role}`;

/** The helper returning the row keys of a member set. */
export const memberHelper = (set: string): string => `member_${set}`;

/**
 * The array helper of a `via` under `policies: { sublinks: false }`: `via_<table>__<fk>`, ending in `__<hash>` (8 hex
 * digits of the table, command and scope) when the `via` has a condition on the parent or the name would pass 63
 * characters (cut to fit).
 *
 * @example
 * viaArrayHelper("appointments", "patient_id", "1a2b3c4d", false) // "via_appointments__patient_id"
 */
export const viaArrayHelper = (table: string, column: string, hash: string, conditioned: boolean): string => {
  const base = `via_${table}__${column}`;
  return conditioned || base.length > 63 ? `${base.slice(0, 63 - hash.length - 2)}__${hash}` : base;
};

/**
 * An array helper replacing an `exists (…)` on `table` under `policies: { sublinks: false }`: `keys_<table>__<hash>`
 * (8 hex digits of the table, key, command and condition), cut to fit 63 characters.
 *
 * @example
 * keyArrayHelper("patients", "1a2b3c4d") // "keys_patients__1a2b3c4d"
 */
export const keyArrayHelper = (table: string, hash: string): string =>
  `${`keys_${table}`.slice(0, 63 - hash.length - 2)}__${hash}`;

/** Identity and scope helpers installed into the toolkit schema. */
export const HELPERS = {
  userId: "current_user_id",
  unitId: "current_unit_id",
  unitTree: "current_unit_tree",
  treeUsers: "current_unit_tree_users",
  channel: "current_channel",
  granted: "granted_rows",
} as const;

/** Helpers that tell the calling role what it may read: its own privileges, nothing about rows. */
export const COLUMN_HELPERS = {
  resolve: "resolve_table",
  columnsFor: "columns_for",
  selectFor: "select_for",
} as const;

/** What `emit/guard.ts` installs: the holder guard's triggers and functions, and the owner check. */
export const GUARD = {
  before: "gatehouse_guard",
  after: "gatehouse_guard_moved",
  functionPrefix: "guard_",
  ownerFunction: "check_owner",
  ownerTriggerPrefix: "gatehouse_owner__",
} as const;

/**
 * The transaction-local setting that switches borrowed access off: set to `off`, temporary grants and
 * member sets reach nothing. It can only take access away; the holder guard uses it for one query.
 */
export const borrowedAccessSetting = (app: AppDefinition): string => `${app.toolkitSchema}.borrowed_access`;

/** What `emit/offboarding.ts` installs: the operations in the app schema, the preview's helpers in the toolkit schema. */
export const OFFBOARDING = {
  offboard: "offboard_user",
  preview: "offboarding_preview",
  rows: "offboarding_rows",
  users: "offboarding_users",
  transfer: "transfer_user",
  transferPreview: "transfer_preview",
} as const;

/**
 * The acting role inside generated SQL: the role a request set (`set local role`), else the session's own
 * login (a role-bound login) — what SECURITY DEFINER functions and triggers use, where `current_user` is the owner.
 */
export const ACTING_ROLE: SQL = sql`case when pg_catalog.current_setting('role') <> 'none' then pg_catalog.current_setting('role')::name else session_user end`;
