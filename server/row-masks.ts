import { TYPES, type PgSelectSingleStep } from "postgraphile/@dataplan/pg";
import { access } from "postgraphile/grafast";
import { sql } from "postgraphile/pg-sql2";
import { describeScope, roleName, rowMasksOf, type AppDefinition } from "../db";

type Codec = {
  name?: string;
  extensions?: { pg?: { schemaName?: string; name?: string } };
  attributes?: Record<string, { extensions?: { canSelect?: boolean } }>;
};
type Resource = {
  codec: unknown;
  parameters?: unknown;
  uniques: readonly { isPrimary?: boolean; attributes: readonly string[] }[];
};

/**
 * A role's row-dependent masked columns (`mask(..., { unless })`) as fields of its table types: the role holds no
 * privilege on the raw column, so PostGraphile leaves the column out; this puts it back under its own name, read
 * per row through the role's row mask function on the table (`<toolkit>.row_mask_<table>__<role>(key)`, selected once
 * per row for all such fields), which gives the raw value where the mask's scope holds for the caller and the masked
 * value elsewhere. The field is read-only
 * and cannot be filtered or ordered on (that would read the raw value of every row).
 *
 * @example
 * const preset = { plugins: [rowMaskPlugin(app, "clinic_nurse")] };
 * // { allPatients { nodes { phone } } } → "+1-555-0101" on a patient of her ward, "*******0102" on another
 */
export function rowMaskPlugin(app: AppDefinition, role: string): GraphileConfig.Plugin {
  const masks = rowMasksOf(app).filter((m) => roleName(app, m.role) === role);
  return {
    name: "GatehouseRowMaskPlugin",
    version: "1.0.0",
    description: "row-dependent masked columns, read per row through the role's row mask functions",
    schema: {
      hooks: {
        GraphQLObjectType_fields(fields, build, context) {
          const scope = context.scope as { isPgClassType?: boolean; pgCodec?: Codec };
          const codec = scope.pgCodec;
          const pg = codec?.extensions?.pg;
          if (!scope.isPgClassType || !codec || pg?.schemaName !== app.schema) return fields;
          const mine = masks.filter((m) => m.table === pg.name);
          if (mine.length === 0) return fields;
          const resources = Object.values(build.input.pgRegistry.pgResources) as unknown as Resource[];
          const resource = resources.find((r) => r.codec === codec && !r.parameters);
          const key = resource?.uniques.find((u) => u.isPrimary)?.attributes;
          if (!key || key.length !== 1 || codec.attributes?.[key[0]!]?.extensions?.canSelect === false) return fields;
          const added = Object.fromEntries(
            mine.map((m) => {
              const fn = sql.identifier(app.toolkitSchema, m.fn);
              const name = build.inflection.attribute({ codec: codec as never, attributeName: m.column });
              return [
                name,
                {
                  type: build.graphql.GraphQLString,
                  description: build.wrapDescription(
                    `Raw ${m.column} on ${describeScope(m.scope)}; masked on the other rows (a row-dependent mask).`,
                    "field",
                  ),
                  plan($record: PgSelectSingleStep) {
                    // the same expression for every such field of the row: PostgreSQL calls the function once per row
                    const $masks = $record.select(
                      sql`${fn}(${$record.getClassStep().alias}.${sql.identifier(key[0]!)})`,
                      TYPES.jsonb,
                    );
                    return access($masks, m.column);
                  },
                },
              ];
            }),
          );
          return build.extend(fields, added, `Adding the row-dependent masked columns of ${pg.name}`);
        },
      },
    },
  };
}
