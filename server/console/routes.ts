import type { IncomingMessage, ServerResponse } from "node:http";
import type { Identity } from "../auth";
import { buildConsoleAssets, type ConsoleAssets } from "./assets";
import type { ConsoleDemo } from "./demo";
import type { ConsoleTools } from "./tools";

/** Where the console is served. */
export const CONSOLE_PATH = "/console";

/** Where the console's user pickers find users: the identity users table and its columns, as the database names them. */
export interface ConsoleUsers {
  readonly table: string;
  readonly username?: string;
  readonly status: string;
  readonly activeStatus: string;
}

/** What the console's routes need from the server. */
export interface ConsoleRouteContext {
  /** Checks a request's `Authorization` header as `/graphql` does; throws the server's `AuthError` when refused. */
  readonly authenticate: (authorization: string | undefined) => Promise<Identity>;
  /** Development extras (persona sign-in); absent everywhere else. */
  readonly demo?: ConsoleDemo;
  /** Explain, the matrix and the review (the owner's in development, the authenticator's in production); absent when off. */
  readonly tools?: ConsoleTools;
  /** The identity users table's name and columns, for the console's user pickers (which read it through GraphQL). */
  readonly users?: ConsoleUsers;
  /** `/console/api/view-as` (`view-as.ts`): viewing as someone else, read only and audited, for roles with `viewAs`. */
  readonly viewAs?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
} as const;

/**
 * The access console's routes under `/console`: the page, its script and style sheet (built from `console/` on first
 * use); `GET /console/api/tools` (whether explain is offered, the reviewer roles, and where the user pickers find
 * users); with {@link ConsoleTools}, `POST /console/api/explain` (why the signed-in user sees one row), and, for
 * reviewers only, `GET /console/api/matrix` (the access matrix with drift) and `GET /console/api/review` (the access
 * review); in development only (when a {@link ConsoleDemo} is given), `GET /console/api/demo` (the personas) and
 * `POST /console/api/token` (a persona's development token). Everything else the console does goes through `POST /graphql` with the user's own token.
 * Resolves false for a path that is not the console's.
 *
 * @example
 * const route = consoleRoutes({ authenticate });
 * if (await route(req, res)) return;
 */
export function consoleRoutes(context: ConsoleRouteContext): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  let assets: Promise<ConsoleAssets> | undefined;
  const built = () =>
    (assets ??= buildConsoleAssets().catch((error: unknown) => {
      assets = undefined;
      throw error;
    }));
  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
    const rest = path.slice(CONSOLE_PATH.length);
    if (rest.startsWith("/api/")) {
      await api(context, rest.slice("/api/".length), req, res);
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain; charset=utf-8", "the console's pages are read with GET", { Allow: "GET, HEAD" });
      return true;
    }
    if (rest === "") {
      res.writeHead(301, { Location: `${CONSOLE_PATH}/` });
      res.end();
      return true;
    }
    const files: Record<string, [string, keyof ConsoleAssets]> = {
      "/": ["text/html; charset=utf-8", "html"],
      "/app.js": ["text/javascript; charset=utf-8", "script"],
      "/console.css": ["text/css; charset=utf-8", "style"],
    };
    const file = files[rest];
    if (!file) send(res, 404, "text/plain; charset=utf-8", `not found: the console is at ${CONSOLE_PATH}/`);
    else send(res, 200, file[0], (await built())[file[1]], PAGE_HEADERS);
    return true;
  };
}

async function api(context: ConsoleRouteContext, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { demo, tools } = context;
  if (name === "view-as" && context.viewAs) return context.viewAs(req, res);
  if (name === "tools")
    return json(res, 200, { explain: tools !== undefined, reviewers: tools?.reviewers ?? [], users: context.users ?? null });
  if ((name === "demo" || name === "token") && !demo)
    return json(res, 404, {
      error: "not found: sign in with a token of your identity provider (development mode only offers personas)",
    });
  if ((name === "explain" || name === "matrix" || name === "review") && !tools)
    return json(res, 404, { error: `not found: this server does not offer the console's ${name} (CONSOLE_TOOLS=off)` });
  if (name === "demo") return json(res, 200, { personas: demo!.personas.filter((p) => p.roles.length > 0) });
  if (name === "matrix" || name === "review") {
    const identity = await context.authenticate(req.headers.authorization);
    if (identity.userId === null) return json(res, 401, { error: `sign in first: the ${name} is for reviewers` });
    if (!tools!.reviewers.includes(identity.role) || !(await tools!.holds(identity)))
      return json(res, 403, {
        error: `you may not see the ${name}: it is for active users who hold a role that reads every user (${tools!.reviewers.join(", ") || "none"})`,
      });
    return json(res, 200, await tools![name](identity));
  }
  if (name !== "token" && name !== "explain") return json(res, 404, { error: `not found: no ${CONSOLE_PATH}/api/${name}` });
  if (req.method !== "POST") return json(res, 405, { error: `POST ${CONSOLE_PATH}/api/${name} with a JSON body` });
  // a JSON content type makes a cross-site form or fetch ask first (CORS preflight), which this server never allows
  if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
    return json(res, 415, { error: "send the body as Content-Type: application/json" });
  const body = await jsonBody(req);
  if (name === "token") {
    const token = typeof body.username === "string" ? await demo!.token(body.username) : undefined;
    if (!token)
      return json(res, 404, { error: `no persona "${String(body.username)}": pick one of GET ${CONSOLE_PATH}/api/demo` });
    return json(res, 200, { token });
  }
  const identity = await context.authenticate(req.headers.authorization);
  if (identity.userId === null) return json(res, 401, { error: "sign in first: explain answers about your own access" });
  if (!(await tools!.holds(identity)))
    return json(res, 403, {
      error: `explain refused: user ${identity.userId} is not an active user holding ${identity.role} in the live tables; sign in again with a token for a role you hold`,
    });
  if (typeof body.table !== "string" || (typeof body.row !== "string" && typeof body.row !== "number"))
    return json(res, 400, { error: 'send { "table": "<table>", "row": "<primary key>" }' });
  const why = await tools!.explain(identity, body.table, String(body.row));
  if (!why) return json(res, 404, { error: `you see no row ${String(body.row)} of ${body.table}` });
  return json(res, 200, why);
}

/** The request's JSON object body, at most 10 kB; `{}` for anything else. */
export async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 10_000) return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body), { "Cache-Control": "no-store" });
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}
