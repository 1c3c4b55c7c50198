import type { RoleDefinition } from "./roles";
import type { Scope } from "./scopes";
import { assertShape } from "./shape";

/**
 * A masking view over one table that selects only the listed columns (raw columns, or the twin names of
 * declared masks) and only rows in `where`. It is `security_barrier` and runs as its own owner role, which
 * holds exactly what the view needs on the table — those columns and those rows; its roles hold select on
 * the view and nothing on the table.
 */
export interface ViewDefinition {
  readonly kind: "view";
  readonly name: string;
  readonly from: string;
  readonly columns: readonly string[];
  readonly where: Scope;
  readonly roles: readonly RoleDefinition[];
  readonly description: string;
}

/**
 * Defines a masking view. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * view("research_export", {
 *   from: "patients", columns: ["id", "ward_id", "admitted_month"],
 *   where: and(isNull("deleted_at"), is("consent_research", true)), roles: [researcher],
 * })
 */
export function view(
  name: string,
  definition: { from: string; columns: readonly string[]; where: Scope; roles: readonly RoleDefinition[]; description?: string },
): ViewDefinition {
  assertShape("view", [name, definition]);
  return Object.freeze({
    kind: "view",
    name,
    from: definition.from,
    columns: Object.freeze([...definition.columns]),
    where: definition.where,
    roles: Object.freeze([...definition.roles]),
    description: definition.description ?? "",
  });
}
