import { getNamedType, isLeafType, isObjectType, type GraphQLSchema } from "postgraphile/graphql";

/**
 * A first query to try with a role's schema: its first `all…` list (in `preferred` order when given) with up
 * to `fields` of its readable columns, or `null` when the role can list nothing.
 *
 * @example
 * exampleQuery(apis.get("clinic_nurse")!.schema, ["allPatients", "allWards"]); // "{ allPatients { nodes { rowId fullName phoneMasked wardId } } }"
 */
export function exampleQuery(schema: GraphQLSchema, preferred: readonly string[] = [], fields = 4): string | null {
  const lists = Object.values(schema.getQueryType()?.getFields() ?? {}).filter((f) => /^all[A-Z]/.test(f.name));
  lists.sort((a, b) => rank(a.name, preferred) - rank(b.name, preferred));
  for (const list of lists) {
    const connection = getNamedType(list.type);
    const nodes = isObjectType(connection) ? connection.getFields().nodes : undefined;
    const node = nodes ? getNamedType(nodes.type) : undefined;
    if (!node || !isObjectType(node)) continue;
    const columns = Object.values(node.getFields())
      .filter((f) => f.name !== "id" && isLeafType(getNamedType(f.type)))
      .slice(0, fields)
      .map((f) => f.name);
    if (columns.length > 0) return `{ ${list.name} { nodes { ${columns.join(" ")} } } }`;
  }
  return null;
}

const rank = (name: string, preferred: readonly string[]) => {
  const i = preferred.indexOf(name);
  return i === -1 ? preferred.length : i;
};
