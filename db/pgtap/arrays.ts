import { literal, sql, type SQL } from "../sql/ddl";

/**
 * An SQL array of string literals with a cast, `array[]::<type>[]` when empty.
 *
 * @example
 * toDdl(literalArray(["doctor__select"], "name")); // array['doctor__select']::name[]
 */
export function literalArray(values: readonly string[], type: "name" | "text"): SQL {
  const cast = type === "name" ? sql`name[]` : sql`text[]`;
  return sql`array[${sql.join(values.map(literal), ", ")}]::${cast}`;
}
