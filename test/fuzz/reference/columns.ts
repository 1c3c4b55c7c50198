import type { AppDefinition, ColumnAccess, MaskDefinition, RoleDefinition, Scope } from "../../../db";
import type { TableShape } from "./data";
import { familyOf, ruleFor, rulesOf } from "./rules";
import { grantColumns, grantReachOf } from "./temporary-grants";

/** The column privileges a role holds on a table: what it may select (masked twins by their name), insert and update. */
export interface ColumnPrivileges {
  readonly select: ReadonlySet<string>;
  readonly insert: ReadonlySet<string>;
  readonly update: ReadonlySet<string>;
}

const NONE: ColumnPrivileges = { select: new Set(), insert: new Set(), update: new Set() };

/**
 * Access per raw column as the role's definitions say it (columns.ts TSDoc): a named column's access, nearest
 * definition first, else the nearest `default`, else `read` when the role may select rows and `hidden` otherwise.
 */
export function accessFor(role: RoleDefinition, table: string, columns: readonly string[]): Map<string, ColumnAccess> {
  const named = new Map<string, ColumnAccess>();
  let fallback: ColumnAccess | undefined;
  for (const r of familyOf(role)) {
    for (const [column, access] of Object.entries(r.tables[table]?.columns ?? {})) {
      if (access === undefined) continue;
      if (column === "default") fallback = access;
      else named.set(column, access);
    }
  }
  const selects = rulesOf(role, table).some((r) => r.select !== undefined);
  return new Map(columns.map((c) => [c, named.get(c) ?? fallback ?? (selects ? "read" : "hidden")]));
}

/**
 * What a role holds on a table's columns (CONVENTIONS.md "Columns and grants"): nothing without a rule on the table;
 * soft-delete marks and columns an approval records are never written, and who/why marks are hidden from a role that
 * never sees a marked row unless it names them; generated columns are never written; a masked column is read through
 * its twin only, and so is an encrypted column by every role that reads it; insert and update only with an insert or
 * update rule.
 */
export function columnPrivileges(app: AppDefinition, role: RoleDefinition, shape: TableShape): ColumnPrivileges {
  const table = shape.name;
  const own = ownColumnPrivileges(app, role, shape);
  if (table !== app.identity.grants?.table || grantReachOf(app, role) === "none") return own;
  // a granting role also holds what the grant operations need, beside whatever its own rules give
  const extra = grantColumns(
    app,
    shape.columns.map((c) => c.name),
  );
  return {
    select: new Set([...own.select, ...extra.select]),
    insert: new Set([...own.insert, ...extra.insert]),
    update: new Set([...own.update, ...extra.update]),
  };
}

/** The column privileges a role's own rules give it on a table. */
function ownColumnPrivileges(app: AppDefinition, role: RoleDefinition, shape: TableShape): ColumnPrivileges {
  const table = shape.name;
  if (rulesOf(role, table).length === 0) return NONE;
  const twins = new Set(app.masks.filter((m) => m.table === table).map((m) => m.twin));
  const raw = shape.columns.filter((c) => !twins.has(c.name));
  const access = accessFor(
    role,
    table,
    raw.map((c) => c.name),
  );
  const family = familyOf(role);
  for (const d of (app.softDeletes ?? []).filter((s) => s.table === table)) {
    const seesMarked = d.visibleTo.some(([r]) => family.includes(r));
    const marks: [string | undefined, boolean][] = [
      [d.column, false],
      [d.by, true],
      [d.reason, true],
    ];
    for (const [column, isWho] of marks) {
      if (column === undefined) continue;
      const named = family.some((r) => r.tables[table]?.columns?.[column] !== undefined);
      if (isWho && !seesMarked && !named) access.set(column, "hidden");
      else if (access.get(column) === "write" || access.get(column) === "insert") access.set(column, "read");
    }
  }
  for (const a of (app.approvals ?? []).filter((x) => x.table === table && x.records)) {
    const column = a.records!;
    if (access.get(column) === "write" || access.get(column) === "insert") access.set(column, "read");
  }
  const inserts = ruleFor(role, table, "insert") !== undefined;
  const updates = ruleFor(role, table, "update") !== undefined;
  const select = new Set<string>();
  const insert = new Set<string>();
  const update = new Set<string>();
  // an encrypted column (encrypt()) is selected by nobody: whoever may read it reads its twin; writers still write it
  const encrypted = new Set(app.encrypted.filter((e) => e.table === table).map((e) => e.column));
  for (const c of raw) {
    const a = access.get(c.name)!;
    const reads = a === "read" || a === "write" || a === "insert";
    const rowMasked = encrypted.has(c.name)
      ? []
      : app.masks.filter((m) => m.table === table && m.column === c.name && rawRows(role, m) !== "all");
    if (reads && !encrypted.has(c.name) && rowMasked.length === 0) select.add(c.name);
    if (reads) for (const m of rowMasked) select.add(m.twin);
    if ((a === "write" || a === "insert") && !c.generated && inserts) insert.add(c.name);
    if (a === "write" && !c.generated && updates) update.add(c.name);
    if (a === "masked" || (reads && encrypted.has(c.name)))
      for (const m of app.masks) if (m.table === table && m.column === c.name) select.add(m.twin);
  }
  return { select, insert, update };
}

/**
 * Where a role that reads a masked column sees it raw (CONVENTIONS.md, row-dependent masks): every row without
 * `unless`, or when a scope of its own covers all rows; otherwise the scopes of the `unless` pairs its family is
 * listed in (none: masked on every row), or the one scope `unless` gives every reader.
 */
export function rawRows(role: RoleDefinition, mask: MaskDefinition): "all" | readonly Scope[] {
  if (mask.unless === undefined) return "all";
  const family = familyOf(role);
  const scopes = Array.isArray(mask.unless)
    ? (mask.unless as readonly (readonly [RoleDefinition, Scope])[]).filter(([r]) => family.includes(r)).map(([, s]) => s)
    : [mask.unless as Scope];
  return scopes.some((x) => x.kind === "all") ? "all" : scopes;
}
