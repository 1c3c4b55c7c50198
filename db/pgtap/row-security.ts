import { literal, sql, type SQL } from "../sql/ddl";
import { literalArray } from "./arrays";
import { isTable, type Relation } from "./relations";
import { tapTest, type TapStep } from "./tap-file";

/** `relrowsecurity` or `relforcerowsecurity` of one table, read by the test itself. */
const flagOf = (relation: Relation, flag: "relrowsecurity" | "relforcerowsecurity"): SQL =>
  sql`(select c.${sql.identifier(flag)} from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${literal(relation.schema)} and c.relname = ${literal(relation.name)})`;

/**
 * The tests of `row-security.sql`: per schema, exactly its tables (`tables_are`: a table added since is a failure, its
 * row security unchecked), then per table whether row security is enabled and whether it is forced, as the definitions
 * leave them.
 *
 * @example
 * rowSecurityTests(["clinic"], relations); // tables_are('clinic', …), is(relrowsecurity, true, …), is(relforcerowsecurity, true, …), …
 */
export function rowSecurityTests(schemas: readonly string[], relations: readonly Relation[]): TapStep[] {
  return schemas.flatMap((schema) => {
    const tables = relations.filter((r) => r.schema === schema && isTable(r));
    return [
      tapTest(
        sql`tables_are(${literal(schema)}, ${literalArray(
          tables.map((t) => t.name),
          "name",
        )})`,
      ),
      ...tables.flatMap((t) => [
        tapTest(
          sql`is(${flagOf(t, "relrowsecurity")}, ${literal(t.rowSecurity)}, ${literal(
            `${t.schema}.${t.name}: row level security ${t.rowSecurity ? "enabled" : "disabled"}`,
          )})`,
        ),
        tapTest(
          sql`is(${flagOf(t, "relforcerowsecurity")}, ${literal(t.forced)}, ${literal(
            `${t.schema}.${t.name}: row level security ${t.forced ? "forced (the owner bound too)" : "not forced"}`,
          )})`,
        ),
      ]),
    ];
  });
}
