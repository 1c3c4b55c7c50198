/**
 * Over HTTP, with real tokens, every persona reads exactly the rows and columns the SQL-level tests expect
 * (the same expectation files), and its schema's introspection shows exactly its readable columns.
 */
import { column } from "../crm/crm-database";
import { PERSONA_NAMES } from "../crm/table-access";
import { openCrmApi, type CrmApi } from "./api";
import { API_RELATIONS, fieldOf } from "./graphql-names";

let api: CrmApi;
const tokens = new Map<string, string>();
beforeAll(async () => {
  api = await openCrmApi();
  for (const name of PERSONA_NAMES) tokens.set(name, await api.token(name));
});
afterAll(() => api?.close());

interface IntrospectedType {
  fields: { name: string; type: { kind: string; ofType: { kind: string } | null } }[];
}

/** Scalar and enum fields of a type, as the persona's introspection shows them (the node `id` aside). */
async function readableFields(token: string, type: string): Promise<string[] | null> {
  const { data } = await api.query<{ __type: IntrospectedType | null }>(
    `query($t: String!) { __type(name: $t) { fields { name type { kind ofType { kind } } } } }`,
    { token, variables: { t: type } },
  );
  if (!data?.__type) return null;
  const leaf = (f: IntrospectedType["fields"][number]) =>
    ["SCALAR", "ENUM"].includes(f.type.kind === "NON_NULL" ? f.type.ofType!.kind : f.type.kind);
  return data.__type.fields
    .filter((f) => leaf(f) && f.name !== "id")
    .map((f) => f.name)
    .sort();
}

async function rootFields(token: string): Promise<string[]> {
  const { data } = await api.query<{ __schema: { queryType: { fields: { name: string }[] } } }>(
    "{ __schema { queryType { fields { name } } } }",
    { token },
  );
  return data!.__schema.queryType.fields.map((f) => f.name);
}

describe.each(API_RELATIONS)("$relation over GraphQL", (relation) => {
  test(`root sees every ${relation.relation} row the expectations list`, async () => {
    const ids = await api.crm.root((c) =>
      column<string>(c, relation.rootIds ?? `select id from ${relation.relation} order by id`),
    );
    expect(ids.map(Number)).toEqual(relation.ids);
  });

  test.each(PERSONA_NAMES.map((name) => [name, relation.personas[name]] as const))(
    "%s reads exactly the expected rows and columns",
    async (name, access) => {
      const token = tokens.get(name)!;
      if (access.ids === null) {
        expect(await rootFields(token)).not.toContain(relation.list);
        const refused = await api.query(`{ ${relation.list} { totalCount } }`, { token });
        expect(refused.errors?.map((e) => [e.extensions?.code, e.extensions?.table])).toEqual([["FORBIDDEN", relation.relation]]);
        return;
      }
      const fields = access.columns.map(fieldOf);
      expect(await readableFields(token, relation.type)).toEqual([...fields].sort());
      const { data, errors } = await api.query<Record<string, { nodes: Record<string, unknown>[] }>>(
        `{ ${relation.list} { nodes { ${fields.join(" ")} } } }`,
        { token },
      );
      expect(errors).toBeUndefined();
      const nodes = data![relation.list]!.nodes;
      if (fields.includes("rowId")) {
        expect(nodes.map((n) => Number(n.rowId)).sort((a, b) => a - b)).toEqual(access.ids);
      } else {
        // the partner reads four customer columns and not the id: identify the rows by name
        const names = await api.crm.root((c) =>
          column<string>(c, `select name from ${relation.relation} where id = any($1) order by name`, [access.ids]),
        );
        expect(nodes.map((n) => n.name).sort()).toEqual(names);
      }
      expect(nodes.every((n) => Object.keys(n).sort().join() === [...fields].sort().join())).toBe(true);
    },
  );
});
