import type { Catalog } from "../catalog/introspect";
import type { AppDefinition } from "../policy/define";
import { lineComment, sql, toDdl } from "../sql/ddl";
import { emitActivity } from "./emit/activity";
import { emitApprovals } from "./emit/approvals";
import { emitAudit } from "./emit/audit";
import { emitColumnHelpers } from "./emit/columns";
import { emitHelpers } from "./emit/helpers";
import { emitHolderGuards, emitOwnerChecks } from "./emit/guard";
import { emitOffboarding } from "./emit/offboarding";
import { emitOperations } from "./emit/operations";
import { emitEndings } from "./emit/end-when";
import { emitExports } from "./emit/exports";
import { emitRowMasks } from "./emit/row-masks";
import { emitLeftoverCleanup } from "./emit/leftovers";
import { emitPublicPools } from "./emit/public-pool";
import { emitReveals } from "./emit/reveal";
import { emitViewAs } from "./emit/view-as";
import { emitEncryptedTables, emitEncryptionStore, emitHashColumns, emitLookups } from "./emit/encryption";
import { emitMaskFunctions, emitMaskTwins } from "./emit/masks";
import { emitTablePolicies } from "./emit/policies";
import { emitSoftDeleteColumns, emitSoftDeletes } from "./emit/soft-delete";
import { emitTemporaryGrants } from "./emit/temporary-grants";
import { emitRoles } from "./emit/roles";
import { emitSchemaGrants, emitTableGrants } from "./emit/grants";
import { emitReviewReads } from "./emit/review-reads";
import { emitView, emitViewDrops } from "./emit/views";
import { emitRoleSchemaDrops, emitRoleSchemas } from "./emit/role-schemas";
import { lint, type LintFinding } from "./lint";
import { renderMatrix } from "./matrix";
import { buildPlan, tableOf, type Plan } from "./plan";
import { scopeContextOf } from "./scope-context";
import type { ScopeContext } from "./scope-sql";
import type { Statement } from "./statement";
import { emitKeyArrays } from "./key-arrays";
import { CompileError, validate } from "./validate";

export { CompileError } from "./validate";
export type { Plan } from "./plan";
export type { Statement } from "./statement";
export type { LintFinding } from "./lint";
export { readableColumns } from "./readable";

/** The output of a compile: the SQL to apply, the access matrix, and what they were made from. */
export interface CompileResult {
  readonly sql: string;
  readonly matrix: string;
  readonly plan: Plan;
  readonly statements: readonly Statement[];
}

/** A security lint failed; the compile wrote nothing. */
export class LintError extends CompileError {
  constructor(readonly findings: readonly LintFinding[]) {
    super(findings.map((f) => `lint ${f.lint}: ${f.message}`));
    this.name = "LintError";
  }
}

/** The app with another role prefix, e.g. a unique one per test database. */
export function withRolePrefix(app: AppDefinition, rolePrefix: string): AppDefinition {
  return Object.freeze({ ...app, rolePrefix });
}

/**
 * Generated statements, in the order they must run. Pure: reads the plan only (no catalog, no database).
 *
 * @example
 * const statements = emitStatements(buildPlan(app, catalog));
 */
export function emitStatements(plan: Plan): Statement[] {
  const { app } = plan;
  const keyOf = (table: string) => ({ key: tableOf(plan, table).key, type: tableOf(plan, table).keyType });
  const ctx = (table: string, command: ScopeContext["command"] = "select"): ScopeContext => scopeContextOf(plan, table, command);
  const head: Statement[] = [
    {
      kind: "schema",
      sql: sql`${lineComment(`toolkit schema: identity helpers, masks and the login mapping for schema ${app.schema}`)}
create schema if not exists ${sql.identifier(app.toolkitSchema)};
revoke create on schema ${sql.identifier(app.toolkitSchema)} from public;`,
    },
    ...emitRoles(plan),
    ...emitHelpers(plan, (table) => ctx(table)),
  ];
  const rest: Statement[] = [
    ...emitColumnHelpers(plan),
    ...emitMaskFunctions(plan),
    ...emitViewDrops(plan),
    ...emitRoleSchemaDrops(plan),
    ...emitMaskTwins(plan),
    ...emitHashColumns(plan),
    ...emitSoftDeleteColumns(plan),
    ...emitSchemaGrants(plan),
    ...plan.tables.flatMap((t) => [...emitTablePolicies(plan, t, ctx), ...emitTableGrants(plan, t)]),
    ...plan.views.flatMap((v) => emitView(plan, v, (table) => ctx(table))),
    ...emitRowMasks(plan, (table) => ctx(table)),
    ...emitRoleSchemas(plan),
    ...emitHolderGuards(plan),
    ...emitApprovals(plan, (table) => ctx(table)),
    ...emitOwnerChecks(plan),
    ...emitTemporaryGrants(plan),
    ...emitOffboarding(plan),
    ...emitOperations(plan, (table) => ctx(table, "update")),
    ...emitEndings(
      plan,
      (table) => ctx(table),
      (table) => tableOf(plan, table).primaryKey,
    ),
    ...emitPublicPools(plan, (table) => ctx(table, "update"), keyOf),
    ...emitSoftDeletes(plan, ctx),
    ...emitAudit(plan),
    ...emitEncryptionStore(plan),
    ...emitEncryptedTables(plan),
    ...emitLookups(plan),
    ...emitExports(plan, (table) => ctx(table)),
    ...emitReveals(plan, (table) => ctx(table), keyOf),
    ...emitActivity(plan),
    ...emitViewAs(plan),
    ...emitReviewReads(plan),
  ];
  const statements = [...head, ...emitKeyArrays(plan, ctx), ...rest];
  return [...statements, ...emitLeftoverCleanup(app, statements)];
}

const HEADER =
  "-- generated by gatehouse compile from the role definitions: do not edit by hand.\n" +
  "-- re-applying it is idempotent; every policy and grant says which definition produced it.";

/**
 * Compiles an app against the live catalog: validates, plans, emits, lints. Throws a
 * {@link CompileError} (or {@link LintError}) naming every problem; returns nothing partial.
 *
 * @example
 * const catalog = await introspect(client, app.schema, [app.toolkitSchema]);
 * const { sql, matrix } = compileApp(app, catalog);
 */
export function compileApp(app: AppDefinition, catalog: Catalog): CompileResult {
  validate(app, catalog);
  const plan = buildPlan(app, catalog);
  const statements = emitStatements(plan);
  const findings = lint(plan, statements, catalog);
  if (findings.length > 0) throw new LintError(findings);
  const text = [HEADER, ...statements.map((s) => toDdl(s.sql))].join("\n\n") + "\n";
  return Object.freeze({ sql: text, matrix: renderMatrix(plan), plan, statements: Object.freeze(statements) });
}
