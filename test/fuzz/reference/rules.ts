import type { AppDefinition, RoleDefinition, Scope, TableRules } from "../../../db";
import type { Command } from "./scopes";

/** The role and every role it extends, each once, farthest ancestor first and the role itself last. */
export function familyOf(role: RoleDefinition): RoleDefinition[] {
  const out: RoleDefinition[] = [];
  const visit = (r: RoleDefinition): void => {
    for (const parent of r.extends) visit(parent);
    if (!out.includes(r)) out.push(r);
  };
  visit(role);
  return out;
}

export function roleNamed(app: AppDefinition, name: string): RoleDefinition | undefined {
  return app.roles.find((r) => r.name === name);
}

/** The table rules a role has, its own and inherited. */
export const rulesOf = (role: RoleDefinition, table: string): TableRules[] =>
  familyOf(role).flatMap((r) => (r.tables[table] ? [r.tables[table]!] : []));

/**
 * A role's rule for one command on a table, inheritance read as "everything the parent may, plus": the `using`
 * scopes (rows it may reach) and the `check` scopes (rows it may leave behind), each an alternative. An update's
 * check defaults to its using. Undefined when the role has no such rule.
 */
export interface CommandRule {
  readonly using: readonly Scope[];
  readonly check: readonly Scope[];
}

export function ruleFor(role: RoleDefinition, table: string, command: Command): CommandRule | undefined {
  const using: Scope[] = [];
  const check: Scope[] = [];
  for (const r of rulesOf(role, table)) {
    if (command === "select" && r.select) using.push(r.select);
    if (command === "delete" && r.delete) using.push(r.delete);
    if (command === "insert" && r.insert) check.push(r.insert.check);
    if (command === "update" && r.update) {
      using.push(r.update.using);
      check.push(r.update.check ?? r.update.using);
    }
  }
  return using.length + check.length === 0 ? undefined : { using, check };
}
