import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import type { AuthSettings, ConsoleDemo, ConsoleTools, ErrorLog } from "../../server";
import { startApiServer, type ApiServer, DEFAULT_LIMITS, type Limits, signDevToken } from "../../server";
import { openCrmDatabase, persona } from "../crm/crm-database";

export const TEST_AUTH = {
  secret: "test-secret-of-at-least-thirty-two-bytes",
  audience: "gatehouse-test",
  issuer: "gatehouse-test-issuer",
} as const;

/** A GraphQL response as the client receives it. */
export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The CRM test database with a real API server in front of it, on a free port. */
export interface CrmApi {
  readonly crm: AppTestDatabase;
  readonly server: ApiServer;
  /** A valid token for a demo persona, in its own role unless `role` (unprefixed) says otherwise. */
  token(username: string, options?: { role?: string; channel?: string; expiresIn?: string }): Promise<string>;
  /** POSTs a query to /graphql with the token (none: anonymous). */
  query<T = Record<string, any>>(
    query: string | TypedDocumentNode<T, any>,
    options?: { token?: string; variables?: Record<string, unknown>; operationName?: string },
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * Opens a CRM test database and starts the API server against it as the authenticator.
 *
 * @example
 * const api = await openCrmApi();
 * const { data } = await api.query("{ allCustomers { nodes { rowId } } }", { token: await api.token("rita") });
 */
export async function openCrmApi(
  options: {
    limits?: Partial<Limits>;
    auth?: Partial<AuthSettings>;
    crm?: AppTestDatabase;
    log?: ErrorLog;
    ruru?: boolean;
    /** Connect here instead of to the test database directly (e.g. through PgBouncer). */
    authenticatorUrl?: string;
    preparedStatements?: boolean;
    poolMax?: number;
    connectTimeoutMs?: number;
    /** The access console's development extras (persona sign-in). */
    consoleDemo?: ConsoleDemo;
    /** The console's explain, matrix and review: `"authenticator"` as `gatehouse serve` runs them, or given tools. */
    consoleTools?: "authenticator" | ConsoleTools;
  } = {},
): Promise<CrmApi> {
  const crm = options.crm ?? (await openCrmDatabase());
  const authenticatorUrl = options.authenticatorUrl ?? crm.authenticatorUrl;
  let server: ApiServer;
  try {
    server = await startApiServer({
      app: crm.app,
      authenticatorUrl,
      auth: { ...TEST_AUTH, ...options.auth },
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      ruru: options.ruru ?? false,
      port: 0,
      host: "127.0.0.1",
      poolMax: options.poolMax ?? 4,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.preparedStatements === undefined ? {} : { preparedStatements: options.preparedStatements }),
      ...(options.consoleDemo ? { consoleDemo: options.consoleDemo } : {}),
      ...(options.consoleTools ? { consoleTools: options.consoleTools } : {}),
      log: options.log ?? (() => {}),
    });
  } catch (error) {
    if (!options.crm) await crm.close();
    throw error;
  }
  return {
    crm,
    server,
    token: (username, o = {}) => {
      const p = persona(username, o.role ? { role: o.role } : {});
      return signDevToken(TEST_AUTH, {
        userId: p.userId,
        role: roleName(crm.app, p.role),
        ...(o.channel ? { channel: o.channel } : {}),
        ...(o.expiresIn ? { expiresIn: o.expiresIn } : {}),
      });
    },
    query: (query, o = {}) => postGraphQL(server.url, typeof query === "string" ? query : print(query), o),
    close: async () => {
      await server.close();
      if (!options.crm) await crm.close();
    },
  };
}

/** POSTs one GraphQL request and returns the HTTP status with the parsed body. */
export async function postGraphQL<T>(
  url: string,
  query: string,
  options: { token?: string; variables?: Record<string, unknown>; operationName?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}
