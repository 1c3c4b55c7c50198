import "./polyfill";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Pool } from "pg";
import { makeSchema } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "postgraphile/graphql";
import { roleName, type AppDefinition } from "../db";
import type { Identity } from "./auth";
import type { ErrorLog } from "./errors";
import { addSchemaFields, emptyFieldIndex } from "./hidden-fields";
import { DEFAULT_LIMITS, type Limits } from "./limits";
import { rolePreset } from "./preset";
import type { RuruExampleLookup } from "./ruru-example";

/** One role's API: its GraphQL schema (as the role sees the database) and the grafserv handler serving it. */
export interface RoleApi {
  /** Unprefixed app role name (`doctor`), or the app's anonymous role name. */
  readonly appRole: string;
  /** Prefixed database role (`clinic_doctor`). */
  readonly role: string;
  readonly schema: GraphQLSchema;
  readonly handle: (req: IncomingMessage, res: ServerResponse, next: (error?: Error) => void) => void;
  readonly release: () => Promise<void>;
}

/** The app roles an API serves: every role of the definition, then the anonymous role. */
export const apiRoles = (app: AppDefinition): string[] => [...app.roles.map((r) => r.name), app.anonymous];

/** What building the role schemas needs. */
export interface RoleSchemaOptions {
  readonly app: AppDefinition;
  /** Authenticator pool (a superuser pool works too: the introspection switches role either way). */
  readonly pool: Pool;
  readonly limits: Limits;
  readonly ruru: boolean;
  /** With `ruru`: what `/graphiql?as=<username>` opens with (development). */
  readonly ruruExample?: RuruExampleLookup;
  readonly identityOf: (req: IncomingMessage) => Identity | undefined;
  readonly log?: ErrorLog;
}

interface BuiltSchema {
  readonly appRole: string;
  readonly role: string;
  readonly schema: GraphQLSchema;
  readonly preset: GraphileConfig.ResolvedPreset;
}

/**
 * Builds one GraphQL schema per app role (and one for anonymous requests), each introspected as that role.
 * Builds run one at a time to keep the pool small.
 *
 * @example
 * const schemas = await buildRoleSchemas({ app, pool, limits: DEFAULT_LIMITS, ruru: false, identityOf: () => undefined });
 */
export async function buildRoleSchemas(options: RoleSchemaOptions): Promise<BuiltSchema[]> {
  const { app } = options;
  const allFields = emptyFieldIndex();
  const built: BuiltSchema[] = [];
  for (const appRole of apiRoles(app)) {
    const role = roleName(app, appRole);
    const result = await makeSchema(rolePreset({ ...options, schema: app.schema, role, allFields }));
    built.push({ appRole, role, schema: result.schema, preset: result.resolvedPreset });
    addSchemaFields(allFields, result.schema);
  }
  return built;
}

/**
 * Builds every role's schema and a grafserv instance serving each.
 *
 * @example
 * const apis = await buildRoleApis({ app, pool, limits: DEFAULT_LIMITS, ruru: true, identityOf });
 * apis.get("clinic_doctor")!.schema.getType("PatientPatch"); // only notes
 */
export async function buildRoleApis(options: RoleSchemaOptions): Promise<Map<string, RoleApi>> {
  const apis = new Map<string, RoleApi>();
  for (const { appRole, role, schema, preset } of await buildRoleSchemas(options)) {
    const serv = grafserv({ schema, preset });
    await serv.ready();
    apis.set(role, { appRole, role, schema, handle: serv.createHandler(), release: () => serv.release() });
  }
  return apis;
}

/**
 * The committed SDL files of every role, `generated/schema.<role>.graphql` → text, built as each role sees
 * the database behind `pool`.
 *
 * @example
 * for (const [file, sdl] of await roleSchemaFiles(app, pool)) await writeFile(file, sdl);
 */
export async function roleSchemaFiles(app: AppDefinition, pool: Pool, folder = "generated"): Promise<Map<string, string>> {
  const schemas = await buildRoleSchemas({ app, pool, limits: DEFAULT_LIMITS, ruru: false, identityOf: () => undefined });
  return new Map(schemas.map((s) => [`${folder}/schema.${s.appRole}.graphql`, schemaSDL(s.schema)]));
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
