import type { ColumnRules } from "./columns";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";

export { COMMANDS, type Command } from "./commands";

/**
 * What one role may do with one table. `select` and `delete` take a row scope; `insert` takes the
 * check new rows must pass; `update` takes the rows it may touch (`using`) and, optionally, the check
 * the changed rows must pass (defaults to `using`). A select rule has no check: `select: { using, check }`
 * does not compile.
 */
export interface TableRules {
  readonly select?: Scope;
  readonly insert?: { readonly check: Scope };
  readonly update?: { readonly using: Scope; readonly check?: Scope };
  readonly delete?: Scope;
  readonly columns?: ColumnRules;
}

/**
 * How much a role may export a day (UTC), counted in the database across every user acting in it: `files`
 * exports and `rows` rows. A limit left out is unlimited; a role with no quota (and none inherited) is unlimited.
 */
export interface ExportQuota {
  readonly files?: number;
  readonly rows?: number;
}

/** A role: its own table rules plus everything the roles it extends may do. */
export interface RoleDefinition {
  readonly kind: "role";
  readonly name: string;
  readonly description: string;
  readonly extends: readonly RoleDefinition[];
  readonly tables: Readonly<Record<string, TableRules>>;
  /** Its daily export quota; a role without one takes its nearest ancestor's (see {@link exportQuotaOf}). */
  readonly exportQuota?: ExportQuota;
  /**
   * The roles (by name) whose users this role's users may view the app as, read only and audited
   * (`<toolkit>.view_as_begin`, the server's `POST /console/api/view-as`). Not inherited: a role extending this one
   * may view as no one unless it says so itself. Empty when absent.
   */
  readonly viewAs: readonly string[];
}

/**
 * Defines a role. Inheritance is by reference, so a role can only extend a role that already exists.
 * Throws when the definition has an unknown key or a value of the wrong kind (see `shape.ts`).
 *
 * @example
 * const doctor = role("doctor", {
 *   description: "their own patients and the unassigned ones",
 *   tables: { patients: { select: or(own("doctor_id"), pool("doctor_id")), columns: { default: "read" } } },
 * });
 * const chief = role("chief", { extends: [doctor], tables: { patients: { select: unitTree("ward_id") } } });
 * const researcher = role("researcher", { exportQuota: { files: 3, rows: 100_000 } }); // a day
 * const admin = role("admin", { viewAs: ["doctor", "nurse"] }); // sees the app as a doctor or a nurse does, read only
 */
export function role(
  name: string,
  definition: {
    description?: string;
    extends?: readonly RoleDefinition[];
    tables?: Record<string, TableRules>;
    exportQuota?: ExportQuota;
    viewAs?: readonly string[];
  },
): RoleDefinition {
  assertShape("role", [name, definition]);
  const tables: Record<string, TableRules> = {};
  for (const [table, rules] of Object.entries(definition.tables ?? {})) {
    tables[table] = Object.freeze({ ...rules, ...(rules.columns ? { columns: Object.freeze({ ...rules.columns }) } : {}) });
  }
  return Object.freeze({
    kind: "role",
    name,
    description: definition.description ?? "",
    extends: Object.freeze([...(definition.extends ?? [])]),
    tables: Object.freeze(tables),
    ...(definition.exportQuota ? { exportQuota: Object.freeze({ ...definition.exportQuota }) } : {}),
    viewAs: Object.freeze([...(definition.viewAs ?? [])]),
  });
}

/**
 * The daily export quota that holds for a role: its own, else that of the nearest role it extends that has one
 * (so a role extending researcher cannot export more than researcher); undefined means unlimited.
 *
 * @example
 * exportQuotaOf(researcher); // { files: 3, rows: 100000 }
 */
export function exportQuotaOf(role: RoleDefinition): ExportQuota | undefined {
  const queue: RoleDefinition[] = [role];
  for (let r = queue.shift(); r; r = queue.shift()) {
    if (r.exportQuota) return r.exportQuota;
    queue.push(...r.extends);
  }
  return undefined;
}
