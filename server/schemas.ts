import "./polyfill";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Pool } from "pg";
import { makeSchema } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "postgraphile/graphql";
import { roleName } from "../db/compile/names";
import type { AppDefinition } from "../db/policy/define";
import type { Identity } from "./auth";
import type { ErrorLog } from "./errors";
import { addSchemaFields, emptyFieldIndex } from "./hidden-fields";
import type { Limits } from "./limits";
import { rolePreset } from "./preset";

/** One role's API: its GraphQL schema (as the role sees the database) and the grafserv handler serving it. */
export interface RoleApi {
  /** Unprefixed app role name (`sales_rep`), or the app's anonymous role name. */
  readonly appRole: string;
  /** Prefixed database role (`crm_sales_rep`). */
  readonly role: string;
  readonly schema: GraphQLSchema;
  readonly handle: (req: IncomingMessage, res: ServerResponse, next: (error?: Error) => void) => void;
  readonly release: () => Promise<void>;
}

/** The app roles an API serves: every role of the definition, then the anonymous role. */
export const apiRoles = (app: AppDefinition): string[] => [...app.roles.map((r) => r.name), app.anonymous];

/**
 * Builds one GraphQL schema per app role (and one for anonymous requests), each introspected as that
 * role through the authenticator pool, and a grafserv instance serving each. Builds run one at a time to
 * keep the pool small.
 *
 * @example
 * const apis = await buildRoleApis({ app: crm, pool, limits: DEFAULT_LIMITS, ruru: true, identityOf });
 * apis.get("crm_finance")!.schema.getType("ContractPatch"); // only paymentStatus
 */
export async function buildRoleApis(options: {
  app: AppDefinition;
  pool: Pool;
  limits: Limits;
  ruru: boolean;
  identityOf: (req: IncomingMessage) => Identity | undefined;
  log?: ErrorLog;
}): Promise<Map<string, RoleApi>> {
  const { app } = options;
  const allFields = emptyFieldIndex();
  const built: { appRole: string; role: string; schema: GraphQLSchema; preset: GraphileConfig.ResolvedPreset }[] = [];
  for (const appRole of apiRoles(app)) {
    const role = roleName(app, appRole);
    const preset = rolePreset({ ...options, schema: app.schema, role, allFields });
    const result = await makeSchema(preset);
    built.push({ appRole, role, schema: result.schema, preset: result.resolvedPreset });
    addSchemaFields(allFields, result.schema);
  }
  const apis = new Map<string, RoleApi>();
  for (const { appRole, role, schema, preset } of built) {
    const serv = grafserv({ schema, preset });
    await serv.ready();
    apis.set(role, { appRole, role, schema, handle: serv.createHandler(), release: () => serv.release() });
  }
  return apis;
}

/**
 * The SDL of a schema as committed in `generated/schema.<role>.graphql`: types sorted, so the file only
 * changes when the API does.
 *
 * @example
 * await writeFile(`generated/schema.${api.appRole}.graphql`, schemaSDL(api.schema));
 */
export function schemaSDL(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
