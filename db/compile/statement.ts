import type { SQL } from "../sql/ddl";

/** One generated statement, with what the lints need to know about it. */
export interface Statement {
  readonly kind: "header" | "schema" | "role" | "table" | "function" | "column" | "rls" | "policy" | "grant" | "view";
  readonly sql: SQL;
  /** Table or view it acts on: unqualified in the app schema, `schema.name` elsewhere (a role schema's `select *` view). */
  readonly target?: string;
  /** For `rls` statements: whether it forces row security. */
  readonly force?: boolean;
  /** For `function` statements. */
  readonly fn?: {
    /** Schema of the function: the toolkit schema unless an operation lives in the app schema. */
    readonly schema?: string;
    readonly name: string;
    /** Argument types, which name the function in grants and revokes. */
    readonly argTypes: readonly string[];
    readonly securityDefiner: boolean;
    readonly volatility: "immutable" | "stable" | "volatile";
    readonly searchPath: boolean;
  };
  /** For `policy` statements that create policies: their names, in order (a statement that only drops has none). */
  readonly policies?: readonly string[];
  /**
   * For `grant` statements: the functions (`schema.name`) whose every privilege it revokes from PUBLIC (and, for
   * most, the app roles) before it grants any.
   */
  readonly revokes?: readonly string[];
  /** For `view` statements: whether the view is created with `security_invoker` (present exactly when it creates a view). */
  readonly securityInvoker?: boolean;
  /** For `view` statements: whether the view is created with `security_barrier`. */
  readonly securityBarrier?: boolean;
  /** For `view` statements: the role the view is altered to be owned by (absent: whoever applies the migration). */
  readonly owner?: string;
}
