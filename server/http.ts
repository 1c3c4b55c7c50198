import "./polyfill";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, Pool } from "pg";
import { roleName, type AppDefinition } from "../db";
import { activityRecorder, type ActivityRecorder } from "./activity";
import { AuthError, makeAuthenticator, type Authenticate, type AuthSettings, type Identity } from "./auth";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "./config";
import { deadlineClient, withDeadline } from "./deadline";
import { consoleRoutes } from "./console/routes";
import { viewAsRoute } from "./console/view-as";
import { viewAsAuthenticator, viewAsKey } from "./view-as-tokens";
import type { ConsoleDemo } from "./console/demo";
import { authenticatorConsoleTools, type ConsoleReviewSettings, type ConsoleTools } from "./console/tools";
import type { ErrorLog } from "./errors";
import type { Limits } from "./limits";
import type { RuruExample } from "./ruru-example";
import { buildRoleApis, type RoleApi } from "./schemas";
import { UnnamedStatementClient } from "./unnamed-statements";
import type { GraphQLSchema } from "postgraphile/graphql";

/** `application_name` of the server's database sessions (visible in pg_stat_activity). */
export const APPLICATION_NAME = "gatehouse-api";

/** What {@link startApiServer} needs; `loadServerConfig` reads most of it from the environment. */
export interface ApiServerOptions {
  readonly app: AppDefinition;
  readonly authenticatorUrl: string;
  readonly auth: AuthSettings;
  readonly limits: Limits;
  readonly ruru: boolean;
  /**
   * With `ruru`: what `/graphiql?as=<username>` opens with, given the schema of each prefixed role (the
   * persona's token and a first query for its role). `gatehouse start` passes one; development only.
   */
  readonly ruruExample?: (
    username: string,
    schemaOf: (role: string) => GraphQLSchema | undefined,
  ) => Promise<RuruExample | undefined>;
  /** Serve the access console at `/console/` (default true); it calls `/graphql` with the signed-in user's own token. */
  readonly console?: boolean;
  /**
   * With `console`: the development extras (persona sign-in). `gatehouse start` passes one in development on a
   * loopback address; development only.
   */
  readonly consoleDemo?: ConsoleDemo;
  /**
   * With `console`: explain, the access matrix and the review. `"authenticator"` (what `CONSOLE_TOOLS=on` gives) runs
   * them on the server's own authenticator pool, acting as the signed-in user; `gatehouse start` passes the owner's
   * tools of its own embedded cluster; left out, the console offers none of them.
   */
  readonly consoleTools?: "authenticator" | ConsoleTools;
  /** How the console's review is read with `consoleTools: "authenticator"` (alert thresholds, inactive days). */
  readonly review?: ConsoleReviewSettings;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  readonly poolMax?: number;
  /**
   * How long a request waits for a connection — a free one of the pool, or a new one being made — before it gets
   * 503 (default 5 s): a database host that drops packets instead of refusing them would otherwise hold requests for
   * the operating system's TCP timeout, minutes.
   */
  readonly connectTimeoutMs?: number;
  /** false: every query unnamed, for a transaction pooler (see `UnnamedStatementClient`). Default true. */
  readonly preparedStatements?: boolean;
  readonly log?: ErrorLog;
  /** How often request counts are added to the activity record (default a minute; an hour's first request is written at once). */
  readonly activityFlushMs?: number;
  /**
   * The HS256 secret (32 bytes or more) this server signs view-as tokens with; give every instance behind one load
   * balancer the same. Default: random for this process, so a restart ends every view.
   */
  readonly viewAsSecret?: string;
}

/** A running API server. */
export interface ApiServer {
  /** `http://host:port`, the GraphQL endpoint being `${url}/graphql`. */
  readonly url: string;
  readonly port: number;
  /** Every role's API, by prefixed database role. */
  readonly apis: ReadonlyMap<string, RoleApi>;
  /** Stops accepting requests, closes open connections, releases every grafserv instance and ends the pool. */
  close(): Promise<void>;
}

/**
 * Starts the GraphQL API: connects as the authenticator (and checks that it is the authenticator), builds
 * one schema per role, and serves `POST /graphql` (each request by its token's role schema), `GET /health`
 * (checks the database), the access console at `/console/` (unless `console: false`) and, when `ruru`, Ruru at
 * `/graphiql`.
 *
 * @example
 * const server = await startApiServer({ app, ...loadServerConfig(app, process.env) });
 * // ... later
 * await server.close();
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { app } = options;
  const pool = new Pool({
    connectionString: options.authenticatorUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: APPLICATION_NAME,
    Client: deadlineClient(options.preparedStatements === false ? UnnamedStatementClient : Client),
  });
  let stopping = false;
  // an idle connection the server dropped (e.g. a restart): the pool replaces it; say so in one line
  pool.on("error", (error) => {
    if (!stopping) console.error(`[gatehouse] an idle database connection was lost: ${error.message}`);
  });
  let apis: Map<string, RoleApi> | undefined;
  const activity = activityRecorder(pool, app, options.activityFlushMs ? { flushMs: options.activityFlushMs } : {});
  try {
    await checkAuthenticator(pool, roleName(app, app.authenticator));
    const identities = new WeakMap<IncomingMessage, Identity>();
    apis = await buildRoleApis({
      app,
      pool,
      limits: options.limits,
      ruru: options.ruru,
      ...(options.ruruExample
        ? { ruruExample: (username: string) => options.ruruExample!(username, (role) => apis?.get(role)?.schema) }
        : {}),
      identityOf: (req) => identities.get(req),
      ...(options.log ? { log: options.log } : {}),
    });
    const key = viewAsKey({ audience: options.auth.audience, ...(options.viewAsSecret ? { secret: options.viewAsSecret } : {}) });
    const authenticate = viewAsAuthenticator(makeAuthenticator(app, options.auth), app, key, pool);
    const tools =
      options.consoleTools === "authenticator" ? authenticatorConsoleTools(app, pool, options.review) : options.consoleTools;
    const route = router({
      app,
      apis,
      pool,
      identities,
      activity,
      authenticate,
      console:
        options.console === false
          ? undefined
          : consoleRoutes({
              authenticate,
              users: {
                table: app.identity.users.table,
                status: app.identity.users.status,
                activeStatus: app.identity.users.activeStatus,
                ...(app.identity.users.username ? { username: app.identity.users.username } : {}),
              },
              viewAs: viewAsRoute({ app, pool, authenticate, key, limits: options.limits }),
              ...(options.consoleDemo ? { demo: options.consoleDemo } : {}),
              ...(tools ? { tools } : {}),
            }),
      ruru: options.ruru,
      limits: options.limits,
    });
    const server = createServer((req, res) => void route(req, res).catch((error: unknown) => lastResort(res, error)));
    await listen(server, options.port, options.host);
    const { port } = server.address() as AddressInfo;
    const host = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
    const built = apis;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
      port,
      apis: built,
      close: () => {
        stopping = true;
        return (closing ??= shutdown(server, built, activity, pool).finally(() => closeTools(options)));
      },
    };
  } catch (error) {
    await closeTools(options);
    for (const api of apis?.values() ?? []) await api.release();
    await activity.close();
    await pool.end();
    throw error;
  }
}

/** Ends what console tools given from outside hold (the owner's pool in development); the server's own pool ends with it. */
async function closeTools(options: ApiServerOptions): Promise<void> {
  if (typeof options.consoleTools === "object") await options.consoleTools.close?.();
}

async function checkAuthenticator(pool: Pool, authenticator: string): Promise<void> {
  let user: string;
  try {
    user = (await pool.query<{ user: string }>("select session_user as user")).rows[0]!.user;
  } catch (error) {
    throw new Error(`cannot connect to the database as ${authenticator}: ${(error as Error).message}`, { cause: error });
  }
  if (user !== authenticator)
    throw new Error(
      `the server must connect as the authenticator ${authenticator}, not as ${user}: the database helpers trust request claims only from it`,
    );
}

function router(context: {
  app: AppDefinition;
  apis: Map<string, RoleApi>;
  pool: Pool;
  identities: WeakMap<IncomingMessage, Identity>;
  activity: ActivityRecorder;
  authenticate: Authenticate;
  console: ReturnType<typeof consoleRoutes> | undefined;
  ruru: boolean;
  limits: Limits;
}) {
  const anonymous = context.apis.get(roleName(context.app, context.app.anonymous))!;
  const notFound = (res: ServerResponse) => () =>
    sendJson(res, 404, { errors: [{ message: "not found: the API is at POST /graphql" }] });
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (path === "/health") return await health(context.pool, res);
      if (await context.console?.(req, res)) return;
      if (path === "/graphql") {
        const identity = await context.authenticate(req.headers.authorization);
        context.identities.set(req, identity);
        // a view as someone else is the viewer's activity, not the viewed user's
        const { actor } = identity;
        context.activity.record(actor ? { role: actor.role, userId: actor.userId, channel: null } : identity);
        const deadline = { ms: context.limits.requestTimeoutMs, statementMs: context.limits.statementTimeoutMs };
        return withDeadline(deadline, () => context.apis.get(identity.role)!.handle(req, res, notFound(res)));
      }
      if (context.ruru && (path === "/graphiql" || path === "/" || path.startsWith("/ruru-static/"))) {
        if (path === "/") return redirect(res, "/graphiql");
        context.identities.set(req, { role: anonymous.role, userId: null, channel: null });
        return anonymous.handle(req, res, notFound(res));
      }
      notFound(res)();
    } catch (error) {
      if (error instanceof AuthError) {
        res.setHeader(
          "WWW-Authenticate",
          `Bearer error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`,
        );
        return sendJson(res, error.statusCode, {
          errors: [
            { message: error.message, extensions: { code: error.statusCode === 401 ? "UNAUTHENTICATED" : "UNAVAILABLE" } },
          ],
        });
      }
      console.error("[gatehouse] unexpected error while routing a request:", error);
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "internal error" }] });
    }
  };
}

/** `GET /health`: 200 when the database answers within two seconds, 503 otherwise. */
async function health(pool: Pool, res: ServerResponse): Promise<void> {
  const started = Date.now();
  try {
    await Promise.race([
      pool.query("select 1"),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2_000).unref()),
    ]);
    sendJson(res, 200, { status: "ok", database: "ok", latencyMs: Date.now() - started });
  } catch {
    sendJson(res, 503, { status: "unavailable", database: "unreachable" });
  }
}

/** A failure of the router's own error handling: logged, and the request answered 500 or its socket closed, never left hanging. */
function lastResort(res: ServerResponse, error: unknown): void {
  console.error("[gatehouse] could not answer a request:", error);
  if (res.headersSent) return void res.destroy();
  try {
    sendJson(res, 500, { errors: [{ message: "internal error" }] });
  } catch {
    res.destroy();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location });
  res.end();
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function shutdown(server: Server, apis: Map<string, RoleApi>, activity: ActivityRecorder, pool: Pool): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 5_000);
  await closed;
  clearTimeout(force);
  for (const api of apis.values()) await api.release();
  await activity.close();
  await pool.end();
}
