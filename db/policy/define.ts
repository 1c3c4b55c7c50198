import type { TemporaryGrantsDefinition } from "./grants";
import type { EndWhenDefinition } from "./end-when";
import type { ApprovalDefinition } from "./approvals";
import type { MaskDefinition } from "./masks";
import type { RevealDefinition } from "./reveal";
import type { EncryptionDefinition } from "./encryption";
import type { PublicPoolDefinition } from "./public-pool";
import type { OperationDefinition } from "./operations";
import type { RestrictionDefinition } from "./restrict";
import type { RoleDefinition } from "./roles";
import type { SoftDeleteDefinition } from "./soft-delete";
import { assertShape } from "./shape";
import { didYouMean } from "./suggest";
import type { ViewDefinition } from "./views";

/** Where the app keeps who its users are; every name is a table or column in the app schema. */
export interface IdentityDefinition {
  readonly users: {
    readonly table: string;
    readonly id: string;
    readonly unit: string;
    readonly status: string;
    readonly activeStatus: string;
    /** The column holding each user's unique name on the command line: `gatehouse login create <username>`, `gatehouse export --as <username>`. */
    readonly username?: string;
  };
  readonly userRoles: { readonly table: string; readonly user: string; readonly role: string };
  readonly units: { readonly table: string; readonly id: string; readonly parent: string };
  /** Temporary grants, read by the `granted()` scope; `grantedBy` and `reason` are needed by `defineApp({ grants })`. */
  readonly grants?: {
    readonly table: string;
    readonly grantee: string;
    readonly tableName: string;
    readonly row: string;
    readonly privilege: string;
    readonly expires: string;
    readonly grantedBy?: string;
    readonly reason?: string;
  };
}

/** A whole application: its roles, restrictive rules, masks and views, and where identity lives. */
export interface AppDefinition {
  readonly kind: "app";
  /** Schema holding the app's tables. */
  readonly schema: string;
  /** Schema for the toolkit's helpers and login mapping. */
  readonly toolkitSchema: string;
  /** Prefix of every generated database role, e.g. `clinic_`. */
  readonly rolePrefix: string;
  /** Unprefixed name of the login role the API server connects as. */
  readonly authenticator: string;
  /** Unprefixed name of the role used when a request carries no identity; it can read nothing. */
  readonly anonymous: string;
  readonly identity: IdentityDefinition;
  readonly roles: readonly RoleDefinition[];
  readonly restrictions: readonly RestrictionDefinition[];
  readonly masks: readonly MaskDefinition[];
  readonly views: readonly ViewDefinition[];
  /** Rows that end by themselves when something happens elsewhere (see `endWhen()`). */
  readonly endings: readonly EndWhenDefinition[];
  /** Public pools of unowned rows that users claim and release (see `publicPool()`). */
  readonly pools: readonly PublicPoolDefinition[];
  /** Masked columns some roles may read raw, one row at a time, with a reason (see `reveal()`). */
  readonly reveals: readonly RevealDefinition[];
  /** Columns stored encrypted at rest (see `encrypt()`); the reveal each makes is in `reveals`. */
  readonly encrypted: readonly EncryptionDefinition[];
  /** The append-only audit trail: who may read it. Every write by an app role or login is recorded. */
  readonly audit?: { readonly readers: readonly RoleDefinition[] };
  /** Named writes compiled into functions of the app schema (see `operation()`). */
  readonly operations: readonly OperationDefinition[];
  /** Who may offboard a user (freeze, hand their rows on, end their grants, memberships and logins), and the status that freezes. */
  readonly offboarding?: OffboardingDefinition;
  /** Risky changes that need someone else's approval: `<schema>.request_<name>(…)`, `approve_request`, `reject_request`. */
  readonly approvals?: readonly ApprovalDefinition[];
  /** Temporary grants as an operation: `<schema>.grant_access(…)` and `<schema>.revoke_access(id)`, for these roles. */
  readonly grants?: TemporaryGrantsDefinition;
  /** Tables whose rows a delete only marks (their `soft_deleted` restrictions are in `restrictions`). */
  readonly softDeletes?: readonly SoftDeleteDefinition[];
  /** How policies are written; absent is the default, `{ sublinks: true }` (see {@link PoliciesDefinition}). */
  readonly policies?: PoliciesDefinition;
}

/**
 * `defineApp({ policies })`: how the generated policies are written. `sublinks: false` writes them without any
 * sub-select, for engines that reject sublinks in row security (Citus 11 and later): the identity helpers are called
 * directly (they are STABLE) instead of as `(select …)` InitPlans, and `via(fk, parent)` becomes
 * `fk = any (<toolkit>.via_<table>__<fk>…())`, a generated SECURITY INVOKER helper returning the parent keys the
 * caller can see through the parent's own policies. A `raw()` predicate containing a sub-select is then refused.
 */
export interface PoliciesDefinition {
  readonly sublinks: boolean;
}

/** `defineApp({ offboarding })`: the roles that may offboard users, and the users' status that means frozen. */
export interface OffboardingDefinition {
  readonly by: readonly RoleDefinition[];
  /** Value of `identity.users.status` for a frozen user. Default `"frozen"`. */
  readonly frozenStatus: string;
}

/**
 * Whether the app's policies may contain sub-selects: true unless `defineApp({ policies: { sublinks: false } })`.
 *
 * @example
 * writesSublinks(defineApp({ schema: "clinic", rolePrefix: "clinic_", identity, roles, policies: { sublinks: false } })) // false
 */
export const writesSublinks = (app: AppDefinition): boolean => app.policies?.sublinks !== false;

const NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Defines an application. Checks what can be checked without a database (the shape of the
 * definition, names, duplicates, roles that are extended or exempted but not listed) and returns a
 * frozen definition.
 *
 * @example
 * export const app = defineApp({
 *   schema: "clinic", rolePrefix: "clinic_", identity, roles: [doctor, nurse],
 *   restrictions: [confidential], masks: [mask("patients", "phone", keepLast(4))],
 * });
 */
export function defineApp(definition: {
  schema: string;
  rolePrefix: string;
  identity: IdentityDefinition;
  roles: readonly RoleDefinition[];
  toolkitSchema?: string;
  authenticator?: string;
  anonymous?: string;
  restrictions?: readonly RestrictionDefinition[];
  masks?: readonly MaskDefinition[];
  views?: readonly ViewDefinition[];
  audit?: { readers: readonly RoleDefinition[] };
  reveals?: readonly RevealDefinition[];
  encrypted?: readonly EncryptionDefinition[];
  pools?: readonly PublicPoolDefinition[];
  endings?: readonly EndWhenDefinition[];
  operations?: readonly OperationDefinition[];
  offboarding?: { by: readonly RoleDefinition[]; frozenStatus?: string };
  approvals?: readonly ApprovalDefinition[];
  grants?: TemporaryGrantsDefinition;
  softDeletes?: readonly SoftDeleteDefinition[];
  policies?: PoliciesDefinition;
}): AppDefinition {
  assertShape("app", [definition]);
  const app: AppDefinition = Object.freeze({
    kind: "app",
    schema: definition.schema,
    toolkitSchema: definition.toolkitSchema ?? "gatehouse",
    rolePrefix: definition.rolePrefix,
    authenticator: definition.authenticator ?? "authenticator",
    anonymous: definition.anonymous ?? "anonymous",
    identity: Object.freeze(definition.identity),
    roles: Object.freeze([...definition.roles]),
    restrictions: Object.freeze([
      ...(definition.restrictions ?? []),
      ...(definition.softDeletes ?? []).map((d) => d.restriction),
    ]),
    masks: Object.freeze([...(definition.masks ?? [])]),
    views: Object.freeze([...(definition.views ?? [])]),
    reveals: Object.freeze([
      ...(definition.reveals ?? []),
      ...(definition.encrypted ?? []).flatMap((e) => (e.reveal ? [e.reveal] : [])),
    ]),
    encrypted: Object.freeze([...(definition.encrypted ?? [])]),
    pools: Object.freeze([...(definition.pools ?? [])]),
    endings: Object.freeze([...(definition.endings ?? [])]),
    operations: Object.freeze([...(definition.operations ?? [])]),
    ...(definition.audit ? { audit: Object.freeze({ readers: Object.freeze([...definition.audit.readers]) }) } : {}),
    ...(definition.offboarding
      ? {
          offboarding: Object.freeze({
            by: Object.freeze([...definition.offboarding.by]),
            frozenStatus: definition.offboarding.frozenStatus ?? "frozen",
          }),
        }
      : {}),
    ...(definition.approvals ? { approvals: Object.freeze([...definition.approvals]) } : {}),
    ...(definition.grants ? { grants: freezeGrants(definition.grants) } : {}),
    ...(definition.softDeletes ? { softDeletes: Object.freeze([...definition.softDeletes]) } : {}),
    ...(definition.policies ? { policies: Object.freeze({ sublinks: definition.policies.sublinks }) } : {}),
  });
  const problems = checkAppShape(app);
  if (problems.length > 0) throw new Error(`invalid app definition:\n  - ${problems.join("\n  - ")}`);
  return app;
}

const freezeGrants = (g: TemporaryGrantsDefinition): TemporaryGrantsDefinition =>
  Object.freeze({
    ...g,
    by: Object.freeze([...(g.by ?? [])]),
    anywhere: Object.freeze([...(g.anywhere ?? [])]),
    tables: Object.freeze([...g.tables]),
    privileges: Object.freeze([...(g.privileges ?? ["select", "update"])]),
  });

/** `role({ viewAs })`: each name a role of the app, not the role itself, named once. */
function viewAsProblems(app: AppDefinition): string[] {
  const names = app.roles.map((r) => r.name);
  return app.roles.flatMap((r) =>
    r.viewAs.flatMap((target, i): string[] => {
      if (target === r.name)
        return [
          `role ${r.name}: viewAs names the role itself: its users already see what it sees; remove "${target}" from viewAs`,
        ];
      if (!names.includes(target))
        return [
          `role ${r.name}: viewAs names "${target}", which is not a role of the app${didYouMean(target, names)}: name a role listed in roles`,
        ];
      if (r.viewAs.indexOf(target) !== i) return [`role ${r.name}: viewAs names "${target}" twice: keep one`];
      return [];
    }),
  );
}

function checkAppShape(app: AppDefinition): string[] {
  const problems: string[] = [];
  if (!NAME.test(app.rolePrefix.replace(/_$/, "") || "x")) {
    problems.push(`role prefix "${app.rolePrefix}" must be lowercase letters, digits and underscores`);
  }
  const seen = new Set<string>();
  for (const name of [app.authenticator, app.anonymous, ...app.roles.map((r) => r.name)]) {
    if (!NAME.test(name)) problems.push(`role name "${name}" must be lowercase letters, digits and underscores`);
    if (seen.has(name)) problems.push(`role "${name}" is defined twice`);
    seen.add(name);
  }
  const listed = new Set(app.roles);
  const unlisted = (r: RoleDefinition, where: string) => {
    if (!listed.has(r)) problems.push(`${where} refers to role "${r.name}", which is not in roles: add it to roles`);
  };
  for (const r of app.roles) for (const parent of r.extends) unlisted(parent, `role ${r.name} extends`);
  problems.push(...viewAsProblems(app));
  for (const x of app.restrictions) for (const [r] of x.exempt) unlisted(r, `restriction ${x.name} exempts`);
  for (const v of app.views) for (const r of v.roles) unlisted(r, `view ${v.name}`);
  for (const r of app.audit?.readers ?? []) unlisted(r, "audit");
  for (const x of app.reveals) for (const [r] of x.by) unlisted(r, `reveal ${x.table}.${x.column}`);
  for (const p of app.pools) for (const [r] of p.claim) unlisted(r, `public pool of ${p.table}`);
  for (const o of app.operations) for (const r of o.by) unlisted(r, `operation ${o.name}`);
  for (const r of [...(app.grants?.by ?? []), ...(app.grants?.anywhere ?? [])]) unlisted(r, "grants");
  if (app.grants && app.grants.by!.length + app.grants.anywhere!.length === 0)
    problems.push("grants: no role may grant: list the roles that may in grants.by (their own subtree) or grants.anywhere");
  for (const r of app.offboarding?.by ?? []) unlisted(r, "offboarding");
  const approvals = new Set<string>();
  for (const a of app.approvals ?? []) {
    for (const [r] of [...a.requesters, ...a.approvers]) unlisted(r, `approval ${a.name}`);
    if (Array.isArray(a.direct)) for (const r of a.direct) unlisted(r, `approval ${a.name} (direct)`);
    if (!NAME.test(a.name)) problems.push(`approval name "${a.name}" must be lowercase letters, digits and underscores`);
    if (approvals.has(a.name)) problems.push(`approval "${a.name}" is defined twice`);
    if (a.requesters.length === 0) problems.push(`approval ${a.name}: no role may request it: list its requesters`);
    if (a.approvers.length === 0) problems.push(`approval ${a.name}: no role may approve it: list its approvers`);
    approvals.add(a.name);
  }
  const softDeleted = new Set<string>();
  for (const d of app.softDeletes ?? []) {
    for (const [r] of [...d.restore, ...d.visibleTo]) unlisted(r, `softDelete ${d.table}`);
    if (softDeleted.has(d.table)) problems.push(`softDelete ${d.table} is declared twice`);
    softDeleted.add(d.table);
  }
  const encrypted = new Set<string>();
  for (const e of app.encrypted) {
    const key = `${e.table}.${e.column}`;
    if (encrypted.has(key)) problems.push(`encrypt ${key} is declared twice: keep one encrypt("${e.table}", "${e.column}", …)`);
    encrypted.add(key);
  }
  const revealed = new Set<string>();
  for (const x of app.reveals) {
    const key = `${x.table}.${x.column}`;
    const made = app.encrypted.some((e) => e.reveal === x);
    if (encrypted.has(key) && !made)
      problems.push(
        `reveal ${key}: the column is encrypted, and encrypt("${x.table}", "${x.column}", { reveal }) makes its reveal: remove reveal("${x.table}", "${x.column}", …) and list its pairs in encrypt's reveal`,
      );
    else if (revealed.has(key)) problems.push(`reveal ${key} is declared twice: keep one`);
    revealed.add(key);
  }
  const twins = new Set<string>();
  for (const m of app.masks) {
    if (Array.isArray(m.unless))
      for (const [r] of m.unless as readonly (readonly [RoleDefinition, unknown])[])
        unlisted(r, `mask ${m.table}.${m.column} (unless)`);
    const key = `${m.table}.${m.twin}`;
    if (twins.has(key)) problems.push(`mask twin ${key} is declared twice`);
    twins.add(key);
  }
  const names = new Set<string>();
  for (const x of [...app.restrictions, ...app.views, ...app.operations]) {
    // a restriction's policies live on its table: softDelete makes one "soft_deleted" per table
    const key = x.kind === "restriction" ? `${x.kind}:${x.name}:${x.table}` : `${x.kind}:${x.name}`;
    const made = x.kind === "restriction" && app.softDeletes?.some((d) => d.restriction === x);
    if (names.has(key))
      problems.push(
        `${x.kind} "${x.name}" is defined twice${made ? `: softDelete("${x.table}") makes it, remove your own` : ""}`,
      );
    names.add(key);
  }
  return problems;
}
