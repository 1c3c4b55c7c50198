import type { AppDefinition } from "../policy/define";

/**
 * The roles that may see the whole access picture (the access matrix, drift and the access review): those whose
 * definitions already let them read every user (`select: all()` on the identity users table). Unprefixed.
 *
 * @example
 * reviewerRoles(clinic); // ["chief"]
 */
export function reviewerRoles(app: AppDefinition): string[] {
  return app.roles.filter((r) => r.tables[app.identity.users.table]?.select?.kind === "all").map((r) => r.name);
}
