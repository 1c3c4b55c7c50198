/**
 * `gatehouse-rls/server`: the PostGraphile v5 API over an app compiled by Gatehouse. One GraphQL schema per
 * role (each built as that role sees the database), a JWT authenticator whose claims PostgreSQL checks
 * again, limits, error masking, and the server's CLI commands (`start`, `serve`, `token`, `schema`).
 *
 * @example
 * import { loadServerConfig, startApiServer } from "gatehouse-rls/server";
 * const server = await startApiServer({ app, ...loadServerConfig(app, process.env) });
 */
import "./polyfill";

export { rolePreset, pgSettingsOf, type RolePresetOptions } from "./preset";
export { startApiServer, APPLICATION_NAME, type ApiServer, type ApiServerOptions } from "./http";
export { serveUntilSignal } from "./main";
export {
  loadServerConfig,
  describeMode,
  devTokenSettings,
  ConfigError,
  DEFAULT_PORT,
  DEV_JWT_SECRET,
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  SERVER_ENV,
  type ServerConfig,
} from "./config";
/** @internal For the toolkit's own tests; not a stable API. */
export { isLoopback } from "./config";
export {
  makeAuthenticator,
  formatLifetime,
  AuthError,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  type Authenticate,
  type AuthSettings,
  type Identity,
} from "./auth";
export { signDevToken, type TokenClaims } from "./tokens";
export { ownerConsoleTools, type ConsoleDemo } from "./console/demo";
export {
  authenticatorConsoleTools,
  reviewerDatabaseRoles,
  type ConsoleExplanation,
  type ConsoleMatrix,
  type ConsoleReviewSettings,
  type ConsoleTools,
} from "./console/tools";
export { consoleRoutes, CONSOLE_PATH } from "./console/routes";
export { buildConsoleAssets } from "./console/assets";
export { DEFAULT_LIMITS, maxDepthRule, maxFieldsRule, maxOperationsRule, type Limits } from "./limits";
export { makeMaskError, type ErrorLog } from "./errors";
export { deadlineClient, withDeadline, deadlineError } from "./deadline";
export {
  buildRoleApis,
  buildRoleSchemas,
  roleSchemaFiles,
  schemaSDL,
  apiRoles,
  type RoleApi,
  type RoleSchemaOptions,
} from "./schemas";
export { apiFiles, typedClientFiles, writeApiSchemas } from "./generate";
export { request, GraphQLRequestError } from "./client";
export { softDeletePlugin } from "./soft-delete";
export { serverCommands } from "./cli/commands";
export { devToken, type TokenRequest } from "./cli/token";
export { startDemo, personasFile } from "./cli/start";
