import type { AppDefinition, Scope } from "../../../db";
import { isHours, rowsOf, type Row, type Schema, type Tables, type Value } from "./data";
import type { Who } from "./identity";

export type Command = "select" | "insert" | "update" | "delete";

/** Everything a scope may read to decide whether it holds for one row. */
export interface ScopeContext {
  readonly app: AppDefinition;
  readonly schema: Schema;
  readonly tables: Tables;
  readonly who: Who;
  /** The table the row belongs to. */
  readonly table: string;
  /** The command the rule is for (a grant counts per command). */
  readonly command: Command;
  /** Whether temporary grants and member sets count (the holder guard turns them off). */
  readonly borrowed: boolean;
  /** Whether the persona may select `row` of `table`: the parent's own row security, which `via()` relies on. */
  readonly sees: (table: string, row: Row) => boolean;
}

type Meaning<K extends Scope["kind"]> = (scope: Extract<Scope, { kind: K }>, row: Row, ctx: ScopeContext) => boolean;

/** Grants of which privileges open a row for a command: an update grant lets its holder read the row too. */
const GRANT_PRIVILEGES: Record<Command, readonly string[]> = {
  select: ["select", "update"],
  insert: ["insert"],
  update: ["update"],
  delete: ["delete"],
};

const value = (row: Row, column: string): Value => row[column] ?? null;

/** SQL's `=`, where null equals nothing. */
const equals = (a: Value, b: Value): boolean => a !== null && b !== null && a === b;

/** A time still ahead of the clock: the generator keeps every time at least an hour away from now. */
const ahead = (v: Value): boolean => v !== null && isHours(v) && v.hours > 0;

/**
 * What each scope kind means, one function per kind, written from the definitions' TSDoc and CONVENTIONS.md:
 * `true` when the scope holds for the row (SQL's null counts as not holding, as a policy reads it).
 */
export const SCOPE_MEANINGS: { readonly [K in Scope["kind"]]: Meaning<K> } = {
  own: (s, row, { who }) => equals(value(row, s.column), who.uid),
  unit: (s, row, { who }) => equals(value(row, s.column), who.unit),
  unitTree: (s, row, { who }) => value(row, s.column) !== null && who.unitTree.has(value(row, s.column)),
  userInTree: (s, row, { who }) => value(row, s.column) !== null && who.treeUsers.has(value(row, s.column)),
  all: () => true,
  pool: (s, row) => value(row, s.column) === null,
  via: (s, row, ctx) => {
    const fk = ctx.schema.get(ctx.table)?.foreignKeys.find((k) => k.column === s.column && k.parent === s.parent);
    const key = fk?.key ?? "id";
    const inner: ScopeContext = { ...ctx, table: s.parent };
    return rowsOf(ctx.tables, s.parent).some(
      (p) => equals(value(p, key), value(row, s.column)) && ctx.sees(s.parent, p) && (!s.where || holds(s.where, p, inner)),
    );
  },
  granted: (s, row, ctx) => {
    const grants = ctx.app.identity.grants;
    if (!grants || !ctx.borrowed || ctx.who.uid === null) return false;
    return rowsOf(ctx.tables, grants.table).some(
      (g) =>
        equals(value(g, grants.grantee), ctx.who.uid) &&
        value(g, grants.tableName) === ctx.table &&
        GRANT_PRIVILEGES[ctx.command].includes(String(value(g, grants.privilege))) &&
        ahead(value(g, grants.expires)) &&
        equals(value(g, grants.row), value(row, s.column)),
    );
  },
  member: (s, row, ctx) => {
    if (!ctx.borrowed || ctx.who.uid === null) return false;
    const { membership, link, live } = s.set;
    const groups = rowsOf(ctx.tables, membership.table)
      .filter((m) => equals(value(m, membership.user), ctx.who.uid))
      .map((m) => value(m, membership.group));
    // the member set's helper reads its tables as their owner: no row security inside
    const linkContext: ScopeContext = { ...ctx, table: link.table };
    return rowsOf(ctx.tables, link.table).some(
      (l) =>
        groups.some((g) => equals(g, value(l, link.group))) &&
        equals(value(l, link.row), value(row, s.column)) &&
        (!link.where || holds(link.where, l, linkContext)) &&
        (!live ||
          rowsOf(ctx.tables, live.table).some(
            (g) => equals(value(g, live.key), value(l, link.group)) && holds(live.where, g, { ...ctx, table: live.table }),
          )),
    );
  },
  attr: (s, row) => {
    const v = value(row, s.column);
    const among = v !== null && s.values.some((x) => x === v);
    return s.op === "in" ? among : !among;
  },
  isNull: (s, row) => (value(row, s.column) === null) !== s.negate,
  future: (s, row) => ahead(value(row, s.column)),
  channel: (s, _row, { who }) => {
    const among = who.channel !== null && s.values.includes(who.channel);
    return s.op === "in" ? among : !among;
  },
  raw: (s) => {
    throw new Error(`the reference evaluator cannot read raw SQL (${s.description})`);
  },
  or: (s, row, ctx) => s.scopes.some((x) => holds(x, row, ctx)),
  and: (s, row, ctx) => s.scopes.every((x) => holds(x, row, ctx)),
};

/** Whether `scope` holds for `row`, dispatched on its kind. */
export function holds(scope: Scope, row: Row, ctx: ScopeContext): boolean {
  const meaning = SCOPE_MEANINGS[scope.kind] as Meaning<Scope["kind"]>;
  return meaning(scope as never, row, ctx);
}
