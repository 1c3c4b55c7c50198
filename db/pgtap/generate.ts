import type { ClientBase } from "pg";
import { applySql, compileAgainst } from "../apply/apply";
import { roleName } from "../compile/names";
import type { Plan } from "../compile/plan";
import type { GatehouseConfig } from "../config";
import { sql, toDdl } from "../sql/ddl";
import { runInRolledBackTransaction } from "../testing/persona";
import { policyTests, readPolicies } from "./policies";
import { privilegeTests, readPrivileges } from "./privileges";
import { readRelations } from "./relations";
import { rowSecurityTests } from "./row-security";
import { TAP_SEARCH_PATH, type TapFile } from "./tap-file";
import { visibilityTests } from "./visibility";

/** The files {@link generatePgtap} writes; `visibility.sql` only when the config has personas. */
export const PGTAP_FILES = ["policies.sql", "privileges.sql", "row-security.sql", "visibility.sql"] as const;

/** Every role the compile creates, prefixed: the app's roles, the anonymous role, the authenticator, the view owners. */
const generatedRoles = (plan: Plan): string[] =>
  [...plan.roles.map((r) => r.name), plan.app.anonymous, plan.app.authenticator, ...plan.views.map((v) => v.owner)].map((r) =>
    roleName(plan.app, r),
  );

/**
 * pgTAP files for the config's app, one per concern, written from the definitions: inside one transaction on `client`
 * (the project database, as a superuser) it compiles the definitions against the live schema, applies them, reads back
 * what PostgreSQL made of them — policies in its own deparsed form, table and column privileges of every generated role
 * and PUBLIC, row-security flags, and, when the config has personas, which rows each one sees in the seeded data — and
 * rolls back. The files therefore hold what the definitions say, even on a database that has drifted from them.
 *
 * @example
 * const files = await generatePgtap(client, config);
 * files.map((f) => f.name); // ["policies.sql", "privileges.sql", "row-security.sql", "visibility.sql"]
 */
export async function generatePgtap(client: ClientBase, config: GatehouseConfig): Promise<TapFile[]> {
  const { app } = config;
  const personas = config.personas ?? [];
  if (personas.length > 0 && config.seed) {
    const seeded = await config.seed.isSeeded(client).catch((error: Error) => {
      throw new Error(`the database is not ready (${error.message}): run gatehouse migrate and gatehouse seed first`);
    });
    if (!seeded)
      throw new Error(
        "the database has no demo data: run gatehouse seed first (visibility.sql records which rows each persona sees in it)",
      );
  }
  const superuser = await client.query<{ rolsuper: boolean }>(
    "select rolsuper from pg_catalog.pg_roles where rolname = current_user",
  );
  if (!superuser.rows[0]?.rolsuper)
    throw new Error(
      "gatehouse pgtap applies the definitions in a rolled-back transaction and acts as each persona through the authenticator (set session authorization): DATABASE_URL must log in as a superuser",
    );
  return runInRolledBackTransaction(client, async () => {
    const compiled = await compileAgainst(client, app);
    await applySql(client, compiled.sql);
    await client.query(toDdl(sql`set local search_path to ${sql.identifier(TAP_SEARCH_PATH)}`));
    const schemas = [app.schema, app.toolkitSchema];
    const relations = await readRelations(client, schemas);
    const files: TapFile[] = [
      {
        name: "policies.sql",
        about:
          "Every policy on the tables: names, command, roles, permissive or restrictive, both expressions as this PostgreSQL major deparses them.",
        steps: policyTests(relations, await readPolicies(client, schemas)),
      },
      {
        name: "privileges.sql",
        about:
          "What every generated role and PUBLIC holds on each table, view and column (grants held through membership included).",
        steps: privilegeTests(await readPrivileges(client, schemas, [...generatedRoles(compiled.plan), "public"])),
      },
      {
        name: "row-security.sql",
        about: "The tables of each schema, and row level security enabled and forced on each.",
        steps: rowSecurityTests(schemas, relations),
      },
    ];
    if (personas.length > 0)
      files.push({
        name: "visibility.sql",
        about:
          "Exactly which rows (by key) each persona of the config sees in each table, as of writing: write again after changing the data.",
        steps: await visibilityTests(client, compiled.plan, personas),
      });
    return files;
  });
}
