import type { ClientBase } from "pg";
import { isSealed, maskExpression } from "../compile/emit/masks";
import { rawReaders } from "../compile/emit/row-masks";
import { requestRoles, roleName, roleSchemaName, viewOwner } from "../compile/names";
import type { Plan } from "../compile/plan";
import type { AppDefinition } from "../policy/define";
import type { SQL } from "../sql/ddl";

/** A masked twin the definitions make, with the expression and type they give it (no expression: an encrypted column's twin, which its trigger fills). */
export interface PlannedTwin {
  readonly table: string;
  readonly column: string;
  readonly expression?: SQL;
  readonly type: string;
}

/** What the drift check looks at: the managed schemas and the roles the app generates. */
export interface DriftScope {
  readonly app: AppDefinition;
  readonly appSchema: string;
  readonly toolkitSchema: string;
  /** The app schema, the toolkit schema and every `select *` schema of the app (planned or marked as generated). */
  readonly schemas: readonly string[];
  /** The app and toolkit schemas: where tables carry policies, row security and triggers. */
  readonly tableSchemas: readonly string[];
  /** `app.rolePrefix`: every role with it counts as generated (none when the prefix is empty). */
  readonly prefix: string;
  /** The roles the generation makes: request roles, the authenticator, the view owners. */
  readonly roles: readonly string[];
  readonly authenticator: string;
  /** The roles the authenticator may switch to. */
  readonly requestRoles: readonly string[];
  readonly twins: readonly PlannedTwin[];
  /** Raw readers of row-dependent masks (prefixed), each with its app role and the functions it owns (`schema.name`). */
  readonly rawReaders: readonly { readonly reader: string; readonly role: string; readonly functions: readonly string[] }[];
}

/** SQL for "the `pg_roles` row `alias` is a generated role", with the known roles and the prefix bound as `roles` and `prefix`. */
export const generatedRole = (alias: string, roles = "$2", prefix = "$3"): string =>
  `(${alias}.rolname = any (${roles}::text[]) or (${prefix}::text <> '' and pg_catalog.starts_with(${alias}.rolname, ${prefix})))`;

/** {@link generatedRole} for a `pg_roles` row named `r`. */
export const GENERATED_ROLE = generatedRole("r");

/** The bind values that go with {@link generatedRole}, after the schemas (`$1`). */
export const scopeValues = (scope: DriftScope): unknown[] => [scope.schemas, scope.roles, scope.prefix];

/**
 * The scope of a check from the plan, plus the `select *` schemas the live database marks as this app's.
 *
 * @example
 * const scope = await driftScope(client, compiled.plan);
 */
export async function driftScope(client: ClientBase, plan: Plan): Promise<DriftScope> {
  const { app } = plan;
  const { rows } = await client.query<{ nspname: string }>(
    `select n.nspname from pg_catalog.pg_namespace n
      where pg_catalog.starts_with(pg_catalog.obj_description(n.oid, 'pg_namespace'), $1) order by 1`,
    [`gatehouse select * views over schema ${app.schema}: role `],
  );
  const roleSchemas = [...new Set([...plan.roles.map((r) => roleSchemaName(app, r.name)), ...rows.map((r) => r.nspname)])];
  const request = requestRoles(plan).map((r) => roleName(app, r));
  const authenticator = roleName(app, app.authenticator);
  return Object.freeze({
    app,
    appSchema: app.schema,
    toolkitSchema: app.toolkitSchema,
    schemas: [app.schema, app.toolkitSchema, ...roleSchemas.sort()],
    tableSchemas: [app.schema, app.toolkitSchema],
    prefix: app.rolePrefix,
    roles: [
      ...request,
      authenticator,
      ...plan.views.map((v) => roleName(app, viewOwner(v.name))),
      ...rawReaders(plan).map((r) => roleName(app, r)),
    ],
    authenticator,
    requestRoles: request,
    twins: plan.masks.map((mask) => {
      const { expression, type } = maskExpression(plan, mask);
      // an encrypted column's twin is an ordinary column its trigger fills: no generation expression
      return { table: mask.table, column: mask.twin, ...(isSealed(plan, mask) ? {} : { expression }), type };
    }),
    rawReaders: rawReaders(plan).map((reader) => {
      const masks = plan.rowMasks.filter((m) => m.reader === reader);
      return {
        reader: roleName(app, reader),
        role: roleName(app, masks[0]!.role),
        functions: [...new Set(masks.map((m) => `${app.toolkitSchema}.${m.rowsFn}`))],
      };
    }),
  });
}
