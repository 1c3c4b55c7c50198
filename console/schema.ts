import { graphql } from "./api";

/** A list the signed-in role may read (`all<Things>`), with the columns its schema gives that role. */
export interface ListField {
  /** The GraphQL field, e.g. `allFollowUps`. */
  readonly field: string;
  /** The table it reads, as the database names it (`follow_ups`), for explain and grants. */
  readonly table: string;
  readonly label: string;
  readonly columns: readonly string[];
  /** Whether `orderBy: ROW_ID_ASC` is offered (the row has a `rowId` key). */
  readonly orderByRowId: boolean;
}

/** What the signed-in role's own schema offers: its lists, and the names of its queries and mutations. */
export interface RoleSchema {
  readonly lists: readonly ListField[];
  readonly queries: ReadonlySet<string>;
  readonly mutations: ReadonlySet<string>;
  /** The scalar fields of the records a query returns (a connection's nodes, or a list). */
  columnsOf(query: string): readonly string[];
}

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface Field {
  name: string;
  type: TypeRef;
  args: { name: string; type: TypeRef }[];
}
interface Type {
  name: string;
  kind: string;
  fields: Field[] | null;
  enumValues: { name: string }[] | null;
}

const REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
const INTROSPECTION = `{ __schema { queryType { name } mutationType { name } types { name kind enumValues { name }
  fields { name type { ${REF} } args { name type { ${REF} } } } } } }`;

const named = (ref: TypeRef): TypeRef => (ref.ofType ? named(ref.ofType) : ref);

/**
 * Reads the signed-in role's schema by introspection: each role has its own, so this is exactly what it may use.
 *
 * @example
 * const schema = await loadRoleSchema();
 * schema.lists.map((l) => l.field); // ["allAppointments", "allPatients"]
 */
export async function loadRoleSchema(): Promise<RoleSchema> {
  const { __schema: s } = await graphql<{
    __schema: { queryType: { name: string }; mutationType: { name: string } | null; types: Type[] };
  }>(INTROSPECTION);
  const types = new Map(s.types.map((t) => [t.name, t]));
  const query = types.get(s.queryType.name)!;
  const mutation = s.mutationType ? types.get(s.mutationType.name) : undefined;
  const recordOf = (field: Field): Type | undefined => {
    const type = types.get(named(field.type).name ?? "");
    const nodes = type?.name.endsWith("Connection") ? type.fields?.find((f) => f.name === "nodes") : undefined;
    return nodes ? types.get(named(nodes.type).name ?? "") : type;
  };
  const scalars = (type: Type | undefined) =>
    (type?.fields ?? [])
      .filter((f) => named(f.type).name !== "ID" && ["SCALAR", "ENUM"].includes(named(f.type).kind))
      .map((f) => f.name);
  const lists = (query.fields ?? [])
    .filter((f) => /^all[A-Z]/.test(f.name) && named(f.type).name?.endsWith("Connection"))
    .map((f): ListField => {
      const orderBy = f.args.find((a) => a.name === "orderBy");
      const values = types.get(named(orderBy?.type ?? { kind: "", name: null, ofType: null }).name ?? "")?.enumValues ?? [];
      const plural = f.name.slice(3);
      return {
        field: f.name,
        table: plural.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase(),
        label: plural.replace(/(?<!^)([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase()),
        columns: scalars(recordOf(f)),
        orderByRowId: values.some((v) => v.name === "ROW_ID_ASC"),
      };
    })
    .sort((a, b) => a.field.localeCompare(b.field));
  return {
    lists,
    queries: new Set((query.fields ?? []).map((f) => f.name)),
    mutations: new Set((mutation?.fields ?? []).map((f) => f.name)),
    columnsOf: (name) => {
      const field = query.fields?.find((f) => f.name === name);
      return field ? scalars(recordOf(field)) : [];
    },
  };
}
