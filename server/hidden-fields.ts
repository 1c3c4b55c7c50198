import {
  FieldsOnCorrectTypeRule,
  GraphQLError,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  KnownTypeNamesRule,
  ValuesOfCorrectTypeRule,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from "postgraphile/graphql";

/** `Type.field` (and `Type`) to the database column (table) behind it, e.g. `PatientPatch.notes` → `clinic.patients.notes`. */
export type ColumnLabels = Map<string, string>;

/** Every type and field some role's schema has, with the column or table behind each. */
export interface FieldIndex {
  readonly fields: Map<string, Set<string>>;
  readonly labels: ColumnLabels;
}

/** An empty index, filled by {@link columnLabelPlugin} and {@link addSchemaFields} as the role schemas are built. */
export const emptyFieldIndex = (): FieldIndex => ({ fields: new Map(), labels: new Map() });

type PgCodecLike = { extensions?: { pg?: { schemaName?: string; name?: string } }; attributes?: Record<string, unknown> };

const tableOf = (codec: PgCodecLike | undefined) =>
  codec?.extensions?.pg?.name ? `${codec.extensions.pg.schemaName}.${codec.extensions.pg.name}` : undefined;

/**
 * A plugin recording, while a schema is built, which table each type and which column each field stands for,
 * so a FORBIDDEN error can name them.
 *
 * @example
 * const labels: ColumnLabels = new Map();
 * await makeSchema({ extends: [preset], plugins: [columnLabelPlugin(labels)] });
 * labels.get("PatientPatch.notes"); // "clinic.patients.notes"
 */
export function columnLabelPlugin(labels: ColumnLabels): GraphileConfig.Plugin {
  const record = (type: string, field: string, scope: Record<string, unknown>, attributeKey: string) => {
    const codec = (scope.pgCodec ?? (scope.pgFieldResource as { codec?: PgCodecLike } | undefined)?.codec) as
      PgCodecLike | undefined;
    const table = tableOf(codec);
    if (!table) return;
    if (!labels.has(type) && scope.pgCodec) labels.set(type, table);
    const attribute = scope[attributeKey];
    const column = attribute && Object.entries(codec?.attributes ?? {}).find(([, a]) => a === attribute)?.[0];
    if (!labels.has(`${type}.${field}`)) labels.set(`${type}.${field}`, column ? `${table}.${column}` : table);
  };
  return {
    name: "GatehouseColumnLabelPlugin",
    version: "1.0.0",
    schema: {
      hooks: {
        GraphQLObjectType_fields_field(field, _build, context) {
          record(
            context.Self.name,
            context.scope.fieldName,
            context.scope as unknown as Record<string, unknown>,
            "pgFieldAttribute",
          );
          return field;
        },
        GraphQLInputObjectType_fields_field(field, _build, context) {
          record(context.Self.name, context.scope.fieldName, context.scope as unknown as Record<string, unknown>, "pgAttribute");
          return field;
        },
      },
    },
  };
}

/**
 * Adds a schema's types and fields to the index; with the schema of every role added, it tells a field the
 * caller's role may not use from a field that does not exist.
 *
 * @example
 * addSchemaFields(index, nurseSchema);
 * index.fields.get("Patient")?.has("notes"); // true
 */
export function addSchemaFields(index: FieldIndex, schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    if (!isObjectType(type) && !isInterfaceType(type) && !isInputObjectType(type)) continue;
    const known = index.fields.get(type.name) ?? index.fields.set(type.name, new Set()).get(type.name)!;
    for (const field of Object.keys(type.getFields())) known.add(field);
  }
}

const UNKNOWN_FIELD = /^Cannot query field "(\w+)" on type "(\w+)"\./;
const UNKNOWN_INPUT_FIELD = /^Field "(\w+)" is not defined by type "(\w+)"\./;
const UNKNOWN_TYPE = /^Unknown type "(\w+)"\./;

/**
 * Replaces graphql-js's unknown-field, unknown-input-field and unknown-type rules in `rules` with versions that
 * report a field or type that exists for some role, but not in the caller's schema, as `FORBIDDEN` ("your role may
 * not use Patient.notes") instead of "Cannot query field … Did you mean …?". Any other error is reported as is.
 *
 * @example
 * event.validationRules = hiddenFieldRules(event.validationRules, fieldIndex(unionSchema));
 */
export function hiddenFieldRules(rules: readonly ValidationRule[], all: FieldIndex): ValidationRule[] {
  const rewritten = new Set<ValidationRule>([FieldsOnCorrectTypeRule, ValuesOfCorrectTypeRule, KnownTypeNamesRule]);
  return rules.map((rule) => (rewritten.has(rule) ? forbiddenWhenHidden(rule, all) : rule));
}

function forbiddenWhenHidden(rule: ValidationRule, all: FieldIndex): ValidationRule {
  return (context: ValidationContext) => {
    const reporting = Object.create(context) as ValidationContext;
    reporting.reportError = (error: GraphQLError) => context.reportError(forbiddenVersion(error, all) ?? error);
    return rule(reporting);
  };
}

function forbiddenVersion(error: GraphQLError, all: FieldIndex): GraphQLError | undefined {
  const field = UNKNOWN_FIELD.exec(error.message) ?? UNKNOWN_INPUT_FIELD.exec(error.message);
  if (field && all.fields.get(field[2]!)?.has(field[1]!)) {
    const [, name, type] = field as unknown as [string, string, string];
    const label = all.labels.get(`${type}.${name}`);
    const what = !label ? "" : label.split(".").length === 3 ? ` (column ${label})` : ` (table ${label})`;
    return new GraphQLError(`forbidden: your role may not use ${type}.${name}${what}`, {
      nodes: error.nodes,
      extensions: {
        code: "FORBIDDEN",
        type,
        field: name,
        ...(label ? { [label.split(".").length === 3 ? "column" : "table"]: label } : {}),
      },
    });
  }
  const type = UNKNOWN_TYPE.exec(error.message);
  if (type && all.fields.has(type[1]!)) {
    const label = all.labels.get(type[1]!);
    return new GraphQLError(`forbidden: your role may not use type ${type[1]}${label ? ` (table ${label})` : ""}`, {
      nodes: error.nodes,
      extensions: { code: "FORBIDDEN", type: type[1], ...(label ? { table: label } : {}) },
    });
  }
  return undefined;
}
