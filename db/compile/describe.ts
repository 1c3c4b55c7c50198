import type { Scope, ScopeValue } from "../policy/scopes";

const list = (values: readonly ScopeValue[]) => values.map((v) => (typeof v === "string" ? `'${v}'` : String(v))).join(" or ");

/**
 * A scope in words, for comments and the access matrix.
 *
 * @example
 * describeScope(or(own("owner_id"), pool("owner_id"))) // "rows they own (owner_id) or the unowned pool (owner_id is null)"
 */
export function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case "own":
      return `rows they own (${scope.column})`;
    case "unit":
      return `rows of their unit (${scope.column})`;
    case "unitTree":
      return `rows of their unit and its sub-units (${scope.column})`;
    case "userInTree":
      return `${scope.column} is a user of their unit or its sub-units`;
    case "all":
      return "every row";
    case "pool":
      return `the unowned pool (${scope.column} is null)`;
    case "via":
      return `rows whose ${scope.parent} row is visible to them${scope.where ? ` and matches: ${describeScope(scope.where)}` : ""}`;
    case "granted":
      return "rows granted to them by a live temporary grant";
    case "member":
      return `rows in ${scope.set.name.replace(/_/g, " ")} they belong to`;
    case "attr":
      return scope.op === "in" ? `${scope.column} is ${list(scope.values)}` : `${scope.column} is not ${list(scope.values)}`;
    case "isNull":
      return scope.negate ? `${scope.column} is set` : `${scope.column} is empty`;
    case "future":
      return `${scope.column} is still ahead`;
    case "channel":
      return scope.op === "in"
        ? `requests through ${scope.values.join(" or ")}`
        : `requests not through ${scope.values.join(" or ")}`;
    case "raw":
      return scope.description;
    case "or":
    case "and":
      return scope.scopes.length === 0
        ? scope.kind === "or"
          ? "no row"
          : "every row"
        : scope.scopes
            .map((s) =>
              (s.kind === "or" || s.kind === "and") && s.scopes.length > 1 ? `(${describeScope(s)})` : describeScope(s),
            )
            .join(` ${scope.kind} `);
  }
}
