import type { AppDefinition, RestrictionDefinition, RoleDefinition, Scope } from "../../../db";
import type { Row } from "./data";
import { familyOf } from "./rules";
import { holds, type Command, type ScopeContext } from "./scopes";

/** The scopes under which a restriction keeps a row for the role anyway: its `unless`, and the role's (inherited) exemptions. */
export function keepsOf(restriction: RestrictionDefinition, role: RoleDefinition): Scope[] {
  const family = familyOf(role);
  return [
    ...(restriction.unless ? [restriction.unless] : []),
    ...restriction.exempt.filter(([r]) => family.includes(r)).map(([, scope]) => scope),
  ];
}

/** Whether the restriction lets the row through for the role and command: it does not hide it, or the role keeps it. */
export function passes(
  restriction: RestrictionDefinition,
  role: RoleDefinition,
  command: Command,
  row: Row,
  ctx: ScopeContext,
): boolean {
  if (!restriction.commands.includes(command)) return true;
  if (!holds(restriction.hides, row, ctx)) return true;
  return keepsOf(restriction, role).some((scope) => holds(scope, row, ctx));
}

/** The app's restrictions on a table (the soft-delete one is among them: `defineApp` adds it). */
export const restrictionsOn = (app: AppDefinition, table: string): RestrictionDefinition[] =>
  app.restrictions.filter((r) => r.table === table);

/**
 * A restriction that hides every row from a command is a ban: an update it covers is refused with an error instead
 * of matching no row (CONVENTIONS.md "Rows").
 */
export const bans = (restriction: RestrictionDefinition, role: RoleDefinition, command: Command, row: Row, ctx: ScopeContext) =>
  restriction.hides.kind === "all" && restriction.commands.includes(command) && !passes(restriction, role, command, row, ctx);
