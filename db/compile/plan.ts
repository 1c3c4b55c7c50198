import type { Catalog } from "../catalog/introspect";
import type { ColumnAccess } from "../policy/columns";
import type { AppDefinition } from "../policy/define";
import type { MaskDefinition } from "../policy/masks";
import type { OperationDefinition } from "../policy/operations";
import type { Command } from "../policy/roles";
import type { MemberSet, Scope } from "../policy/scopes";
import type { OwnerColumn } from "./holders";
import { ancestorsOf, exemptionsOf, lineage } from "./lineage";
import { markListedVias } from "./listed-vias";
import { viewOwner } from "./names";
import { planTable } from "./plan-table";
import { privilegesOf, type PrivilegesPlan } from "./privileges";
import { restrictivesFor } from "./restrictives";
import { rowMasksOf, type RowMask } from "./row-masks";
import { anyOf } from "./simplify";
import { viewReach, type ViewOwnerReach, type ViewReachContext } from "./view-owner";

export { ancestorsOf } from "./lineage";

/** One permissive policy: what one role may do with one table for one command. */
export interface PolicyNode {
  readonly table: string;
  readonly role: string;
  readonly command: Command;
  readonly using?: Scope;
  readonly check?: Scope;
  /** The definitions it came from, e.g. `role doctor`, `view research_export`. */
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
  /** The policies it becomes: one for all commands, or one per command, each named and with its ban decided. */
  readonly policies: readonly RestrictivePolicy[];
}

/** One `create policy … as restrictive` of a {@link RestrictiveNode}. */
export interface RestrictivePolicy {
  readonly name: string;
  readonly command: Command | "all";
  /**
   * A ban: the restriction hides every row and this is the update policy, so it refuses the update with an error
   * (`using (true)`, the ban in `with check`) instead of silently matching no row.
   */
  readonly ban: boolean;
}

/** A single-column foreign key of a table: what `via(column, parent)` joins on. */
export interface ForeignKeyPlan {
  readonly column: string;
  readonly parent: string;
  /** The column of `parent` it references. */
  readonly key: string;
}

/** A single-column foreign key of another table onto this table's key: what a purge must remove or clear first. */
export interface ReferencePlan {
  readonly table: string;
  readonly column: string;
  /** The referencing column is `not null` (or not known to allow null): its rows go, rather than the reference. */
  readonly required: boolean;
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
 * An index the rules need for a pool arm: `(column) where (nullColumn is null) is true`, on each unit column of the
 * table, or on its key when it has none. The pool arm is written as the predicate, so it uses only these indexes,
 * which no condition on `nullColumn` fits: the planner sizes the arm as the pool (see CONVENTIONS.md, "Rows").
 */
export interface SupportIndex {
  readonly name: string;
  readonly column: string;
  readonly nullColumn: string;
  /** Why `column`: a unit scope of some role names it, its foreign key to the units table, or the table's key (no unit column). */
  readonly columnIs: "unit scope" | "unit column" | "key";
  /** Earlier support indexes of the same pool and column, dropped by the compile. */
  readonly replaces: readonly string[];
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
  /** The first key column (`id` when the table has no primary key), which names a row in operations. */
  readonly key: string;
  /** SQL type of {@link key} (`bigint` when unknown). */
  readonly keyType: string;
  /** SQL type of every column the table has or gets (masked twins and soft-delete markers included). */
  readonly columnTypes: Readonly<Record<string, string>>;
  readonly foreignKeys: readonly ForeignKeyPlan[];
  readonly referencedBy: readonly ReferencePlan[];
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

/** An encrypted column (`encrypt()`), resolved: its twin's mask, its table's key, who may look rows up by value. */
export interface EncryptedPlan {
  readonly table: string;
  readonly column: string;
  /** The mask whose twin the encryption trigger fills from the plaintext. */
  readonly mask: MaskPlan;
  /** The keyed hash column, when `lookup` is on. */
  readonly hash?: string;
  /** The table's key column and its SQL type: what the lookup returns. */
  readonly key: string;
  readonly keyType: string;
  /** Roles that may find rows by value (`<table>_by_<column>`): those reading the column's twin, in definition order. */
  readonly lookupRoles: readonly string[];
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
  /** Row-dependent reads of masked columns, each through a function owned by the role's raw reader. */
  readonly rowMasks: readonly RowMask[];
  /** Columns stored encrypted, by table and column. */
  readonly encrypted: readonly EncryptedPlan[];
  readonly views: readonly ViewPlan[];
  readonly operations: readonly OperationPlan[];
  readonly memberSets: readonly (MemberSet & { readonly rowType: string })[];
  /** Who may call each generated operation (approvals, reveals, pools, restores, temporary grants), decided here. */
  readonly privileges: PrivilegesPlan;
  /** SQL types of identity keys, read from the catalog. */
  readonly types: { readonly userId: string; readonly unitId: string; readonly grantRow: string };
}

/** The plan of a table of the app schema; throws when the plan has none (a bug: validation names unknown tables). */
export function tableOf(plan: Plan, table: string): TablePlan {
  const found = findTable(plan.tables, table);
  if (!found) throw new Error(`gatehouse: the plan has no table ${table}`);
  return found;
}

/** Tables of plans by name, built on the first lookup (emitters look tables up once per rule they render). */
const tablesByName = new WeakMap<readonly TablePlan[], ReadonlyMap<string, TablePlan>>();

/** The table of `tables` named `name`, if any. */
function findTable(tables: readonly TablePlan[], name: string): TablePlan | undefined {
  let byName = tablesByName.get(tables);
  if (!byName) {
    byName = new Map([...tables].reverse().map((t) => [t.name, t]));
    tablesByName.set(tables, byName);
  }
  return byName.get(name);
}

/** SQL type of `table.column` as the plan resolved it (`text` when the plan does not know the column). */
export const columnTypeIn = (plan: Plan, table: string, column: string): string =>
  findTable(plan.tables, table)?.columnTypes[column] ?? "text";

/**
 * The column of `parent` that `table.column` references (a single-column foreign key), `id` when none is declared:
 * what `via(column, parent)` joins on.
 *
 * @example
 * parentKeyIn(plan, "appointments", "patient_id", "patients") // "id"
 */
export const parentKeyIn = (plan: Pick<Plan, "tables">, table: string, column: string, parent: string): string =>
  findTable(plan.tables, table)?.foreignKeys.find((k) => k.column === column && k.parent === parent)?.key ?? "id";

/** SQL type of a column read from the catalog (`text` when unknown): for types the plan resolves once. */
const catalogType = (catalog: Catalog, table: string, column: string): string =>
  catalog.tables.get(table)?.columns.find((c) => c.name === column)?.type ?? "text";

/** The app's masking views, each with its owner's reach (see `viewReach`). */
function planViews(app: AppDefinition, tables: readonly TablePlan[], memberSets: Map<string, MemberSet>): ViewPlan[] {
  const selectable = new Map(
    tables.map((t) => [t.name, [...t.columns, ...app.masks.filter((m) => m.table === t.name).map((m) => m.twin)]]),
  );
  const reachContext: ViewReachContext = {
    columnsOf: (table) => selectable.get(table) ?? [],
    parentKey: (table, column, parent) => parentKeyIn({ tables }, table, column, parent),
    selectScope: (role, table) =>
      anyOf(lineage(role).flatMap((r) => (r.tables[table]?.select ? [r.tables[table]!.select!] : []))),
    exemptionsOf,
    restrictives: (table, role, exemptions) => restrictivesFor(app, table, role, exemptions, new Set(["select"]), memberSets),
    memberSets,
  };
  return app.views.map((v) =>
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
  );
}

/**
 * Resolves a validated app against the catalog into a plan: one step per part (tables, views, operations, member
 * sets, identity types). Everything the emitters need is decided here; they never read the catalog.
 *
 * @example
 * const plan = buildPlan(app, await introspect(client, app.schema));
 */
export function buildPlan(app: AppDefinition, catalog: Catalog): Plan {
  const memberSets = new Map<string, MemberSet>();
  const tables = markListedVias(
    [...catalog.tables.values()]
      .filter((t) => t.kind === "table")
      .map((t) => t.name)
      .sort()
      .map((table) => planTable(app, catalog, table, memberSets)),
  );
  const views = planViews(app, tables, memberSets);
  const type = (table: string, column: string) => catalogType(catalog, table, column);
  const { users, units, grants } = app.identity;
  const masks = app.masks.map((m) => Object.freeze({ ...m, sourceType: type(m.table, m.column) }));
  return Object.freeze({
    app,
    roles: Object.freeze(
      app.roles.map((r) =>
        Object.freeze({ name: r.name, description: r.description, inherits: Object.freeze(ancestorsOf(r).map((a) => a.name)) }),
      ),
    ),
    tables: Object.freeze(tables),
    masks: Object.freeze(masks),
    rowMasks: Object.freeze(rowMasksOf(app)),
    encrypted: Object.freeze(
      app.encrypted.map((e) => {
        const table = tables.find((t) => t.name === e.table)!;
        const twin = masks.find((m) => m.table === e.table && m.column === e.column)!;
        return Object.freeze({
          table: e.table,
          column: e.column,
          mask: twin,
          ...(e.hash ? { hash: e.hash } : {}),
          key: table.key,
          keyType: table.keyType,
          lookupRoles: Object.freeze(table.grants.filter((g) => g.select.includes(twin.twin)).map((g) => g.role)),
        });
      }),
    ),
    views: Object.freeze(views),
    operations: Object.freeze(
      app.operations.map((o) => {
        const key = catalog.tables.get(o.table)?.primaryKey[0] ?? "id";
        return Object.freeze({ ...o, by: Object.freeze(o.by.map((r) => r.name)), key, keyType: type(o.table, key) });
      }),
    ),
    memberSets: Object.freeze(
      [...memberSets.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((set) => Object.freeze({ ...set, rowType: type(set.link.table, set.link.row) })),
    ),
    privileges: privilegesOf(app),
    types: Object.freeze({
      userId: type(users.table, users.id),
      unitId: type(units.table, units.id),
      grantRow: grants ? type(grants.table, grants.row) : "bigint",
    }),
  });
}
