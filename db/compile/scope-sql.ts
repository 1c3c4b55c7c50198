import { writesSublinks, type AppDefinition } from "../policy/define";
import type { Command } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { sql, type SQL } from "../sql/ddl";
import { helperIdent } from "./names";
import { kindOf, type RenderTools } from "./scopes";

/** Where a scope is rendered: which row its columns belong to, and for which command. */
export interface ScopeContext {
  readonly app: AppDefinition;
  /** Table the row belongs to. */
  readonly table: string;
  /** Name the row is referred to by: the table's own name in a policy, an alias inside `exists`. */
  readonly row: string;
  readonly command: Command;
  readonly depth: number;
  /** SQL types of the arrays that expanding helpers return (PostgreSQL reads `any ((select …))` as a subquery without a cast). */
  readonly arrayTypes: {
    readonly unit: string;
    readonly user: string;
    readonly grantRow: string;
    readonly member: (set: string) => string;
  };
  /** Column of `parent` that `table.column` references (from the plan's foreign keys). */
  readonly parentKey: (table: string, column: string, parent: string) => string;
  /** Whom the identity helpers ask about: `current_user` in a policy, the caller inside a SECURITY DEFINER function. */
  readonly actor?: SQL;
  /**
   * The keys of the parent rows a `via` on `table` admits, from its array helper (see `key-arrays.ts`): a plain call
   * under `policies: { sublinks: false }`, else `(select helper())::type[]`, once per statement.
   */
  readonly viaArray?: (table: string, scope: Extract<Scope, { kind: "via" }>, command: Command) => SQL;
  /** Rendered into a function's body, not a policy: sub-selects stay even under `policies: { sublinks: false }`. */
  readonly functionBody?: boolean;
}

/** Whether a scope rendered in the context may hold sub-selects: in a function's body, or unless the app says otherwise. */
export const writesSubSelects = (ctx: ScopeContext): boolean => ctx.functionBody === true || writesSublinks(ctx.app);

/**
 * `(select gatehouse.helper(current_user))`: the helper runs once per statement, as an InitPlan; a plain call of the
 * STABLE helper under `policies: { sublinks: false }`.
 */
export const onceWithRole = (app: AppDefinition, helper: string, ...args: SQL[]): SQL => {
  const call = sql`${helperIdent(app, helper)}(${sql.join([sql`current_user`, ...args], ", ")})`;
  return writesSublinks(app) ? sql`(select ${call})` : call;
};

/** Privileges of a temporary grant that open a row for a command: an update grant also lets you see the row. */
export const grantPrivileges = (command: Command): string[] => (command === "select" ? ["select", "update"] : [command]);

/**
 * Renders a scope as a boolean SQL expression over the context's row; each kind renders itself (`scopes/`).
 *
 * @example
 * renderScope(own("doctor_id"), ctx) // "patients"."doctor_id" = (select "gatehouse"."current_user_id"(current_user))
 */
export function renderScope(scope: Scope, ctx: ScopeContext): SQL {
  const remembered = renders.get(ctx);
  const known = remembered?.get(scope);
  if (known) return known;
  const tools: RenderTools = {
    ctx,
    column: (column) => sql.identifier(ctx.row, column),
    once: (helper, ...args) =>
      ctx.actor
        ? sql`(select ${helperIdent(ctx.app, helper)}(${sql.join([ctx.actor, ...args], ", ")}))`
        : writesSubSelects(ctx)
          ? sql`(select ${helperIdent(ctx.app, helper)}(${sql.join([sql`current_user`, ...args], ", ")}))`
          : onceWithRole(ctx.app, helper, ...args),
    render: renderScope,
  };
  const rendered = kindOf(scope).render(scope, tools);
  remembered?.set(scope, rendered);
  return rendered;
}

/** Scopes rendered in a context, for contexts made to be reused (`scopeContextOf`): the same scopes recur on every role. */
const renders = new WeakMap<ScopeContext, WeakMap<Scope, SQL>>();

/**
 * Marks a frozen context as reused, so {@link renderScope} renders each scope in it once: rendering is a function of
 * the scope and the context alone.
 *
 * @example
 * const ctx = rememberRenders(Object.freeze({ app, table: "patients", row: "patients", command: "select", … }));
 */
export function rememberRenders(ctx: ScopeContext): ScopeContext {
  renders.set(ctx, new WeakMap());
  return ctx;
}
