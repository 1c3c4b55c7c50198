import { createHash } from "node:crypto";
import { parentKeyOf, type Catalog } from "../catalog/introspect";
import { recordedColumns } from "../policy/approvals";
import type { ColumnAccess } from "../policy/columns";
import type { AppDefinition } from "../policy/define";
import type { MaskDefinition } from "../policy/masks";
import type { OperationDefinition } from "../policy/operations";
import { COMMANDS, type Command, type RoleDefinition, type TableRules } from "../policy/roles";
import type { MemberSet, Scope } from "../policy/scopes";
import type { RestrictionDefinition } from "../policy/restrict";
import { holderColumns, ownerColumns, type OwnerColumn } from "./holders";
import { viewOwner } from "./names";
import { viewReach, type ViewOwnerReach, type ViewReachContext } from "./view-owner";
import { anyOf } from "./simplify";
import { markerAccess, softDeleteMarkers, withMarkers } from "./soft-delete";
import { withGrantOperations } from "./temporary-grants";
import { memberSetsOf } from "./walk";

/** One permissive policy: what one role may do with one table for one command. */
export interface PolicyNode {
  readonly table: string;
  readonly role: string;
  readonly command: Command;
  readonly using?: Scope;
  readonly check?: Scope;
  /** The definitions it came from, e.g. `role sales_rep`, `view marketing_export`. */
  readonly sources: readonly string[];
}

/** One restrictive policy: a restriction as it applies to one role. */
export interface RestrictiveNode {
  readonly table: string;
  readonly role: string;
  readonly restriction: string;
  readonly commands: readonly Command[];
  readonly hides: Scope;
  /** Rows this role keeps although they match `hides`; absent when nothing is exempt. */
  readonly keeps?: Scope;
}

/** Column privileges of one role on one table (mask twins included by their twin name). */
export interface GrantNode {
  readonly table: string;
  readonly role: string;
  readonly select: readonly string[];
  readonly insert: readonly string[];
  readonly update: readonly string[];
  readonly delete: boolean;
  /** Access per raw column as the definitions say it, for the access matrix. */
  readonly access: Readonly<Record<string, ColumnAccess>>;
  readonly sources: readonly string[];
}

/**
 * A partial index the rules need: when a disjunction holds `pool(nullColumn)` next to a unit scope on
 * `column`, PostgreSQL's BitmapOr would read the whole pool for every unit query without it.
 */
export interface SupportIndex {
  readonly name: string;
  readonly column: string;
  readonly nullColumn: string;
}

export interface TablePlan {
  readonly name: string;
  /** Columns that decide who holds a row (see `holderColumns`): borrowed access may not change them. */
  readonly holders: readonly string[];
  /** `own(col)` columns and the roles that may own rows through them. */
  readonly owners: readonly OwnerColumn[];
  /** Its columns in table order, masked twins left out. */
  readonly columns: readonly string[];
  readonly supportIndexes: readonly SupportIndex[];
  readonly primaryKey: readonly string[];
  readonly policies: readonly PolicyNode[];
  readonly restrictives: readonly RestrictiveNode[];
  readonly grants: readonly GrantNode[];
}

export interface RolePlan {
  readonly name: string;
  readonly description: string;
  /** Every role it inherits from, nearest first. */
  readonly inherits: readonly string[];
}

/**
 * A masking view, run as its own owner: a dedicated role (`viewOwner(name)`) that holds select on exactly the
 * view's columns and those its condition reads, one permissive select policy with the view's condition, and the
 * restrictive policies of a role exempt only from what every role of the view is exempt from (for most views,
 * nothing); see `viewReach`. The view's roles hold select on the view only, nothing on the table.
 */
export interface ViewPlan {
  readonly name: string;
  readonly from: string;
  readonly columns: readonly string[];
  readonly where: Scope;
  readonly roles: readonly string[];
  readonly description: string;
  /** The owner role, unprefixed (`view_<name>`). */
  readonly owner: string;
  /** What the owner holds, table by table: the view's table first, then the parents its condition reaches with `via`. */
  readonly reach: readonly ViewOwnerReach[];
}

export interface MaskPlan extends MaskDefinition {
  /** SQL type of the raw column, which picks the mask function's overload. */
  readonly sourceType: string;
}

/** An operation with its table's key resolved and its roles by name. */
export interface OperationPlan extends Omit<OperationDefinition, "by"> {
  readonly by: readonly string[];
  /** The table's (single) key column, and its SQL type: a row operation's parameter. */
  readonly key: string;
  readonly keyType: string;
}

/** Everything the emitters need, resolved and frozen: inheritance flattened, columns expanded. */
export interface Plan {
  readonly app: AppDefinition;
  readonly roles: readonly RolePlan[];
  readonly tables: readonly TablePlan[];
  readonly masks: readonly MaskPlan[];
  readonly views: readonly ViewPlan[];
  readonly operations: readonly OperationPlan[];
  readonly memberSets: readonly (MemberSet & { readonly rowType: string })[];
  /** SQL types of identity keys, read from the catalog. */
  readonly types: { readonly userId: string; readonly unitId: string; readonly grantRow: string };
}

/** Partial indexes for pool arms beside unit arms in any permissive policy of the table, by name. */
function supportIndexes(table: string, policies: readonly PolicyNode[]): SupportIndex[] {
  const found = new Map<string, SupportIndex>();
  for (const p of policies) {
    for (const scope of [p.using, p.check]) {
      if (scope?.kind !== "or") continue;
      const pools = scope.scopes.filter((s) => s.kind === "pool").map((s) => (s as { column: string }).column);
      const units = scope.scopes
        .filter((s) => s.kind === "unit" || s.kind === "unitTree")
        .map((s) => (s as { column: string }).column);
      for (const nullColumn of pools) {
        for (const column of units.filter((u) => u !== nullColumn)) {
          const full = `${table}_${column}_${nullColumn}_null_idx`;
          const name = full.length <= 63 ? full : `gh_${createHash("sha1").update(full).digest("hex").slice(0, 12)}_null_idx`;
          found.set(name, Object.freeze({ name, column, nullColumn }));
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The exemptions `role` (with what it inherits) has from a restriction, in lineage order; empty when none. */
function exemptionsOf(restriction: RestrictionDefinition, role: RoleDefinition): Scope[] {
  return lineage(role).flatMap((r) => restriction.exempt.filter(([exempted]) => exempted === r).map(([, scope]) => scope));
}

/**
 * The restrictive policies a role gets on a table: one per restriction it is not wholly exempt from, keeping
 * the restriction's `unless` or'd with `exemptions(restriction)`.
 */
function restrictivesFor(
  app: AppDefinition,
  table: string,
  role: string,
  exemptions: (restriction: RestrictionDefinition) => Scope[],
  held: ReadonlySet<Command>,
  memberSets: Map<string, MemberSet>,
): RestrictiveNode[] {
  const out: RestrictiveNode[] = [];
  for (const restriction of app.restrictions.filter((x) => x.table === table)) {
    const keeps = anyOf([...(restriction.unless ? [restriction.unless] : []), ...exemptions(restriction)]);
    if (keeps?.kind === "all") continue;
    if (!restriction.commands.some((c) => held.has(c))) continue;
    const commands =
      restriction.commands.length === COMMANDS.length ? restriction.commands : restriction.commands.filter((c) => held.has(c));
    if (keeps) memberSetsOf(keeps, memberSets);
    out.push(
      Object.freeze({
        table,
        role,
        restriction: restriction.name,
        commands: Object.freeze(commands),
        hides: restriction.hides,
        ...(keeps ? { keeps } : {}),
      }),
    );
  }
  return out;
}

/** Roles `role` inherits from, nearest first, each once. */
export function ancestorsOf(role: RoleDefinition): RoleDefinition[] {
  const out: RoleDefinition[] = [];
  const visit = (r: RoleDefinition) => {
    for (const parent of r.extends) {
      if (!out.includes(parent)) {
        out.push(parent);
        visit(parent);
      }
    }
  };
  visit(role);
  return out;
}

/** The role's own rules last, so they win where columns disagree. */
function lineage(role: RoleDefinition): RoleDefinition[] {
  return [...ancestorsOf(role).reverse(), role];
}

function accessOf(
  role: RoleDefinition,
  table: string,
  columns: readonly string[],
  selects: boolean,
): Record<string, ColumnAccess> {
  let fallback: ColumnAccess | undefined;
  const explicit: Record<string, ColumnAccess> = {};
  for (const r of lineage(role)) {
    const rules = r.tables[table]?.columns;
    if (!rules) continue;
    for (const [column, access] of Object.entries(rules)) {
      if (access === undefined) continue;
      if (column === "default") fallback = access;
      else explicit[column] = access;
    }
  }
  const access: Record<string, ColumnAccess> = {};
  for (const column of columns) access[column] = explicit[column] ?? fallback ?? (selects ? "read" : "hidden");
  return access;
}

/**
 * Resolves a validated app against the catalog into a plan.
 *
 * @example
 * const plan = buildPlan(app, await introspect(client, app.schema));
 */
export function buildPlan(app: AppDefinition, catalog: Catalog): Plan {
  const twins = new Map(app.masks.map((m) => [`${m.table}.${m.twin}`, m]));
  const tableNames = [...catalog.tables.values()]
    .filter((t) => t.kind === "table")
    .map((t) => t.name)
    .sort();
  const columnType = (table: string, column: string) =>
    catalog.tables.get(table)?.columns.find((c) => c.name === column)?.type ?? "text";
  const memberSets = new Map<string, MemberSet>();
  const { identity } = app;
  const identityTables = new Set(
    [identity.users.table, identity.userRoles.table, identity.units.table, identity.grants?.table].filter((t) => t !== undefined),
  );

  const selectable = new Map<string, readonly string[]>();

  const tables = tableNames.map((table): TablePlan => {
    const meta = catalog.tables.get(table)!;
    // soft-delete markers the table lacks are added by the compile (emit/soft-delete.ts), like mask twins
    const markers = softDeleteMarkers(app, table, columnType(app.identity.users.table, app.identity.users.id));
    const rawColumns = withMarkers(
      meta.columns.filter((c) => !twins.has(`${table}.${c.name}`)),
      markers,
    );
    const generated = new Set(meta.columns.filter((c) => c.generated).map((c) => c.name));
    const policies: PolicyNode[] = [];
    const grants: GrantNode[] = [];
    const restrictives: RestrictiveNode[] = [];
    const selectRules: { role: string; selects: Scope[] }[] = [];

    for (const role of app.roles) {
      const rules: { source: string; rules: TableRules }[] = lineage(role)
        .filter((r) => r.tables[table])
        .map((r) => ({ source: `role ${r.name}`, rules: r.tables[table]! }));
      if (rules.length === 0) continue;
      selectRules.push({ role: role.name, selects: rules.flatMap((r) => (r.rules.select ? [r.rules.select] : [])) });

      const scopesFor = (command: Command) => {
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
      };

      const byCommand = new Map<Command, PolicyNode>();
      for (const command of COMMANDS) {
        const { using, check, sources } = scopesFor(command);
        if (!using && !check) continue;
        const node: PolicyNode = Object.freeze({
          table,
          role: role.name,
          command,
          ...(using ? { using } : {}),
          ...(check ? { check } : {}),
          sources: Object.freeze(sources),
        });
        for (const s of [using, check]) if (s) memberSetsOf(s, memberSets);
        byCommand.set(command, node);
        policies.push(node);
      }

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
      const select = new Set<string>();
      const insert: string[] = [];
      const update: string[] = [];
      for (const { name } of rawColumns) {
        const a = access[name]!;
        const writable = !generated.has(name);
        if (a === "read" || a === "write" || a === "insert") select.add(name);
        if ((a === "write" || a === "insert") && writable && byCommand.has("insert")) insert.push(name);
        if (a === "write" && writable && byCommand.has("update")) update.push(name);
        if (a === "masked") {
          for (const m of app.masks) if (m.table === table && m.column === name) select.add(m.twin);
        }
      }
      grants.push(
        Object.freeze({
          table,
          role: role.name,
          select: Object.freeze([
            ...rawColumns.map((c) => c.name).filter((c) => select.has(c)),
            ...app.masks.filter((m) => m.table === table && select.has(m.twin)).map((m) => m.twin),
          ]),
          insert: Object.freeze(insert),
          update: Object.freeze(update),
          delete: byCommand.has("delete"),
          access: Object.freeze(access),
          sources: Object.freeze([...new Set(rules.map((r) => r.source))]),
        }),
      );

      restrictives.push(
        ...restrictivesFor(app, table, role.name, (x) => exemptionsOf(x, role), new Set(byCommand.keys()), memberSets),
      );
    }

    selectable.set(table, [...rawColumns.map((c) => c.name), ...app.masks.filter((m) => m.table === table).map((m) => m.twin)]);
    const columnNames = rawColumns.map((c) => c.name);
    return Object.freeze({
      name: table,
      columns: Object.freeze(rawColumns.map((c) => c.name)),
      primaryKey: meta.primaryKey,
      supportIndexes: supportIndexes(table, policies),
      holders: Object.freeze(holderColumns(policies)),
      // own(col) on an identity table (a user reading their own row or roles) is not ownership of a record
      owners: Object.freeze(identityTables.has(table) ? [] : ownerColumns(selectRules)),
      policies: Object.freeze(policies),
      restrictives: Object.freeze(restrictives),
      grants: Object.freeze(withGrantOperations(app, table, columnNames, grants)),
    });
  });

  const reachContext: ViewReachContext = {
    columnsOf: (table) => selectable.get(table) ?? [],
    parentKey: (table, column, parent) => parentKeyOf(catalog, table, column, parent),
    selectScope: (role, table) =>
      anyOf(lineage(role).flatMap((r) => (r.tables[table]?.select ? [r.tables[table]!.select!] : []))),
    exemptionsOf,
    restrictives: (table, role, exemptions) => restrictivesFor(app, table, role, exemptions, new Set(["select"]), memberSets),
    memberSets,
  };
  const { users, units, grants } = app.identity;
  return Object.freeze({
    app,
    roles: Object.freeze(
      app.roles.map((r) =>
        Object.freeze({ name: r.name, description: r.description, inherits: Object.freeze(ancestorsOf(r).map((a) => a.name)) }),
      ),
    ),
    tables: Object.freeze(tables),
    masks: Object.freeze(app.masks.map((m) => Object.freeze({ ...m, sourceType: columnType(m.table, m.column) }))),
    views: Object.freeze(
      app.views.map((v) =>
        Object.freeze({
          name: v.name,
          from: v.from,
          columns: v.columns,
          where: v.where,
          roles: Object.freeze(v.roles.map((r) => r.name)),
          description: v.description,
          owner: viewOwner(v.name),
          reach: Object.freeze(viewReach(v, reachContext)),
        }),
      ),
    ),
    operations: Object.freeze(
      app.operations.map((o) => {
        const key = catalog.tables.get(o.table)?.primaryKey[0] ?? "id";
        return Object.freeze({ ...o, by: Object.freeze(o.by.map((r) => r.name)), key, keyType: columnType(o.table, key) });
      }),
    ),
    memberSets: Object.freeze(
      [...memberSets.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((set) => Object.freeze({ ...set, rowType: columnType(set.link.table, set.link.row) })),
    ),
    types: Object.freeze({
      userId: columnType(users.table, users.id),
      unitId: columnType(units.table, units.id),
      grantRow: grants ? columnType(grants.table, grants.row) : "bigint",
    }),
  });
}
