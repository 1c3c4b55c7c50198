import type { IncomingMessage, ServerResponse } from "node:http";
import type { Pool, PoolClient } from "pg";
import { roleName, sql, toDdl, VIEW_AS, type AppDefinition } from "../../db";
import type { Authenticate, Identity } from "../auth";
import type { Limits } from "../limits";
import { pgSettingsOf } from "../preset";
import { signViewAsToken, type ViewAsKey } from "../view-as-tokens";
import { json, jsonBody } from "./routes";

/** What the view-as route needs from the server. */
export interface ViewAsRouteContext {
  readonly app: AppDefinition;
  /** The authenticator's pool: every query runs as the signed-in user, as `/graphql` would run it. */
  readonly pool: Pool;
  /** The server's authenticator (view-as tokens included, see `viewAsAuthenticator`). */
  readonly authenticate: Authenticate;
  readonly key: ViewAsKey;
  readonly limits: Limits;
}

/** One user the signed-in user may view as, in one role. */
export interface ViewAsTarget {
  readonly userId: string;
  readonly username: string;
  readonly role: string;
}

/**
 * `/console/api/view-as`, for the roles whose definitions say `viewAs` (everyone else gets 403 naming who may):
 *
 * - `GET`: `{ targets }`, the active users the signed-in user may view as (`<toolkit>.view_as_targets()`).
 * - `POST { username or userId, role, reason }`: `<toolkit>.view_as_begin` as the signed-in user — the database checks
 *   who may view as whom, the target and the reason, and records the session and an audit row — then a token for the
 *   target, read only, naming the viewer (`act`) and the session, expiring with it: `{ token, expiresAt }`.
 * - `DELETE { session }` (the viewer's own token): `<toolkit>.view_as_end` ends that view of theirs now, so its token
 *   stops working on its next request: `{ ended }` (false when it had ended already, or is not theirs).
 *
 * A view-as token gets 403 for all three: nobody views as someone while viewing as someone else (the database refuses it
 * too). Refusals of the database keep its message: 403 for 42501, 400 for a bad argument (22023).
 *
 * @example
 * const route = viewAsRoute({ app, pool, authenticate, key: viewAsKey({ audience }), limits });
 * await route(req, res); // POST /console/api/view-as
 */
export function viewAsRoute(context: ViewAsRouteContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { app } = context;
  const viewerRoles = app.roles.filter((r) => r.viewAs.length > 0);
  const viewers = viewerRoles.map((r) => `${r.name} (as ${r.viewAs.join(", ")})`);
  const mayView = new Set(viewerRoles.map((r) => roleName(app, r.name)));
  const targets = toDdl(
    sql`select user_id::text as "userId", username, role from ${sql.identifier(app.toolkitSchema, VIEW_AS.targets)}()`,
  );
  const begin = toDdl(
    sql`select session_id::text as session, user_id::text as "userId", role, until from ${sql.identifier(app.toolkitSchema, VIEW_AS.begin)}($1, $2, $3)`,
  );
  const end = toDdl(sql`select ${sql.identifier(app.toolkitSchema, VIEW_AS.end)}($1) as ended`);
  return async (req, res) => {
    if (viewers.length === 0) return json(res, 404, { error: "no role may view as others: say who may with role({ viewAs })" });
    const identity = await context.authenticate(req.headers.authorization);
    if (identity.userId === null)
      return json(res, 401, { error: "sign in first: viewing as someone else is for signed-in users" });
    if (identity.actor)
      return json(res, 403, { error: "forbidden: you are viewing as someone else: end that view before viewing as anyone" });
    // the database refuses them too (no EXECUTE); this says who may
    if (!mayView.has(identity.role)) return json(res, 403, { error: `forbidden: only ${viewers.join("; ")} may view as others` });
    if (req.method === "GET")
      return answer(res, () =>
        asUser(context, identity, async (c) => ({ targets: (await c.query<ViewAsTarget>(targets)).rows })),
      );
    if (req.method !== "POST" && req.method !== "DELETE")
      return json(res, 405, { error: "GET, POST or DELETE /console/api/view-as" });
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
      return json(res, 415, { error: "send the body as Content-Type: application/json" });
    const body = await jsonBody(req);
    if (req.method === "DELETE") {
      const { session } = body;
      if (typeof session !== "string" || !/^[0-9]{1,18}$/.test(session))
        return json(res, 400, { error: 'send { "session": "<the view_as claim of the view-as token>" }' });
      return answer(res, () =>
        asUser(context, identity, async (c) => ({ ended: (await c.query<{ ended: boolean }>(end, [session])).rows[0]!.ended })),
      );
    }
    const { username, userId, role, reason } = body;
    if (typeof role !== "string" || (typeof username !== "string" && typeof userId !== "string" && typeof userId !== "number"))
      return json(res, 400, { error: 'send { "username" (or "userId"), "role", "reason" }' });
    return answer(res, async () => {
      const started = await asUser(context, identity, async (c) => {
        const target =
          typeof username === "string"
            ? (await c.query<ViewAsTarget>(targets)).rows.find((t) => t.username === username && t.role === role)?.userId
            : String(userId);
        if (target === undefined) return undefined;
        return (
          await c.query<{ session: string; userId: string; role: string; until: Date }>(begin, [
            target,
            role,
            typeof reason === "string" ? reason : null,
          ])
        ).rows[0];
      });
      if (!started)
        return { status: 404, body: { error: `no active user ${String(username)} holding ${role} that you may view as` } };
      const token = await signViewAsToken(context.key, {
        userId: started.userId,
        role: started.role,
        actor: { userId: identity.userId!, role: identity.role, session: started.session },
        until: started.until,
      });
      return { token, expiresAt: started.until.toISOString() };
    });
  };
}

/** Runs `fn` in one transaction as `identity`, with the settings a `/graphql` request of that token gets. */
async function asUser<T>(context: ViewAsRouteContext, identity: Identity, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await context.pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config(s.key, s.value, true) from json_each_text($1::json) s", [
      JSON.stringify(pgSettingsOf(identity, context.limits)),
    ]);
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Sends what `fn` resolves to (200, or its own status), or the database's refusal with its message. */
async function answer(res: ServerResponse, fn: () => Promise<object | { status: number; body: unknown }>): Promise<void> {
  try {
    const result = await fn();
    if ("status" in result && "body" in result) return json(res, result.status as number, result.body);
    return json(res, 200, result);
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: string };
    const text = (message ?? "").replace(/^gatehouse: /, "");
    if (code === "42501") return json(res, 403, { error: `forbidden: ${text}` });
    if (code === "22023") return json(res, 400, { error: `invalid input: ${text}` });
    // a userId the user key's type cannot hold
    if (code === "22P02") return json(res, 400, { error: "invalid input: userId is not a user id" });
    throw error;
  }
}
