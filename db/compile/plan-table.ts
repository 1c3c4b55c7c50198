import { createHash } from "node:crypto";
import type { Catalog, CatalogColumn, CatalogTable } from "../catalog/introspect";
import { recordedColumns } from "../policy/approvals";
import type { AppDefinition } from "../policy/define";
import { COMMANDS, type Command, type RoleDefinition, type TableRules } from "../policy/roles";
import type { MaskDefinition } from "../policy/masks";
import type { EncryptionDefinition } from "../policy/encryption";
import type { MemberSet, Scope } from "../policy/scopes";
import { holderColumns, ownerColumns } from "./holders";
import { accessOf, exemptionsOf, lineage } from "./lineage";
import type { ForeignKeyPlan, GrantNode, PolicyNode, ReferencePlan, RestrictiveNode, SupportIndex, TablePlan } from "./plan";
import { restrictivesFor } from "./restrictives";
import { maskReading } from "./row-masks";
import { anyOf } from "./simplify";
import { markerAccess, softDeleteMarkers, withMarkers, type SoftDeleteMarker } from "./soft-delete";
import { withGrantOperations } from "./temporary-grants";
import { memberSetsOf } from "./walk";

/** What one table's plan is built from: its catalog entry, the columns it will have, and its soft-delete markers. */
interface TableSource {
  readonly app: AppDefinition;
  readonly meta: CatalogTable;
  /** Its columns in table order, masked twins left out, missing soft-delete markers appended. */
  readonly rawColumns: readonly CatalogColumn[];
  readonly markers: readonly SoftDeleteMarker[];
  readonly memberSets: Map<string, MemberSet>;
  /** Its generated columns (never granted for writing). */
  readonly generated: ReadonlySet<string>;
  /** The masks of its columns. */
  readonly masks: readonly MaskDefinition[];
  /** Its encrypted columns: no role selects them raw; their twins stand in (see `encrypt()`). */
  readonly encrypted: readonly EncryptionDefinition[];
}

/** The rules of `role` (own and inherited) on a table, each with the definition it came from. */
const rulesOf = (role: RoleDefinition, table: string): { source: string; rules: TableRules }[] =>
  lineage(role)
    .filter((r) => r.tables[table])
    .map((r) => ({ source: `role ${r.name}`, rules: r.tables[table]! }));

/** The scopes of one command over a role's rules: `using` and `check`, or'd, and the definitions they came from. */
function scopesFor(rules: readonly { source: string; rules: TableRules }[], command: Command) {
  const using: Scope[] = [];
  const check: Scope[] = [];
  const sources: string[] = [];
  for (const { source, rules: r } of rules) {
    const before = using.length + check.length;
    if (command === "select" && r.select) using.push(r.select);
    if (command === "delete" && r.delete) using.push(r.delete);
    if (command === "insert" && r.insert) check.push(r.insert.check);
    if (command === "update" && r.update) {
      using.push(r.update.using);
      check.push(r.update.check ?? r.update.using);
    }
    if (using.length + check.length > before) sources.push(source);
  }
  return { using: anyOf(using), check: anyOf(check), sources };
}

/** One permissive policy node per command the role's rules cover, by command. */
function policiesFor(
  source: TableSource,
  role: string,
  rules: readonly { source: string; rules: TableRules }[],
): Map<Command, PolicyNode> {
  const byCommand = new Map<Command, PolicyNode>();
  for (const command of COMMANDS) {
    const { using, check, sources } = scopesFor(rules, command);
    if (!using && !check) continue;
    for (const s of [using, check]) if (s) memberSetsOf(s, source.memberSets);
    byCommand.set(
      command,
      Object.freeze({
        table: source.meta.name,
        role,
        command,
        ...(using ? { using } : {}),
        ...(check ? { check } : {}),
        sources: Object.freeze(sources),
      }),
    );
  }
  return byCommand;
}

/** The column privileges of a role on the table, from its column access and the commands it holds. */
function grantFor(
  source: TableSource,
  role: RoleDefinition,
  rules: readonly { source: string; rules: TableRules }[],
  held: ReadonlySet<Command>,
): GrantNode {
  const { app, meta, rawColumns, markers, generated, masks, encrypted } = source;
  const table = meta.name;
  const access = accessOf(
    role,
    table,
    rawColumns.map((c) => c.name),
    rules.some((r) => r.rules.select),
  );
  markerAccess(app, role, table, access, markers);
  // a column an approval records the approver in is written only by the approval (emit/approvals.ts)
  for (const column of recordedColumns(app.approvals, table))
    if (access[column] === "write" || access[column] === "insert") access[column] = "read";
  // an encrypted column is read by nobody (its twin stands in); writers keep writing plaintext, which the trigger encrypts
  const sealed = new Map(encrypted.map((e) => [e.column, access[e.column]!]));
  for (const e of encrypted) if (access[e.column] !== "hidden") access[e.column] = "masked";
  const select = new Set<string>();
  const insert: string[] = [];
  const update: string[] = [];
  for (const { name } of rawColumns) {
    const a = sealed.get(name) ?? access[name]!;
    const writable = !generated.has(name);
    // a row-dependent mask: the role reads the twin, and the raw value only through its function (row-masks.ts)
    const rowMasked = sealed.has(name)
      ? []
      : masks.filter((m) => m.column === name && m.unless !== undefined && maskReading(role, m)?.kind !== "raw");
    if ((a === "read" || a === "write" || a === "insert") && !sealed.has(name) && rowMasked.length === 0) select.add(name);
    if ((a === "write" || a === "insert") && writable && held.has("insert")) insert.push(name);
    if (a === "write" && writable && held.has("update")) update.push(name);
    for (const m of access[name] === "masked" ? masks.filter((x) => x.column === name) : rowMasked) select.add(m.twin);
  }
  // the keyed hash is what a lookup by value compares, under the caller's grants: readable where the twin is
  for (const e of encrypted) if (e.hash && access[e.column] === "masked") select.add(e.hash);
  return Object.freeze({
    table,
    role: role.name,
    select: Object.freeze([
      ...rawColumns.map((c) => c.name).filter((c) => select.has(c)),
      ...masks.filter((m) => select.has(m.twin)).map((m) => m.twin),
      ...encrypted.flatMap((e) => (e.hash && select.has(e.hash) ? [e.hash] : [])),
    ]),
    insert: Object.freeze(insert),
    update: Object.freeze(update),
    delete: held.has("delete"),
    access: Object.freeze(access),
    sources: Object.freeze([...new Set(rules.map((r) => r.source))]),
  });
}

/**
 * Indexes for the pool: for each `pool(col)` in a policy of the table, one on each unit column of the table — named
 * by a unit scope of any role, or a foreign key to the units table — or on its key when it has none, `where (col is
 * null) is true`. The pool arm is that predicate, so a BitmapOr arm can read the index, with the query's unit
 * condition as its key: a query for the pool of some units reads those units' pool rows. No condition on `col`
 * fits the index, so the planner sizes the arm as the whole pool instead of folding a query's `col = 42` into it.
 */
function supportIndexes(
  table: string,
  key: string,
  policies: readonly PolicyNode[],
  unitKeys: readonly string[],
): SupportIndex[] {
  const pools = new Set<string>();
  const scoped = new Set<string>();
  const visit = (scope: Scope): void => {
    if (scope.kind === "or" || scope.kind === "and") scope.scopes.forEach(visit);
    else if (scope.kind === "pool") pools.add(scope.column);
    else if (scope.kind === "unit" || scope.kind === "unitTree") scoped.add(scope.column);
  };
  for (const p of policies) for (const scope of [p.using, p.check]) if (scope) visit(scope);
  const found = new Map<string, SupportIndex>();
  for (const nullColumn of pools) {
    const units = [...new Set([...scoped, ...unitKeys])].filter((c) => c !== nullColumn);
    for (const column of units) {
      const name = indexName(`${table}_${nullColumn}_pool_${column}_idx`);
      const replaces = [`${table}_${nullColumn}_${column}_null_idx`, `${table}_${column}_${nullColumn}_null_idx`].map(indexName);
      found.set(
        name,
        Object.freeze({ name, column, nullColumn, columnIs: scoped.has(column) ? "unit scope" : "unit column", replaces }),
      );
    }
    if (units.length === 0) {
      const name = indexName(`${table}_${nullColumn}_pool_idx`);
      found.set(name, Object.freeze({ name, column: key, nullColumn, columnIs: "key", replaces: [] }));
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The name as is when PostgreSQL keeps it whole (63 bytes), else a hash of it. */
const indexName = (full: string) =>
  full.length <= 63
    ? full
    : `gh_${createHash("sha1").update(full).digest("hex").slice(0, 12)}_${full.endsWith("_null_idx") ? "null" : "pool"}_idx`;

/** Single-column foreign keys of the table. */
const foreignKeysOf = (meta: CatalogTable): ForeignKeyPlan[] =>
  meta.foreignKeys
    .filter((k) => k.columns.length === 1)
    .map((k) => Object.freeze({ column: k.columns[0]!, parent: k.references.table, key: k.references.columns[0]! }));

/** Single-column foreign keys of other tables onto the table's first key column, sorted by table and column. */
function referencesTo(catalog: Catalog, meta: CatalogTable): ReferencePlan[] {
  const key = meta.primaryKey[0];
  return [...catalog.tables.values()]
    .filter((c) => c.kind === "table" && c.name !== meta.name)
    .flatMap((c) =>
      c.foreignKeys
        .filter((f) => f.references.table === meta.name && f.columns.length === 1 && f.references.columns[0] === key)
        .map((f) =>
          Object.freeze({
            table: c.name,
            column: f.columns[0]!,
            required: c.columns.find((x) => x.name === f.columns[0])?.notNull !== false,
          }),
        ),
    )
    .sort((a, b) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`));
}

/**
 * The plan of one table: one permissive policy per role and command, each role's column grants and restrictive
 * policies, holder and owner columns, support indexes, and the table's facts from the catalog (key, column types,
 * foreign keys both ways), so no emitter reads the catalog.
 *
 * @example
 * planTable(clinic, catalog, "patients", new Map()).policies.map((p) => `${p.role}__${p.command}`)
 */
export function planTable(app: AppDefinition, catalog: Catalog, table: string, memberSets: Map<string, MemberSet>): TablePlan {
  const meta = catalog.tables.get(table)!;
  const masks = app.masks.filter((m) => m.table === table);
  const encrypted = app.encrypted.filter((e) => e.table === table);
  // twins and keyed hash columns are the compile's own, not the table's columns
  const twins = new Set([...masks.map((m) => m.twin), ...encrypted.flatMap((e) => (e.hash ? [e.hash] : []))]);
  const userType =
    catalog.tables.get(app.identity.users.table)?.columns.find((c) => c.name === app.identity.users.id)?.type ?? "text";
  // soft-delete markers the table lacks are added by the compile (emit/soft-delete.ts), like mask twins
  const markers = softDeleteMarkers(app, table, userType);
  const rawColumns = withMarkers(
    meta.columns.filter((c) => !twins.has(c.name)),
    markers,
  );
  const generated = new Set(meta.columns.filter((c) => c.generated).map((c) => c.name));
  const source: TableSource = { app, meta, rawColumns, markers, memberSets, generated, masks, encrypted };
  const policies: PolicyNode[] = [];
  const grants: GrantNode[] = [];
  const restrictives: RestrictiveNode[] = [];
  const selectRules: { role: string; selects: Scope[] }[] = [];
  for (const role of app.roles) {
    const rules = rulesOf(role, table);
    if (rules.length === 0) continue;
    selectRules.push({ role: role.name, selects: rules.flatMap((r) => (r.rules.select ? [r.rules.select] : [])) });
    const byCommand = policiesFor(source, role.name, rules);
    policies.push(...byCommand.values());
    const held = new Set(byCommand.keys());
    grants.push(grantFor(source, role, rules, held));
    restrictives.push(...restrictivesFor(app, table, role.name, (x) => exemptionsOf(x, role), held, memberSets));
  }
  const { identity } = app;
  const identityTables = new Set(
    [identity.users.table, identity.userRoles.table, identity.units.table, identity.grants?.table].filter((t) => t !== undefined),
  );
  const columnNames = rawColumns.map((c) => c.name);
  const columnTypes = Object.fromEntries([...meta.columns, ...rawColumns].map((c) => [c.name, c.type]));
  const key = meta.primaryKey[0] ?? "id";
  return Object.freeze({
    name: table,
    columns: Object.freeze(columnNames),
    primaryKey: meta.primaryKey,
    key,
    keyType: columnTypes[key] ?? "bigint",
    columnTypes: Object.freeze(columnTypes),
    foreignKeys: Object.freeze(foreignKeysOf(meta)),
    referencedBy: Object.freeze(referencesTo(catalog, meta)),
    supportIndexes: supportIndexes(
      table,
      key,
      policies,
      foreignKeysOf(meta)
        .filter((k) => k.parent === identity.units.table)
        .map((k) => k.column),
    ),
    holders: Object.freeze(holderColumns(policies)),
    // own(col) on an identity table (a user reading their own row or roles) is not ownership of a record
    owners: Object.freeze(identityTables.has(table) ? [] : ownerColumns(selectRules)),
    policies: Object.freeze(policies),
    restrictives: Object.freeze(restrictives),
    grants: Object.freeze(withGrantOperations(app, table, columnNames, grants)),
  });
}
