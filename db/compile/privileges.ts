import type { ApprovalDefinition } from "../policy/approvals";
import type { AppDefinition } from "../policy/define";
import { exportQuotaOf, type ExportQuota, type RoleDefinition } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { ancestorsOf } from "./lineage";
import { restorers, type Restorer } from "./soft-delete";
import { anyOf } from "./simplify";
import { grantingRoles, type GrantingRole } from "./temporary-grants";

/** An app role that may do something, with the rows it may do it for. */
export interface RoleScope {
  readonly role: string;
  readonly scope: Scope;
}

/** Who requests, who approves and who changes directly, for one approval. */
export interface ApprovalPrivileges {
  readonly requesters: readonly RoleScope[];
  readonly approvers: readonly RoleScope[];
  /** Roles that bypass the gate: nobody, everyone (whom their own rules let), or these roles. */
  readonly direct: "nobody" | "everyone" | readonly string[];
}

/**
 * Who may call each generated operation, inheritance flattened, decided in the plan so the emitters only render it:
 * per approval (by name), per reveal (`table.column`), per public pool (by name), per soft-delete table, and the
 * roles that may make temporary grants.
 */
export interface PrivilegesPlan {
  readonly approvals: Readonly<Record<string, ApprovalPrivileges>>;
  readonly reveals: Readonly<Record<string, readonly RoleScope[]>>;
  readonly pools: Readonly<Record<string, readonly RoleScope[]>>;
  readonly restorers: Readonly<Record<string, readonly Restorer[]>>;
  readonly granting: readonly GrantingRole[];
  /** The daily export quota of each role a masking view is granted to that has one (its own or the nearest ancestor's). */
  readonly exportQuotas: readonly { readonly role: string; readonly quota: ExportQuota }[];
  /** Who may view the app as whom (`role({ viewAs })`, not inherited), in definition order; empty when nobody may. */
  readonly viewAs: readonly ViewAsRight[];
}

/** A role that may view the app as users of other roles: the roles it names in `viewAs`, in their order. */
export interface ViewAsRight {
  readonly actor: string;
  readonly targets: readonly string[];
}

/**
 * Every app role that reaches an approval through `entries` (listed, or extending a listed role), in definition
 * order, each with the union of the scopes it reaches.
 *
 * @example
 * approvalRoles(clinic, approval.approvers) // [{ role: "chief", scope: unitTree("ward_id") }, { role: "medical_director", … }, …]
 */
export function approvalRoles(app: AppDefinition, entries: readonly (readonly [RoleDefinition, Scope])[]): RoleScope[] {
  return app.roles.flatMap((r): RoleScope[] => {
    const lineage = [r, ...ancestorsOf(r)];
    const scope = anyOf(entries.filter(([listed]) => lineage.includes(listed)).map(([, s]) => s));
    return scope ? [{ role: r.name, scope }] : [];
  });
}

/** The roles that may make an approval's change directly, expanded to the roles extending them. */
function directRoles(app: AppDefinition, a: ApprovalDefinition): ApprovalPrivileges["direct"] {
  if (typeof a.direct === "string") return a.direct;
  const listed = a.direct;
  const roles = app.roles.filter((r) => [r, ...ancestorsOf(r)].some((x) => listed.includes(x))).map((r) => r.name);
  return roles.length ? roles : "nobody";
}

/**
 * Every app role listed in `entries` or extending a listed role, with the scope of the nearest listed one (the role
 * itself first, then its ancestors, nearest first): who may reveal, who may claim.
 *
 * @example
 * nearestListed(clinic, reveal.by) // [{ role: "chief", scope: unitTree("ward_id") }, …]
 */
export function nearestListed(app: AppDefinition, entries: readonly (readonly [RoleDefinition, Scope])[]): RoleScope[] {
  return app.roles.flatMap((definition): RoleScope[] => {
    const listed = [definition, ...ancestorsOf(definition)]
      .map((a) => entries.find(([role]) => role === a))
      .find((pair) => pair !== undefined);
    return listed ? [{ role: definition.name, scope: listed[1] }] : [];
  });
}

/** Roles a masking view is granted to, with the quota they inherit or set, in definition order. */
function exportQuotas(app: AppDefinition): PrivilegesPlan["exportQuotas"] {
  const exporters = new Set(app.views.flatMap((v) => v.roles.map((r) => r.name)));
  return app.roles.flatMap((r) => {
    const quota = exportQuotaOf(r);
    return quota && exporters.has(r.name) ? [{ role: r.name, quota }] : [];
  });
}

/**
 * The privileges of every generated operation of the app.
 *
 * @example
 * privilegesOf(clinic).approvals.patient_delete.approvers.map((r) => r.role) // ["chief", …]
 */
export function privilegesOf(app: AppDefinition): PrivilegesPlan {
  const approvals = app.approvals ?? [];
  return Object.freeze({
    approvals: Object.freeze(
      Object.fromEntries(
        approvals.map((a) => [
          a.name,
          Object.freeze({
            requesters: approvalRoles(app, a.requesters),
            approvers: approvalRoles(app, a.approvers),
            direct: directRoles(app, a),
          }),
        ]),
      ),
    ),
    reveals: Object.freeze(Object.fromEntries(app.reveals.map((x) => [`${x.table}.${x.column}`, nearestListed(app, x.by)]))),
    pools: Object.freeze(Object.fromEntries(app.pools.map((p) => [p.name, nearestListed(app, p.claim)]))),
    restorers: Object.freeze(Object.fromEntries((app.softDeletes ?? []).map((d) => [d.table, restorers(app, d)]))),
    granting: Object.freeze(grantingRoles(app)),
    exportQuotas: Object.freeze(exportQuotas(app)),
    viewAs: Object.freeze(
      app.roles.flatMap((r) => (r.viewAs.length ? [Object.freeze({ actor: r.name, targets: r.viewAs })] : [])),
    ),
  });
}
