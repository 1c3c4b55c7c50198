import type { AppDefinition } from "../policy/define";
import type { Command } from "../policy/roles";
import type { Scope, ScopeValue } from "../policy/scopes";
import { literal, sql, trusted, type SQL } from "../sql/ddl";
import { HELPERS, helperIdent, memberHelper, tableIdent } from "./names";

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
  /** Column of `parent` that `table.column` references (from the foreign key). */
  readonly parentKey: (table: string, column: string, parent: string) => string;
  /** Whom the identity helpers ask about: `current_user` in a policy, the caller inside a SECURITY DEFINER function. */
  readonly actor?: SQL;
}

/** `(select gatehouse.helper(current_user))`: the helper runs once per statement, as an InitPlan. */
export const onceWithRole = (app: AppDefinition, helper: string, ...args: SQL[]): SQL =>
  sql`(select ${helperIdent(app, helper)}(${sql.join([sql`current_user`, ...args], ", ")}))`;

const valueList = (values: readonly ScopeValue[]): SQL =>
  sql.join(
    values.map((v) => literal(v)),
    ", ",
  );

/** Privileges of a temporary grant that open a row for a command: an update grant also lets you see the row. */
export const grantPrivileges = (command: Command): string[] => (command === "select" ? ["select", "update"] : [command]);

/**
 * Renders a scope as a boolean SQL expression over the context's row.
 *
 * @example
 * renderScope(own("owner_id"), ctx) // "customers"."owner_id" = (select "gatehouse"."current_user_id"(current_user))
 */
export function renderScope(scope: Scope, ctx: ScopeContext): SQL {
  const col = (column: string) => sql.identifier(ctx.row, column);
  const { app } = ctx;
  const once = (helper: string, ...args: SQL[]) =>
    ctx.actor
      ? sql`(select ${helperIdent(app, helper)}(${sql.join([ctx.actor, ...args], ", ")}))`
      : onceWithRole(app, helper, ...args);
  switch (scope.kind) {
    case "own":
      return sql`${col(scope.column)} = ${once(HELPERS.userId)}`;
    case "unit":
      return sql`${col(scope.column)} = ${once(HELPERS.unitId)}`;
    case "unitTree":
      return sql`${col(scope.column)} = any (${once(HELPERS.unitTree)}::${trusted(ctx.arrayTypes.unit)}[])`;
    case "userInTree":
      return sql`${col(scope.column)} = any (${once(HELPERS.treeUsers)}::${trusted(ctx.arrayTypes.user)}[])`;
    case "all":
      return sql`true`;
    case "pool":
      return sql`${col(scope.column)} is null`;
    case "granted": {
      const privileges = sql.join(
        grantPrivileges(ctx.command).map((p) => literal(p)),
        ", ",
      );
      const helper = once(HELPERS.granted, literal(ctx.table), sql`array[${privileges}]`);
      return sql`${col(scope.column)} = any (${helper}::${trusted(ctx.arrayTypes.grantRow)}[])`;
    }
    case "member":
      return sql`${col(scope.column)} = any (${once(memberHelper(scope.set.name))}::${trusted(ctx.arrayTypes.member(scope.set.name))}[])`;
    case "attr": {
      const test =
        scope.values.length === 1
          ? sql`${col(scope.column)} = ${literal(scope.values[0]!)}`
          : sql`${col(scope.column)} in (${valueList(scope.values)})`;
      return scope.op === "in" ? test : sql`(${test}) is not true`;
    }
    case "isNull":
      return scope.negate ? sql`${col(scope.column)} is not null` : sql`${col(scope.column)} is null`;
    case "future":
      // by the clock, not the transaction's start; `(select …)` reads it once per statement
      return sql`${col(scope.column)} > (select pg_catalog.clock_timestamp())`;
    case "channel": {
      const channel = sql`(select ${helperIdent(app, HELPERS.channel)}())`;
      return scope.op === "in"
        ? sql`${channel} in (${valueList(scope.values)})`
        : sql`(${channel} in (${valueList(scope.values)})) is not true`;
    }
    case "raw":
      return sql`(${scope.sql})`;
    case "via": {
      const alias = `p${ctx.depth + 1}`;
      const inner: ScopeContext = { ...ctx, table: scope.parent, row: alias, depth: ctx.depth + 1 };
      const key = ctx.parentKey(ctx.table, scope.column, scope.parent);
      const link = sql`${sql.identifier(alias, key)} = ${col(scope.column)}`;
      const where = scope.where ? sql` and ${renderScope(scope.where, inner)}` : sql.blank;
      return sql`exists (select 1 from ${tableIdent(app, scope.parent)} as ${sql.identifier(alias)} where ${link}${where})`;
    }
    case "or":
    case "and": {
      if (scope.scopes.length === 0) return scope.kind === "or" ? sql`false` : sql`true`;
      if (scope.scopes.length === 1) return renderScope(scope.scopes[0]!, ctx);
      const parts = scope.scopes.map((s) => renderScope(s, ctx));
      return sql`(${sql.join(parts, scope.kind === "or" ? "\n      or " : "\n      and ")})`;
    }
  }
}
