import type { IncomingMessage } from "node:http";
import type { Pool, PoolClient } from "pg";

/** What a client is told while the database cannot be reached; no address, error code or stack. */
export const UNAVAILABLE_MESSAGE = "the database is unavailable; try again shortly";

/** `Retry-After` of a 503 answer, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** Socket errors of a database that is down, restarting or unreachable. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/**
 * SQLSTATEs of a server going away or not taking connections: class 08 (connection exception), admin_shutdown
 * (57P01: a fast shutdown or a terminated backend), crash_shutdown (57P02), cannot_connect_now (57P03: starting
 * up or shutting down) and too_many_connections (53300).
 */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;

/** What `pg` says when a connection it held ends or cannot be made in time. */
const PG_CONNECTION_LOST =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect)$/;

/**
 * Whether `error` (or an error it was caused by) says the database cannot be reached right now — it is down,
 * restarting, refusing connections or dropped the connection — rather than that the request was wrong.
 *
 * @example
 * isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })); // true
 * isDatabaseUnavailable(Object.assign(new Error("permission denied for table patients"), { code: "42501" })); // false
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // not `instanceof Error`: Node's socket errors come from another realm under a test runner's VM
  for (
    let e = error, depth = 0;
    typeof e === "object" && e !== null && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.test(code))) return true;
    if (typeof message === "string" && PG_CONNECTION_LOST.test(message)) return true;
  }
  return false;
}

const guarded = new WeakSet<PoolClient>();
const guardedPools = new WeakSet<Pool>();

/**
 * A `pg` client emits `error` when its connection dies, and a pool listens only while the client is idle: a client
 * checked out when the database shuts down (PostGraphile's `withPgClient`) would crash the process with an unhandled
 * `error` event. This gives every client the pool hands out a listener; the failed query still rejects (the request
 * reports it) and the pool drops the broken client when it is released.
 *
 * @example
 * makePgService({ pool: surviveLostConnections(pool), schemas: ["clinic"] });
 */
export function surviveLostConnections(pool: Pool): Pool {
  if (guardedPools.has(pool)) return pool;
  guardedPools.add(pool);
  pool.on("acquire", (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on("error", () => {}); // the query in flight rejects with the same error
  });
  return pool;
}

type Result = { type: string; statusCode?: number; headers?: Record<string, string> } & Record<string, unknown>;

/**
 * Answers a GraphQL request that failed because the database is unavailable with HTTP 503, a `Retry-After` header
 * and one short error (`UNAVAILABLE`), instead of 200 with a null field: a client or load balancer can tell "try
 * again" from "wrong request". Only when no root field produced data: a mutation whose first field committed keeps
 * its 200 and its data, so the client knows what happened. Errors are recognised by {@link isDatabaseUnavailable}
 * before they are masked; `makeMaskError` gives each the same message.
 *
 * @example
 * const preset = { extends: [PostGraphileAmberPreset], plugins: [unavailablePlugin] };
 */
export const unavailablePlugin: GraphileConfig.Plugin = (() => {
  const failed = new WeakSet<IncomingMessage>();
  return {
    name: "GatehouseUnavailablePlugin",
    version: "1.0.0",
    description: "HTTP 503 with Retry-After when the database cannot be reached",
    grafast: {
      middleware: {
        async execute(next, event) {
          const result = await next();
          const req = event.args.requestContext?.node?.req;
          if (req && !(Symbol.asyncIterator in Object(result))) {
            const { errors, data } = result as { errors?: readonly { originalError?: unknown }[]; data?: unknown };
            const noData = Object.values(data ?? {}).every((value) => value === null);
            if (noData && errors?.some((e) => isDatabaseUnavailable(e.originalError))) failed.add(req);
          }
          return result;
        },
      },
    },
    grafserv: {
      middleware: {
        async processRequest(next, event) {
          const result = (await next()) as Result | null;
          const req = event.requestDigest.requestContext.node?.req;
          if (!result || !req || !failed.has(req)) return result as never;
          failed.delete(req);
          const buffer = Buffer.from(
            JSON.stringify({ errors: [{ message: UNAVAILABLE_MESSAGE, extensions: { code: "UNAVAILABLE" } }] }),
          );
          return {
            type: "buffer",
            statusCode: 503,
            headers: {
              "content-type": "application/json; charset=utf-8",
              "content-length": String(buffer.length),
              "retry-after": String(RETRY_AFTER_SECONDS),
            },
            buffer,
          };
        },
      },
    },
  };
})();
