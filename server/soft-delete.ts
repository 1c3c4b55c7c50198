import { sideEffectWithPgClient, type PgResource } from "postgraphile/@dataplan/pg";
import { object, specFromNodeId, type FieldArgs, type Step } from "postgraphile/grafast";
import { sql } from "postgraphile/pg-sql2";
import { SOFT_DELETE, type AppDefinition, type SoftDeleteDefinition } from "../db";

type AnyResource = PgResource<any, any, any, any, any>;

/** The soft delete declared for a resource, when it is a table of the app schema that has one. */
function softDeleteFor(app: AppDefinition, resource: AnyResource | undefined): SoftDeleteDefinition | undefined {
  const pg = (resource?.codec as { extensions?: { pg?: { schemaName?: string; name?: string } } } | undefined)?.extensions?.pg;
  if (!resource || resource.parameters || pg?.schemaName !== app.schema) return undefined;
  return app.softDeletes?.find((d) => d.table === pg.name);
}

/**
 * A role's delete mutations on soft-delete tables (`deleteCustomerByRowId`, `deleteCustomer`) soft-delete:
 * PostGraphile's own delete would issue `delete … returning`, which the table's trigger turns into a mark and
 * reports as no row deleted — an error after the fact. Instead each reads the row as the caller sees it, then
 * calls `<toolkit>.delete_<table>(key, reason)` as the caller (their delete rule decides; a row they may not
 * delete is FORBIDDEN), and returns the row as it was. Their input gains an optional `reason`, recorded in the
 * table's reason column.
 *
 * @example
 * const preset = { plugins: [softDeletePlugin(app)] };
 * // mutation { deleteCustomerByRowId(input: { rowId: "2", reason: "duplicate" }) { deletedCustomerId } }
 */
export function softDeletePlugin(app: AppDefinition): GraphileConfig.Plugin {
  return {
    name: "GatehouseSoftDeletePlugin",
    version: "1.0.0",
    description: "delete mutations of soft-delete tables mark the row through the toolkit's delete function",
    schema: {
      hooks: {
        GraphQLInputObjectType_fields(fields, build, context) {
          const scope = context.scope as { isPgDeleteInputType?: boolean; pgResource?: AnyResource };
          const d = scope.isPgDeleteInputType ? softDeleteFor(app, scope.pgResource) : undefined;
          if (!d) return fields;
          return build.extend(
            fields,
            {
              reason: {
                type: build.graphql.GraphQLString,
                description: build.wrapDescription(
                  `Why the row is deleted${d.reason ? `, recorded in \`${d.reason}\`` : ""}. The delete only marks the row (soft delete).`,
                  "field",
                ),
              },
            },
            `Adding the soft delete reason to ${context.Self.name}`,
          );
        },
        GraphQLObjectType_fields_field(field, build, context) {
          const scope = context.scope as { isPgDeleteMutation?: boolean; pgFieldResource?: AnyResource; fieldName?: string };
          const resource = scope.isPgDeleteMutation ? scope.pgFieldResource : undefined;
          const d = softDeleteFor(app, resource);
          if (!resource || !d) return field;
          const primary = resource.uniques.find((u: { isPrimary?: boolean }) => u.isPrimary) ?? resource.uniques[0];
          const key = primary?.attributes[0] as string | undefined;
          if (!primary || !key || primary.attributes.length !== 1) return field;
          const { inflection } = build;
          const nodeMode = scope.fieldName === inflection.deleteNodeField({ resource, unique: primary });
          const keyField = inflection.attribute({ attributeName: key, codec: resource.codec });
          const handler = build.getNodeIdHandler?.(inflection.tableType(resource.codec));
          if (nodeMode && !handler) return field;
          const fn = sql.identifier(app.toolkitSchema, SOFT_DELETE.deleteFunction(d.table));
          const executor = resource.executor;
          return {
            ...field,
            description:
              `${field.description ?? ""} A soft delete: the row is marked (${[d.column, d.by, d.reason].filter(Boolean).join(", ")}) and hidden, not removed.`.trim(),
            plan(_$root: Step, fieldArgs: FieldArgs) {
              const $key = nodeMode
                ? (
                    specFromNodeId(handler!, fieldArgs.getRaw(["input", inflection.nodeIdFieldName()]) as Step<string>) as Record<
                      string,
                      Step
                    >
                  )[key]!
                : fieldArgs.getRaw(["input", keyField]);
              // the row as the caller sees it, read before it is marked: the payload's record
              const $select = resource.find({ [key]: $key });
              fieldArgs.apply($select);
              const $row = $select.single() as unknown as { get(attribute: string): Step } & Step;
              const $marked = sideEffectWithPgClient(
                executor,
                object({ key: $key, seen: $row.get(key), reason: fieldArgs.getRaw(["input", "reason"]) }),
                async (client, { key: value, reason }) => {
                  const query = sql.compile(
                    sql`select ${fn}(${sql.value(value as string)}, ${sql.value((reason as string | null) ?? null)})`,
                  );
                  await client.query({ text: query.text, values: query.values });
                  return true;
                },
              );
              return object({ result: $row, marked: $marked });
            },
          } as typeof field;
        },
      },
    },
  };
}
