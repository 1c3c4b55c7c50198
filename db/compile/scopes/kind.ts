import type { CatalogTable } from "../../catalog/introspect";
import type { AppDefinition } from "../../policy/define";
import type { MemberSet, Scope, ScopeValue } from "../../policy/scopes";
import { literal, sql, type SQL } from "../../sql/ddl";
import type { ScopeContext } from "../scope-sql";

/** The scope of one kind, e.g. `ScopeOf<"via">`. */
export type ScopeOf<K extends Scope["kind"]> = Extract<Scope, { kind: K }>;

/** What a kind renders with: its row's columns, the identity helpers, and the renderer for nested scopes. */
export interface RenderTools {
  readonly ctx: ScopeContext;
  /** A column of the context's row: `"patients"."doctor_id"`, or `"p1"."ward_id"` inside a `via`. */
  column(name: string): SQL;
  /** `(select helper(<actor>, …args))`: the helper runs once per statement, as an InitPlan. */
  once(helper: string, ...args: SQL[]): SQL;
  render(scope: Scope, ctx: ScopeContext): SQL;
}

/** What a kind validates with, for one scope on one table of the live schema; each check records its own problem. */
export interface ScopeChecks {
  readonly app: AppDefinition;
  /** The definition being checked, for messages: `role doctor`, `view research_export (via patients)`. */
  readonly who: string;
  readonly table: CatalogTable;
  /** Whether the table has the column; records a did-you-mean problem when not. */
  hasColumn(column: string): boolean;
  /** The table of the app schema by that name; records a problem when there is none. */
  findTable(name: string): CatalogTable | undefined;
  /** Checks a nested scope, on this table or another (a `via`'s parent). */
  check(who: string, table: CatalogTable, scope: Scope): void;
  checkMemberSet(set: MemberSet): void;
  problem(message: string): void;
}

/**
 * Everything the compiler knows about one kind of scope, in one place: adding a kind is one module exporting one of
 * these (plus its factory and shape in `db/policy/scopes.ts` and `db/policy/shape.ts`), registered in `./index.ts`.
 */
export interface ScopeKind<K extends Scope["kind"]> {
  /** It asks who is asking (the user, their unit, their grants, memberships or channel): not in an owner's or a trigger's condition. */
  readonly asksWho: boolean;
  /** It relies on another table's row security (`via`): not inside a security definer function, which bypasses it. */
  readonly readsParentRows: boolean;
  /** Its column says who holds a row (see `holders.ts`): borrowed access may not change it. */
  readonly holds: boolean;
  /** A boolean SQL expression over the context's row. */
  render(scope: ScopeOf<K>, tools: RenderTools): SQL;
  /** In words, for comments and the access matrix; `describe` renders nested scopes. */
  describe(scope: ScopeOf<K>, describe: (scope: Scope) => string): string;
  /** Checks the scope against the live schema, recording problems through `checks`. */
  validate(scope: ScopeOf<K>, checks: ScopeChecks): void;
  /** Every scope nested in it (a `via`'s parent condition included). */
  children(scope: ScopeOf<K>): readonly Scope[];
  /** Columns of its own row it reads directly (a `via`'s foreign key, not what the parent reads); `columns` for nested scopes. */
  columns(scope: ScopeOf<K>, columns: (scope: Scope) => readonly string[]): readonly string[];
  /** A structural key: equal scopes, however built, have equal keys. */
  key(scope: ScopeOf<K>, key: (scope: Scope) => string): string;
  /** Its place among the arms of a disjunction ({@link ARM_ORDER}); `order` ranks nested scopes. */
  order(scope: ScopeOf<K>, order: (scope: Scope) => number): number;
  /**
   * It holds only for a known, active user who holds the acting role: it compares with the identity helper's answer,
   * or with a helper that resolves it. Such an arm needs no guard before it; `knows` answers for nested scopes.
   */
  knowsUser(scope: ScopeOf<K>, knows: (scope: Scope) => boolean): boolean;
  /**
   * It opens a few rows per user, found by key (their own, their grants, their member sets): a `via` whose condition
   * is such a scope reads its parent's keys once per statement instead of probing the parent row by row (`via.ts`).
   */
  fewRows(scope: ScopeOf<K>, few: (scope: Scope) => boolean): boolean;
}

/**
 * Where an arm goes in a disjunction, cheapest first. A filter evaluated row by row stops at the first
 * arm that holds, and an arm's helper (an InitPlan) runs only when the arm is first reached: a page of
 * the reader's unit tree then never computes their grants or member sets, which match few rows. Within
 * one place the definitions' order is kept.
 */
export const ARM_ORDER = {
  /** Compares the row's own columns (with the user id at most): own, pool, attributes, the clock, the channel. */
  row: 0,
  /** A helper that opens many rows: the unit, the unit tree, the users of the tree; and `raw()`, whose cost is unknown. */
  wide: 1,
  /** A helper that opens a few rows by key: temporary grants, member sets. */
  borrowed: 2,
  /** A sub-select per row: `via`. */
  parent: 3,
} as const;

/** The parts most kinds share: a scope on one column of its row, checked to exist, with no nested scope. */
export function columnKind<K extends Scope["kind"]>(
  kind: Pick<ScopeKind<K>, "render" | "describe"> & Partial<ScopeKind<K>>,
): ScopeKind<K> {
  return {
    asksWho: false,
    readsParentRows: false,
    holds: false,
    validate: (scope, checks) => void checks.hasColumn((scope as { column: string }).column),
    children: () => [],
    columns: (scope) => [(scope as { column: string }).column],
    key: (scope) => JSON.stringify(scope),
    order: () => ARM_ORDER.row,
    knowsUser: () => false,
    fewRows: () => false,
    ...kind,
  };
}

/** `'a' or 'b'`, for descriptions. */
export const describeValues = (values: readonly ScopeValue[]): string =>
  values.map((v) => (typeof v === "string" ? `'${v}'` : String(v))).join(" or ");

/** The values as an SQL list of literals. */
export const valueList = (values: readonly ScopeValue[]): SQL =>
  sql.join(
    values.map((v) => literal(v)),
    ", ",
  );
