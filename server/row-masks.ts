import type { PgExecutor, PgSelectSingleStep } from "postgraphile/@dataplan/pg";
import { loadOne, loadOneLoader, type LoadOneLoader } from "postgraphile/grafast";
import { sql } from "postgraphile/pg-sql2";
import { describeScope, roleName, rowMasksOf, type AppDefinition, type RowMask } from "../db";

type Codec = {
  name?: string;
  extensions?: { pg?: { schemaName?: string; name?: string } };
  attributes?: Record<string, { extensions?: { canSelect?: boolean } }>;
};
type Resource = {
  codec: unknown;
  executor: PgExecutor;
  parameters?: unknown;
  uniques: readonly { isPrimary?: boolean; attributes: readonly string[] }[];
};

/**
 * A role's row-dependent masked columns (`mask(..., { unless })`) as fields of its table types: the role holds no
 * privilege on the raw column, so PostGraphile leaves the column out; this puts it back under its own name, read
 * through the role's many-row mask function on the table (`<toolkit>.row_masks_<table>__<role>(keys)`), which gives
 * the raw value where the mask's scope holds for the caller and the masked value elsewhere. The keys of every row a
 * request selects are batched: one statement for the whole page, whatever such fields it asks for, in the request's
 * role and claims; a row the caller can no longer see gives null. The field is read-only and cannot be filtered or
 * ordered on (that would read the raw value of every row).
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
    description: "row-dependent masked columns, read a page at a time through the role's row mask functions",
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
          if (!resource || !key || key.length !== 1 || codec.attributes?.[key[0]!]?.extensions?.canSelect === false)
            return fields;
          // one loader for every such field of the table, so grafast merges their loads into one
          const loader = pageLoader(app, mine[0]!, resource.executor);
          const added = Object.fromEntries(
            mine.map((m) => {
              const name = build.inflection.attribute({ codec: codec as never, attributeName: m.column });
              return [
                name,
                {
                  type: build.graphql.GraphQLString,
                  description: build.wrapDescription(
                    `Raw ${m.column} on ${describeScope(m.scope)}; masked on the other rows (a row-dependent mask).`,
                    "field",
                  ),
                  plan: ($record: PgSelectSingleStep) => loadOne($record.get(key[0]!), loader).get(m.column),
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

type Masks = Record<string, string | null>;

/** Loads the masks of a batch of keys with one call of the role's many-row mask function, in the request's settings. */
function pageLoader(
  app: AppDefinition,
  mask: RowMask,
  executor: PgExecutor,
): LoadOneLoader<unknown, Masks, Masks | null, Record<string, never>, ReturnType<PgExecutor["context"]>> {
  const fn = sql.identifier(app.toolkitSchema, mask.rowsFn);
  return loadOneLoader({
    name: mask.rowsFn,
    shared: () => executor.context(),
    async load(keys, { shared }) {
      const wanted = [...new Set(keys.filter((k) => k !== null && k !== undefined).map(String))];
      if (wanted.length === 0) return keys.map(() => null);
      const query = sql.compile(sql`select m.row_key::text as key, m.masks from ${fn}(${sql.value(wanted)}) as m`);
      const { rows } = await shared.withPgClient(shared.pgSettings, (client) =>
        client.query<{ key: string; masks: Masks }>({ text: query.text, values: query.values }),
      );
      const byKey = new Map(rows.map((r) => [r.key, r.masks]));
      return keys.map((k) => (k === null || k === undefined ? null : (byKey.get(String(k)) ?? null)));
    },
  });
}
