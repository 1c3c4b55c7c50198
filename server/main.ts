/**
 * The API server's entry point: `tsx server/main.ts` (what docker-compose runs). Reads the app from
 * gatehouse.config.ts and everything else from the environment (server/config.ts), and shuts down
 * gracefully on SIGINT / SIGTERM.
 */
import "./polyfill";
import { loadConfig, type AppDefinition } from "../db";
import { ConfigError, describeMode, loadServerConfig } from "./config";
import type { ConsoleReviewSettings } from "./console/tools";
import { startApiServer, type ApiServer } from "./http";

/**
 * Starts the server for `app` with the configuration in `env`, says where it listens and in which mode (one
 * line, {@link describeMode}), and stops it (releasing every pool) on SIGINT or SIGTERM. Resolves with the
 * running server.
 *
 * @example
 * await serveUntilSignal(app, process.env);
 */
export async function serveUntilSignal(
  app: AppDefinition,
  env: NodeJS.ProcessEnv,
  onStop?: () => Promise<void>,
  review?: ConsoleReviewSettings,
): Promise<ApiServer> {
  const config = loadServerConfig(app, env);
  const server = await startApiServer({ app, ...config, ...(review ? { review } : {}) });
  console.log(
    `GraphQL API listening on ${server.url}/graphql${config.ruru ? `; Ruru at ${server.url}/graphiql` : ""}${config.console ? `; access console at ${server.url}/console/` : ""}; health at ${server.url}/health`,
  );
  console.log(describeMode(config));
  const stop = async (signal: string) => {
    console.log(`${signal}: shutting down the API server`);
    await server.close();
    await onStop?.();
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  return server;
}

if (require.main === module) {
  const project = loadConfig();
  serveUntilSignal(project.app, process.env, undefined, project.alerts ? { alerts: project.alerts } : undefined).catch(
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : `gatehouse server: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
