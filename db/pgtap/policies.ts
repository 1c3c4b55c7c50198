import type { ClientBase } from "pg";
import { literal, sql, type SQL } from "../sql/ddl";
import { literalArray } from "./arrays";
import { isTable, type Relation } from "./relations";
import { tapTest, type TapStep } from "./tap-file";

/** A row policy as PostgreSQL shows it in `pg_policies`: expressions in its own deparsed form. */
export interface PolicyRow {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  /** `PERMISSIVE` or `RESTRICTIVE`. */
  readonly permissive: string;
  /** Role names, sorted; `public` for PUBLIC. */
  readonly roles: readonly string[];
  /** `SELECT`, `INSERT`, `UPDATE`, `DELETE` or `ALL`. */
  readonly cmd: string;
  readonly qual: string | null;
  readonly withCheck: string | null;
}

/**
 * The policies on the tables of `schemas`, by schema (in the order given), table and name, as `pg_policies` deparses
 * them under the session's search path.
 *
 * @example
 * await readPolicies(client, ["clinic"]); // [{ table: "patients", name: "doctor__select", cmd: "SELECT", qual: "(…)", … }, …]
 */
export async function readPolicies(client: ClientBase, schemas: readonly string[]): Promise<PolicyRow[]> {
  const { rows } = await client.query<PolicyRow>(
    `select p.schemaname::text as schema, p.tablename::text as "table", p.policyname::text as name, p.permissive,
            array(select r::text from unnest(p.roles) r order by r collate "C") as roles, p.cmd, p.qual, p.with_check as "withCheck"
       from pg_catalog.pg_policies p
       join unnest($1::text[]) with ordinality s(name, position) on s.name = p.schemaname
      order by s.position, p.tablename collate "C", p.policyname collate "C"`,
    [schemas],
  );
  return rows;
}

/** One column of one policy's row in `pg_policies`, read by the test itself. */
const column = (p: PolicyRow, name: "permissive" | "roles" | "qual" | "with_check"): SQL =>
  sql`(select ${sql.identifier(name)}${name === "roles" ? sql`::text[]` : sql``} from pg_catalog.pg_policies where schemaname = ${literal(
    p.schema,
  )} and tablename = ${literal(p.table)} and policyname = ${literal(p.name)})`;

const textOrNull = (value: string | null): SQL => (value === null ? sql`null::text` : sql`${literal(value)}::text`);

/** The tests of one policy: command, roles, permissive or restrictive, and both expressions. */
function testsOfPolicy(p: PolicyRow): TapStep[] {
  const id = [literal(p.schema), literal(p.table), literal(p.name)];
  const label = `${p.schema}.${p.table}: policy ${p.name}`;
  return [
    tapTest(sql`policy_cmd_is(${sql.join(id, ", ")}, ${literal(p.cmd)}, ${literal(`${label}: for ${p.cmd.toLowerCase()}`)})`),
    // policy_roles_are reads role names from pg_roles, where PUBLIC has no row: compare pg_policies' names instead
    p.roles.includes("public")
      ? tapTest(
          sql`is(${column(p, "roles")}, ${literalArray(p.roles, "text")}, ${literal(`${label}: roles ${p.roles.join(", ")}`)})`,
        )
      : tapTest(sql`policy_roles_are(${sql.join(id, ", ")}, ${literalArray(p.roles, "name")})`),
    tapTest(sql`is(${column(p, "permissive")}, ${literal(p.permissive)}, ${literal(`${label}: ${p.permissive.toLowerCase()}`)})`),
    tapTest(sql`is(${column(p, "qual")}, ${textOrNull(p.qual)}, ${literal(`${label}: using expression as defined`)})`),
    tapTest(
      sql`is(${column(p, "with_check")}, ${textOrNull(p.withCheck)}, ${literal(`${label}: with check expression as defined`)})`,
    ),
  ];
}

/**
 * The tests of `policies.sql`: per table, exactly its policies (`policies_are`), then per policy its command
 * (`policy_cmd_is`), roles (`policy_roles_are`), whether it is permissive or restrictive, and its `using` and
 * `with check` expressions, compared as PostgreSQL deparses them (`pg_policies`) with the text the definitions
 * deparse to on the same server.
 *
 * @example
 * policyTests(relations, await readPolicies(client, ["clinic"]));
 */
export function policyTests(relations: readonly Relation[], policies: readonly PolicyRow[]): TapStep[] {
  return relations.filter(isTable).flatMap((t) => {
    const own = policies.filter((p) => p.schema === t.schema && p.table === t.name);
    return [
      tapTest(
        sql`policies_are(${literal(t.schema)}, ${literal(t.name)}, ${literalArray(
          own.map((p) => p.name),
          "name",
        )})`,
      ),
      ...own.flatMap(testsOfPolicy),
    ];
  });
}
