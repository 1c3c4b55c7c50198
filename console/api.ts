import { currentToken } from "./session";

/** A refusal or failure of the API, with its HTTP status and GraphQL error code (e.g. `FORBIDDEN`, `UNAUTHENTICATED`). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Runs a GraphQL operation on `/graphql` with the signed-in user's own token: the console sees and does exactly what
 * the API lets that token. Throws an {@link ApiError} with the API's own message on any error.
 *
 * @example
 * const data = await graphql<{ allPatients: { nodes: { rowId: string }[] } }>("{ allPatients { nodes { rowId } } }");
 */
export async function graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const token = currentToken();
  const res = await fetch("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => ({}))) as GraphQLBody<T>;
  const first = body.errors?.[0];
  if (first) throw new ApiError(body.errors!.map((e) => e.message).join("; "), res.status, first.extensions?.code);
  if (!res.ok || !body.data) throw new ApiError(`the API answered HTTP ${res.status}`, res.status);
  return body.data;
}

/**
 * Calls one of the console's own endpoints (`/console/api/<name>`): GET without a body, POST with a JSON one, with
 * the signed-in user's token. Throws an {@link ApiError} with the server's message.
 *
 * @example
 * const { token } = await consoleApi<{ token: string }>("token", { username: "dr_ada" });
 */
export async function consoleApi<T>(name: string, body?: unknown): Promise<T> {
  const token = currentToken();
  const res = await fetch(`/console/api/${name}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await res.json().catch(() => ({}))) as T & { error?: string; errors?: { message: string }[] };
  if (!res.ok) throw new ApiError(answer.error ?? answer.errors?.[0]?.message ?? `HTTP ${res.status}`, res.status);
  return answer;
}
