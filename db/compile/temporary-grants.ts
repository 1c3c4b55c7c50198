import type { Catalog } from "../catalog/introspect";
import type { ColumnAccess } from "../policy/columns";
import type { AppDefinition } from "../policy/define";
import { parseDuration } from "../policy/grants";
import type { RoleDefinition } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { didYouMean } from "../policy/suggest";
import type { GrantNode, Plan } from "./plan";

/** What temporary grants as an operation (`defineApp({ grants })`) install. */
export const TEMPORARY_GRANTS = {
  /** In the app schema, so the API offers it to the granting roles: `grant_access(table_name, row_id, grantee_id, privilege, expires_at, reason)`. */
  grant: "grant_access",
  /** In the app schema: `revoke_access(grant_id)`. */
  revoke: "revoke_access",
  /**
   * In the app schema (SECURITY DEFINER, stable, so the API offers it to the granting roles as a query):
   * `grantable_users()`, the id and username of every user `grant_access` would accept as the grantee right now.
   */
  grantees: "grantable_users",
  /** Trigger function in the toolkit schema (SECURITY INVOKER): every rule a new grant or a revocation must meet. */
  check: "check_grant",
  trigger: "gatehouse_grant_check",
  /** Helper: users of the units strictly below the caller's own (whose grants the caller may revoke). */
  subunitUsers: "current_subunit_users",
  /** Helper: whether a user id is an active user (for a caller with an identity). */
  activeUser: "is_active_user",
  /** Permissive policies on the grants table: `grants__<role>__<command>`. */
  policyPrefix: "grants__",
} as const;

/** A role that may grant, and whether anywhere (any active user) or only within its own unit subtree. */
export interface GrantingRole {
  readonly role: string;
  readonly anywhere: boolean;
}

/**
 * The roles that may grant, in definition order: those listed in `grants.by` or `grants.anywhere` and every role
 * extending one of them (inheritance is flattened, as for rules and exemptions); `anywhere` wins.
 *
 * @example
 * grantingRoles(clinic); // [{ role: "chief", anywhere: false }, …, { role: "medical_director", anywhere: true }]
 */
export function grantingRoles(app: AppDefinition): GrantingRole[] {
  const grants = app.grants;
  if (!grants) return [];
  const reaches = (r: RoleDefinition, listed: readonly RoleDefinition[] = []) => lineageOf(r).some((a) => listed.includes(a));
  return app.roles.flatMap((r): GrantingRole[] =>
    reaches(r, grants.anywhere)
      ? [{ role: r.name, anywhere: true }]
      : reaches(r, grants.by)
        ? [{ role: r.name, anywhere: false }]
        : [],
  );
}

/** Whether a scope reads `granted()` on its own row (not on a parent it reaches through `via`). */
const readsGranted = (scope: Scope): boolean =>
  scope.kind === "granted" || ((scope.kind === "or" || scope.kind === "and") && scope.scopes.some(readsGranted));

/**
 * What a compile with `grants` needs from the live schema: `identity.grants` with its `grantedBy` and `reason`
 * columns, `identity.users.username` (the grantees' listing names them by it), a single-column key on the grants table and on every granted table, and a `granted()` scope reading
 * each granted table (else a grant there would open nothing). Each problem names the fix.
 *
 * @example
 * temporaryGrantProblems(app, catalog); // ["grants: identity.grants has no grantedBy: name the column that records who granted"]
 */
export function temporaryGrantProblems(app: AppDefinition, catalog: Catalog): string[] {
  const grants = app.grants;
  if (!grants) return [];
  const store = app.identity.grants;
  if (!store) return ["grants: temporary grants need identity.grants (the table they are kept in) in defineApp"];
  const problems: string[] = [];
  for (const key of ["grantedBy", "reason"] as const) {
    if (!store[key])
      problems.push(
        `grants: identity.grants has no ${key}: name the column that records ${key === "grantedBy" ? "who granted" : "why"}`,
      );
  }
  if (!app.identity.users.username)
    problems.push(
      `grants: identity.users has no username: name the column holding each user's unique name, so ${app.schema}.${TEMPORARY_GRANTS.grantees}() can list whom a caller may grant to`,
    );
  const table = catalog.tables.get(store.table);
  if (table?.kind === "table") {
    for (const column of [store.grantedBy, store.reason]) {
      if (column && !table.columns.some((c) => c.name === column))
        problems.push(
          `identity.grants: table ${store.table} has no column "${column}"${didYouMean(
            column,
            table.columns.map((c) => c.name),
          )}`,
        );
    }
    if (table.primaryKey.length !== 1)
      problems.push(`grants: table ${store.table} needs a single-column primary key: revoke_access names a grant by it`);
  }
  const tables = [...catalog.tables.values()].filter((t) => t.kind === "table").map((t) => t.name);
  const read = new Set<string>();
  for (const r of app.roles) {
    for (const [name, rules] of Object.entries(r.tables)) {
      for (const scope of [rules.select, rules.update?.using, rules.update?.check]) {
        if (scope) readsGranted(scope) && read.add(name);
      }
    }
  }
  for (const name of grants.tables) {
    const granted = catalog.tables.get(name);
    if (granted?.kind !== "table") {
      problems.push(`grants: schema ${app.schema} has no table "${name}"${didYouMean(name, tables)}`);
      continue;
    }
    if (granted.primaryKey.length !== 1)
      problems.push(`grants: table ${name} needs a single-column primary key: a grant names its row by it`);
    if (!read.has(name))
      problems.push(
        `grants: no role reads granted() on ${name}, so a grant there would open nothing: add granted("${granted.primaryKey[0] ?? "id"}") to a rule, or drop ${name} from grants.tables`,
      );
  }
  const prefixLength = Math.max(0, ...grantingRoles(app).map((g) => `${TEMPORARY_GRANTS.policyPrefix}${g.role}__select`.length));
  if (prefixLength > 63)
    problems.push(`grants: a policy name would be longer than 63 characters (${prefixLength}): shorten the role name`);
  return problems;
}

/**
 * The access matrix's section on temporary grants: who may grant what, on which tables, to whom, for how long,
 * and who may end a grant early.
 *
 * @example
 * lines.push(...temporaryGrantsMatrix(plan));
 */
export function temporaryGrantsMatrix(plan: Plan): string[] {
  const { app } = plan;
  const grants = app.grants;
  const store = app.identity.grants;
  if (!grants || !store) return [];
  const roles = grantingRoles(app);
  const by = roles.filter((r) => !r.anywhere).map((r) => r.role);
  const anywhere = roles.filter((r) => r.anywhere).map((r) => r.role);
  const duration = parseDuration(grants.maxDuration);
  const longest = typeof duration === "string" ? grants.maxDuration : duration.interval;
  const privileges = (grants.privileges ?? ["select", "update"]).join(" or ");
  const tables = grants.tables.join(", ");
  return [
    "## Temporary grants",
    "",
    `\`${app.schema}.${TEMPORARY_GRANTS.grant}(table_name, row_id, grantee_id, privilege, expires_at, reason)\` opens one row to one`,
    `user until \`expires_at\`, kept in \`${app.schema}.${store.table}\` and read by \`granted()\` scopes; \`${app.schema}.${TEMPORARY_GRANTS.revoke}(grant_id)\``,
    "ends it early. Both run with the caller's own rights.",
    `\`${app.schema}.${TEMPORARY_GRANTS.grantees}()\` lists the id and username of each user the caller may grant to now, by the`,
    "same rules as the grant (for the granting roles only; it runs as its owner and returns nothing else of a user).",
    "",
    "| role | may grant | on rows of | to | for at most |",
    "|---|---|---|---|---|",
    ...(by.length
      ? [`| ${by.join(", ")} | ${privileges} | ${tables} | active users of their unit and its sub-units | ${longest} |`]
      : []),
    ...(anywhere.length ? [`| ${anywhere.join(", ")} | ${privileges} | ${tables} | any active user | ${longest} |`] : []),
    "",
    "Only rows the granter sees (for update: may edit) themselves, without a grant or membership of their own, and only",
    "a privilege they hold on the table; never to themselves; always with a reason. A grant ends by itself at",
    "`expires_at`, by the clock, on the next statement. It may be ended early by its grantor, by a granting role whose",
    `unit is above the grantor's${anywhere.length ? `, or by ${anywhere.join(", ")}` : ""}; it cannot be changed or extended. On \`${store.table}\` the granting`,
    `roles see the grants they may end${anywhere.length ? ` (${anywhere.join(", ")}: every grant)` : ""}; their column access is in its table above.`,
    "",
  ];
}

/** A role and every role it inherits from. */
function lineageOf(role: RoleDefinition): RoleDefinition[] {
  const out = [role];
  for (let i = 0; i < out.length; i++) for (const parent of out[i]!.extends) if (!out.includes(parent)) out.push(parent);
  return out;
}

const RANK: Readonly<Record<ColumnAccess, number>> = { hidden: 0, masked: 1, read: 2, insert: 3, write: 4 };

/**
 * The column privileges of the grants table with those the granting roles need for the operation added: select
 * on every column, insert on the grantee, table, row, privilege, expiry and reason, update on the expiry only
 * (ending a grant). A role that already holds more keeps it. In definition order, like every table's grants.
 *
 * @example
 * withGrantOperations(clinic, "access_grants", columns, grants); // + chief: select (all), insert (…), update (expires_at)
 */
export function withGrantOperations(
  app: AppDefinition,
  table: string,
  columns: readonly string[],
  grants: readonly GrantNode[],
): GrantNode[] {
  const store = app.identity.grants;
  if (!app.grants || !store || store.table !== table) return [...grants];
  const insertable = [store.grantee, store.tableName, store.row, store.privilege, store.expires, store.reason!];
  const wanted = (column: string): ColumnAccess =>
    column === store.expires ? "write" : insertable.includes(column) ? "insert" : "read";
  const byRole = new Map(grants.map((g) => [g.role, g]));
  for (const { role } of grantingRoles(app)) {
    const had = byRole.get(role);
    const access: Record<string, ColumnAccess> = {};
    for (const column of columns) {
      const before = had?.access[column] ?? "hidden";
      access[column] = RANK[before] >= RANK[wanted(column)] ? before : wanted(column);
    }
    const union = (a: readonly string[] = [], b: readonly string[]) => columns.filter((c) => a.includes(c) || b.includes(c));
    byRole.set(
      role,
      Object.freeze({
        table,
        role,
        select: Object.freeze(union(had?.select, columns)),
        insert: Object.freeze(union(had?.insert, insertable)),
        update: Object.freeze(union(had?.update, [store.expires])),
        delete: had?.delete ?? false,
        access: Object.freeze(access),
        sources: Object.freeze([...(had?.sources ?? []), "grants"]),
      }),
    );
  }
  const order = app.roles.map((r) => r.name);
  return [...byRole.values()].sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role));
}
