import type { AppDefinition, MaskDefinition, RoleDefinition, Scope } from "../../../db";
import { keyOf, rowsOf, type Row, type Schema, type TableShape, type Tables, type Value } from "./data";
import { refusedByApprovals } from "./approvals";
import { accessFor, columnPrivileges, rawRows, type ColumnPrivileges } from "./columns";
import { whoIs, type Persona, type Who } from "./identity";
import { bans, passes, restrictionsOn } from "./restrictions";
import { roleNamed, ruleFor } from "./rules";
import { holds, type Command, type ScopeContext } from "./scopes";
import { holderColumns } from "./holders";
import { grantReachOf, seesGrant } from "./temporary-grants";
import { ownerColumns } from "./owners";

/** What a write does: changes the row, matches no row, or is refused with an error. */
export type WriteOutcome = "changed" | "untouched" | "refused";

/**
 * The reference evaluator: from the app's definitions and a world's rows alone, which rows and columns a persona
 * may see and what each write does. It shares no code with the compiler or its SQL.
 */
export class Reference {
  readonly who: Who;
  private readonly role: RoleDefinition | undefined;
  private readonly seen = new Map<string, boolean>();

  constructor(
    readonly app: AppDefinition,
    readonly schema: Schema,
    readonly tables: Tables,
    readonly persona: Persona,
  ) {
    this.who = whoIs(app, tables, persona);
    this.role = roleNamed(app, persona.role);
  }

  shape(table: string): TableShape {
    const shape = this.schema.get(table);
    if (!shape) throw new Error(`no table ${table} in the schema`);
    return shape;
  }

  /** The column privileges the persona's role holds on the table. */
  columns(table: string): ColumnPrivileges {
    const none = { select: new Set<string>(), insert: new Set<string>(), update: new Set<string>() };
    return this.role ? columnPrivileges(this.app, this.role, this.shape(table)) : none;
  }

  /** The masked columns of a table the persona reads row by row: raw where one of `scopes` holds on the row, masked elsewhere. */
  rowMasked(table: string): { readonly mask: MaskDefinition; readonly scopes: readonly Scope[] }[] {
    const role = this.role;
    if (!role) return [];
    return this.app.masks
      .filter((m) => m.table === table && ["read", "write", "insert"].includes(accessFor(role, table, [m.column]).get(m.column)!))
      .filter((m) => !this.app.encrypted.some((e) => e.table === m.table && e.column === m.column))
      .flatMap((mask) => {
        const rows = rawRows(role, mask);
        return rows === "all" || rows.length === 0 ? [] : [{ mask, scopes: rows }];
      });
  }

  /** Whether one of `scopes` (a row mask's) holds for the persona on the row. */
  readsRaw(table: string, row: Row, scopes: readonly Scope[]): boolean {
    if (this.who.uid === null) return false;
    const ctx = this.context(table, "select");
    return scopes.some((scope) => holds(scope, row, ctx));
  }

  /** The context scopes read; with `borrowed` false temporary grants and member sets reach nothing, parents included. */
  context(table: string, command: Command, borrowed = true): ScopeContext {
    return {
      app: this.app,
      schema: this.schema,
      tables: this.tables,
      who: this.who,
      table,
      command,
      borrowed,
      sees: (t, row) => this.sees(t, row, borrowed),
    };
  }

  /** Whether a permissive rule of the command reaches the row (`using`, or `check` for a new row) and no restriction hides it. */
  private allows(table: string, command: Command, row: Row, side: "using" | "check", borrowed = true): boolean {
    if (!this.role || this.who.uid === null) return false;
    const rule = ruleFor(this.role, table, command);
    if (!rule) return false;
    const ctx = this.context(table, command, borrowed);
    if (!rule[side].some((scope) => holds(scope, row, ctx))) return false;
    return restrictionsOn(this.app, table).every(
      (r) => passes(r, this.role!, command, row, ctx) || (side === "using" && bans(r, this.role!, command, row, ctx)),
    );
  }

  /** Whether the persona's select rules and the restrictions let them see the row. */
  sees(table: string, row: Row, borrowed = true): boolean {
    const id = `${table}:${keyOf(this.shape(table), row)}:${borrowed}`;
    const known = this.seen.get(id);
    if (known !== undefined && rowsOf(this.tables, table).includes(row)) return known;
    const answer =
      this.allows(table, "select", row, "using", borrowed) ||
      (table === this.app.identity.grants?.table &&
        this.role !== undefined &&
        seesGrant(this.app, this.tables, grantReachOf(this.app, this.role), this.who, row));
    if (rowsOf(this.tables, table).includes(row)) this.seen.set(id, answer);
    return answer;
  }

  /** The rows of the table the persona sees. */
  visible(table: string): Row[] {
    return rowsOf(this.tables, table).filter((row) => this.sees(table, row));
  }

  /** `update <table> set <change> where <key> = <row's key>`. */
  update(table: string, row: Row, change: Readonly<Record<string, Value>>): WriteOutcome {
    const privileges = this.columns(table);
    const keyReadable = this.shape(table).primaryKey.every((c) => privileges.select.has(c));
    if (!keyReadable || !Object.keys(change).every((c) => privileges.update.has(c))) return "refused";
    // PostgreSQL reads the row through the where clause first: select rules apply, then the update's using
    if (!this.sees(table, row) || !this.allows(table, "update", row, "using")) return "untouched";
    const after: Row = { ...row, ...change };
    const ctx = this.context(table, "update");
    if (refusedByApprovals(this.app, this.role!, { kind: "update", old: row, changed: change }, ctx)) return "refused";
    // grants never move rows: a holder column changes only on a row reached without borrowing, and stays in reach
    const moved = [...holderColumns(this.app, table)].some((c) => c in change && change[c] !== row[c]);
    if (moved && (!this.sees(table, row, false) || !this.sees(table, after, false))) return "refused";
    if (!this.ownersAccept(table, after, row)) return "refused";
    // the new row passes the update's check and, since the statement reads the table, the select rules too
    if (!this.allows(table, "update", after, "check") || !this.allows(table, "select", after, "using")) return "refused";
    return "changed";
  }

  /**
   * `insert into <table> (<columns of sent>) values (…)`, without `returning`; `row` is the new row as the table's
   * defaults complete it.
   */
  insert(table: string, sent: Row, row: Row): WriteOutcome {
    const privileges = this.columns(table);
    if (!Object.keys(sent).every((c) => privileges.insert.has(c))) return "refused";
    if (!this.allows(table, "insert", row, "check")) return "refused";
    if (!this.ownersAccept(table, row)) return "refused";
    if (refusedByApprovals(this.app, this.role!, { kind: "insert", row }, this.context(table, "insert"))) return "refused";
    return "changed";
  }

  /** `delete from <table> where <key> = <row's key>`: a soft-delete table marks the row instead. */
  delete(table: string, row: Row): WriteOutcome {
    if (!this.role || ruleFor(this.role, table, "delete") === undefined) return "refused";
    const privileges = this.columns(table);
    if (!this.shape(table).primaryKey.every((c) => privileges.select.has(c))) return "refused";
    if (!this.sees(table, row) || !this.allows(table, "delete", row, "using")) return "untouched";
    if (refusedByApprovals(this.app, this.role, { kind: "delete", old: row }, this.context(table, "delete"))) return "refused";
    const soft = (this.app.softDeletes ?? []).find((s) => s.table === table);
    // a row already marked keeps its first marks
    if (soft && row[soft.column] !== null && row[soft.column] !== undefined) return "untouched";
    return "changed";
  }

  /**
   * The owner check (CONVENTIONS.md "Owners are active users whose role owns rows"): for each `own(col)` in a select
   * rule of the table, a new owner must be an active user holding a role whose select rule has `own(col)`.
   */
  private ownersAccept(table: string, row: Row, old?: Row): boolean {
    const { users, userRoles } = this.app.identity;
    if ([users.table, userRoles.table, this.app.identity.units.table, this.app.identity.grants?.table].includes(table))
      return true;
    for (const [column, roles] of ownerColumns(this.app, table)) {
      const owner = row[column] ?? null;
      if (owner === null || (old !== undefined && (old[column] ?? null) === owner)) continue;
      const user = rowsOf(this.tables, users.table).find((u) => u[users.id] === owner);
      if (!user || user[users.status] !== users.activeStatus) return false;
      const held = rowsOf(this.tables, userRoles.table).filter((r) => r[userRoles.user] === owner);
      if (!held.some((r) => roles.has(String(r[userRoles.role])))) return false;
    }
    return true;
  }
}
