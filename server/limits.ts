import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "postgraphile/graphql";

/** What one request may cost. Every field is configurable from the environment (see server/config.ts). */
export interface Limits {
  /** Deepest field nesting an operation may select (introspection fields are not counted). */
  readonly maxDepth: number;
  /** Operation definitions one request document may hold. */
  readonly maxOperations: number;
  /**
   * Fields one operation may select in all: each alias counts, a fragment counts each time it is spread,
   * `__typename` and `__type` count, one `__schema` introspection does not (GraphiQL's). A bound on the work
   * of one request that depth alone does not give (a thousand aliases of a list at depth 2); a second
   * `__schema` in the same operation is refused outright (a thousand aliases of it took 30 s of CPU).
   */
  readonly maxFields: number;
  /** Largest request body, in bytes; larger bodies get HTTP 413. */
  readonly maxBodyBytes: number;
  /** `statement_timeout` of every request's transaction, in milliseconds. */
  readonly statementTimeoutMs: number;
  /**
   * The deadline of one request across all its statements, in milliseconds from when its token is accepted: a
   * statement that would start later is refused, and one that starts with less time left runs with its timeout cut
   * to what is left (`deadline.ts`).
   */
  readonly requestTimeoutMs: number;
}

/** The limits when the environment sets none. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxDepth: 10,
  maxOperations: 3,
  maxFields: 250,
  maxBodyBytes: 100_000,
  statementTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
});

/**
 * A validation rule refusing documents with more than `max` operation definitions.
 *
 * @example
 * validate(schema, document, [...specifiedRules, maxOperationsRule(3)]);
 */
export function maxOperationsRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Document(node) {
      const operations = node.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      if (operations.length > max) {
        context.reportError(
          new GraphQLError(`the request holds ${operations.length} operations; at most ${max} are allowed`, {
            nodes: operations.slice(max),
            extensions: { code: "TOO_MANY_OPERATIONS" },
          }),
        );
      }
    },
  });
}

/**
 * A validation rule refusing operations whose fields nest deeper than `max` (fragments expanded;
 * `__schema`/`__type` introspection is exempt so GraphiQL keeps working).
 *
 * @example
 * validate(schema, parse("{ a { b { c } } }"), [maxDepthRule(2)]); // one error: depth 3
 */
export function maxDepthRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const fragments = fragmentsOf(context);
      const depth = depthOf(node.selectionSet, fragments, new Set(), max + 1);
      if (depth > max) {
        context.reportError(
          new GraphQLError(`${operationName(node)} nests fields more than ${max} levels deep, the limit`, {
            nodes: [node],
            extensions: { code: "QUERY_TOO_DEEP" },
          }),
        );
      }
    },
  });
}

/**
 * A validation rule refusing operations that select more than `max` fields in all (see {@link Limits.maxFields}),
 * so an alias bomb is refused before any of it runs, and operations that select `__schema` more than once (each
 * alias or spread of it walks the whole schema in memory; one is GraphiQL's introspection, exempt from the count).
 *
 * @example
 * validate(schema, parse("{ a: me { id } b: me { id } }"), [maxFieldsRule(3)]); // one error: 4 fields
 */
export function maxFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const fragments = fragmentsOf(context);
      const introspection = { schemas: 0 };
      const fields = fieldsOf(node.selectionSet, fragments, new Set(), max + 1, introspection);
      if (introspection.schemas > 1) {
        // each __schema walks every type of the schema in memory, synchronously: aliases of it are a CPU bomb
        context.reportError(
          new GraphQLError(
            `${operationName(node)} selects __schema more than once; one introspection of the schema per operation is allowed`,
            {
              nodes: [node],
              extensions: { code: "TOO_MANY_FIELDS" },
            },
          ),
        );
      } else if (fields > max) {
        context.reportError(
          new GraphQLError(
            `${operationName(node)} selects more than ${max} fields (aliases and fragment spreads counted each time), the limit`,
            { nodes: [node], extensions: { code: "TOO_MANY_FIELDS" } },
          ),
        );
      }
    },
  });
}

/**
 * Fields of a selection set, nested ones and fragment spreads included; stops counting past `cap` (and on fragment
 * cycles). A `__schema` selection is not counted, only tallied in `introspection.schemas` (each spread again).
 */
function fieldsOf(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  cap: number,
  introspection: { schemas: number },
): number {
  if (!set) return 0;
  let count = 0;
  for (const selection of set.selections) {
    if (count >= cap || introspection.schemas > 1) break;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === "__schema") {
        introspection.schemas += 1;
        continue;
      }
      count += 1 + fieldsOf(selection.selectionSet, fragments, visiting, cap - count - 1, introspection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += fieldsOf(selection.selectionSet, fragments, visiting, cap - count, introspection);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      count += fieldsOf(fragment.selectionSet, fragments, visiting, cap - count, introspection);
      visiting.delete(name);
    }
  }
  return count;
}

/** The fragments of the document being validated, by name. */
function fragmentsOf(context: ValidationContext): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/** `operation Name`, or `the operation` when it has none: how the limits' errors name it. */
const operationName = (node: OperationDefinitionNode) => (node.name ? `operation ${node.name.value}` : "the operation");

/** Depth of a selection set, counting fields; stops counting past `cap` (and on fragment cycles). */
function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  cap: number,
): number {
  if (!set || cap <= 0) return 0;
  let deepest = 0;
  for (const selection of set.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith("__")) continue;
      depth = 1 + depthOf(selection.selectionSet, fragments, visiting, cap - 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = depthOf(selection.selectionSet, fragments, visiting, cap);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      depth = depthOf(fragment.selectionSet, fragments, visiting, cap);
      visiting.delete(name);
    }
    deepest = Math.max(deepest, depth);
    if (deepest >= cap) break;
  }
  return deepest;
}
