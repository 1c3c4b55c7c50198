/**
 * Gatehouse's main entry point (`import … from "gatehouse-rls"`): the definition API, the compiler, apply, the
 * project configuration, the runtime functions an app calls (role-bound logins, the audit trail) and the
 * CLI program. Everything here is public unless marked `@internal` (exported for the package's own server
 * side and benchmarks; it may change without notice).
 *
 * @example
 * import { defineApp, role, own, compileAgainst } from "gatehouse-rls";
 * const { sql, matrix } = await compileAgainst(client, app);
 */

// the definition API (also re-exports pg-sql2's `sql`)
export * from "./policy";

// the compiler
export {
  compileApp,
  CompileError,
  LintError,
  withRolePrefix,
  readableColumns,
  type CompileResult,
  type Plan,
  type Statement,
  type LintFinding,
} from "./compile";
export { describeScope } from "./compile/describe";
export { reviewerRoles } from "./compile/reviewers";
export { roleName, roleSchemaName, viewOwner } from "./compile/names";
export { rowMasksOf, maskReading, rawReader, type RowMask, type MaskReading } from "./compile/row-masks";
export { literal, toDdl } from "./sql/ddl";

// reading the live database and applying
export { introspect, type Catalog, type CatalogTable, type CatalogColumn, type CatalogFunction } from "./catalog/introspect";
export { applySql, compileAgainst, compileAndApply } from "./apply/apply";

// drift: the live database against the definitions
export { checkDrift, type DriftReport, type DriftItem, type DriftKind, type DriftCounts } from "./drift/check";
export { renderDrift, driftSummary } from "./drift/render";
export { checkGrantDrift } from "./drift/grant-drift";

// security lints on a live database
export {
  lintDatabase,
  LIVE_LINTS,
  ROW_SECURITY_FIXES,
  serverVersionFindings,
  type LiveLintFinding,
  type LiveLintLevel,
  type LiveLint,
  type RowSecurityFix,
} from "./live-lint";
export type { LiveLintContext } from "./live-lint/context";

// the project configuration
export {
  defineConfig,
  type GatehouseConfig,
  type PersonaInfo,
  type GeneratorConfig,
  type GeneratorFlags,
  type CodegenSettings,
} from "./config";
export { loadConfig } from "./cli/config";

// runtime functions
export { createRoleBoundLogin, rotateLoginPassword, disableLogin, loginName, type RoleBoundLogin } from "./runtime/logins";
export { listLogins, type LoginStatus } from "./runtime/login-list";
export {
  DEFAULT_LOGIN_SETTINGS,
  resolveLoginSettings,
  describeLoginSettings,
  type LoginSettings,
  type LoginSettingsInput,
} from "./runtime/login-settings";
export { verifyAuditLog, pauseAudit, type AuditVerification, type AuditProblem } from "./runtime/audit";
export { keyStatus, rotateKeys, type KeyStatus, type RotationOutcome, type RotationProgress } from "./runtime/keys";
// the access review and anomaly alerts (gatehouse review, gatehouse alerts)
export {
  readReview,
  EXPIRING_DAYS,
  EXPIRED_SHOWN_DAYS,
  type Review,
  type ReviewGrant,
  type ReviewLogin,
  type UserActivity,
  type DriftSummary,
} from "./review/review";
export { readAlerts, type Alert, type AlertReport } from "./review/alerts";
export {
  alertSettings,
  parseWindow,
  ALERT_METRICS,
  DEFAULT_ALERTS,
  type AlertMetric,
  type AlertSettings,
  type AlertSettingsInput,
} from "./review/settings";
export { personalData, type PersonalColumn } from "./review/personal-data";
export { reviewDocument, type ReviewDocument, type Section, type Block } from "./review/document";
export { renderMarkdown, renderHtml } from "./review/render";
export { parseFailOn, failures, FINDINGS, type Finding } from "./review/findings";
export { withClient } from "./runtime/client";
export { connectionUrl, type ConnectionTarget } from "./runtime/connection-url";
export { formatDuration } from "./runtime/durations";

// why a user can or cannot see or change one row, evaluated in the database as that user
export {
  explainAccess,
  type ArmVerdict,
  type ColumnVerdict,
  type ExplainOptions,
  type ExplainRequest,
  type Explanation,
  type PolicyVerdict,
  type RoleExplanation,
  type StageVerdict,
  type Verdict,
} from "./explain/explain";
export { explainOwnRow, holdsRole, type OwnRowRequest } from "./explain/own-row";
/** @internal For the console's tools on the API server: act as a signed-in user, read only. */
export { asSignedIn, type SignedIn } from "./explain/as-user";
export { renderExplanation, type Paint } from "./explain/render";

// the CLI program, to which the server side adds its commands
export { createProgram, runProgram, type CliCommand, type CliContext } from "./cli/program";

/** @internal For the server's CLI commands and the benchmarks; not a stable API. */
export { openProjectDatabase, type ProjectDatabase } from "./cli/database";
/** @internal */
export { migrateProject } from "./cli/migrate";
/** @internal */
export { seedProject, type SeedOutcome } from "./cli/seed";
/** @internal */
export { authenticatorPassword, DEV_AUTHENTICATOR_PASSWORD } from "./cli/authenticator";
/** @internal */
export { requireMigrated } from "./cli/database-state";
/** @internal */
export { positive } from "./cli/arguments";
/** @internal */
export { EXPORT_BATCH } from "./cli/export";
/** @internal */
export { findUser, UnknownUserError, type IdentityUser } from "./cli/identity-user";
/** @internal */
export { didYouMean } from "./policy/suggest";
/** @internal */
export { startEmbeddedPostgres, handleSignalsYourself } from "./runtime/embedded";
/** @internal */
export { explainConnectionError } from "./runtime/connection-errors";
/** @internal */
export { SOFT_DELETE } from "./compile/emit/soft-delete";
/** @internal The server's activity record (table and function names in the toolkit schema), for the API server. */
export { ACTIVITY } from "./compile/emit/activity";
/** @internal The identity helpers' names in the toolkit schema (the server asks `current_user_id` whether a view still holds). */
export { HELPERS } from "./compile/names";
/** @internal The view-as session table, functions and claims in the toolkit schema, for the API server's view-as route. */
export { VIEW_AS } from "./compile/emit/view-as";

/** @internal For the toolkit's own tests of the compiler's stages in isolation; not a stable API. */
export { buildPlan, tableOf } from "./compile/plan";
/** @internal */
export { emitStatements } from "./compile";
/** @internal */
export { validate } from "./compile/validate";
/** @internal */
export { renderMatrix } from "./compile/matrix";
/** @internal */
export { lint } from "./compile/lint";
/** @internal */
export { policyArms, scopeLabel, type PolicyArm, type PolicyArms } from "./compile/policy-arms";
/** @internal */
export { SCOPE_KINDS } from "./compile/scopes";
/** @internal */
export { directColumns } from "./compile/walk";
/** @internal */
export { starViews } from "./compile/emit/role-schemas";
/** @internal */
export { changesSince, foldCommitted, renderChanges, toUnits, type CommittedGeneration } from "./migrations/changes";
/** @internal */
export { readCommittedGeneration } from "./migrations/committed";
/**
 * @internal The login settings' duration reader (`"5min"`, `"30s"`, or milliseconds as a number), exported
 * under this name because the definition API's `parseDuration` (temporary grants, approvals) is another function.
 */
export { parseDuration as parseMilliseconds } from "./runtime/durations";
/** @internal */
export { scramSha256Verifier } from "./runtime/scram";
/** @internal */
export { EMBEDDED_SUPERUSER_PASSWORD } from "./runtime/embedded";
/** @internal */
export { freePort } from "./runtime/free-port";
