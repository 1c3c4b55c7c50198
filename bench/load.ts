import type { EventEmitter } from "node:events";

/** One request of a load run: the token, the GraphQL body, and the response body every answer must equal. */
export interface LoadRequest {
  readonly token: string;
  readonly body: string;
  readonly expected: string;
}

/** What a load run measured. */
export interface LoadResult {
  readonly seconds: number;
  /** Responses with a 2xx status. */
  readonly ok: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  /** 2xx responses whose body differed from the expected one (a GraphQL error, a different row). */
  readonly mismatches: number;
  /** 2xx responses a second. */
  readonly rps: number;
  /** Latency of the 2xx responses, ms. */
  readonly latency: { readonly p50: number; readonly p95: number; readonly p99: number };
}

/** The part of autocannon's API the load run uses (it ships no types). */
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  requests: {
    method: "POST";
    path: string;
    headers: Record<string, string>;
    body: string;
    onResponse: (status: number, body: string) => void;
  }[];
}
interface AutocannonRun extends EventEmitter, PromiseLike<{ duration: number; errors: number; non2xx: number; "2xx": number }> {}
const autocannon = require("autocannon") as (options: AutocannonOptions) => AutocannonRun;

/**
 * Drives `POST <url>/graphql` with `requests` (each connection cycles through them) on `connections`
 * keep-alive connections for `seconds`, with autocannon, and checks every 2xx body against its expected one.
 *
 * @example
 * const result = await runLoad(server.url, [{ token, body, expected }], { connections: 10, seconds: 10 });
 */
export async function runLoad(
  url: string,
  requests: readonly LoadRequest[],
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  let mismatches = 0;
  const latencies: number[] = [];
  const run = autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: requests.map((r) => ({
      method: "POST",
      path: "/graphql",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${r.token}` },
      body: r.body,
      onResponse: (status, body) => {
        if (status >= 200 && status < 300 && body !== r.expected) mismatches++;
      },
    })),
  });
  run.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await run;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
  return {
    seconds: result.duration,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    mismatches,
    rps: result["2xx"] / result.duration,
    latency: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
  };
}
