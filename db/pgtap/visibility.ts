import type { ClientBase } from "pg";
import { roleName } from "../compile/names";
import type { Plan } from "../compile/plan";
import type { PersonaInfo } from "../config";
import { didYouMean } from "../policy/suggest";
import { literal, sql, toDdl, type SQL } from "../sql/ddl";
import { literalArray } from "./arrays";
import { tapStep, tapTest, type TapStep } from "./tap-file";

/** What one persona, acting in one of its roles, reads from one table: the keys of its rows, or the error. */
interface Sight {
  readonly query: SQL;
  readonly table: string;
  readonly keys?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

/** The statements that make the transaction act as a persona, as the server does for a request through the authenticator. */
function actAsStatements(plan: Plan, persona: PersonaInfo, role: string): SQL[] {
  const { app } = plan;
  return [
    sql`set local session authorization ${sql.identifier(roleName(app, app.authenticator))};`,
    sql`set local role ${sql.identifier(roleName(app, role))};`,
    sql`set local ${sql.identifier("jwt", "claims", "user_id")} to ${literal(String(persona.id))};`,
    sql`set local ${sql.identifier("jwt", "claims", "channel")} to '';`,
  ];
}

const BACK_TO_ROOT = [sql`reset role;`, sql`reset session authorization;`];

/**
 * `select (<key columns>)::text from <table> order by <key columns>`: a row's key as text, one row per visible row, in
 * key order (the columns are qualified, so `order by` does not sort the text).
 */
function keyQuery(plan: Plan, table: Plan["tables"][number]): SQL {
  const columns = table.primaryKey.length ? table.primaryKey : [table.key];
  const key = (qualify: boolean) =>
    sql.join(
      columns.map((c) => (qualify ? sql.identifier(plan.app.schema, table.name, c) : sql.identifier(c))),
      ", ",
    );
  return sql`select (${key(false)})::text from ${sql.identifier(plan.app.schema, table.name)} order by ${key(true)}`;
}

/** Fails, naming the fix, when a persona holds a role the app does not define. */
function checkPersonas(plan: Plan, personas: readonly PersonaInfo[]): void {
  const roles = plan.roles.map((r) => r.name);
  for (const persona of personas)
    for (const role of persona.roles)
      if (!roles.includes(role))
        throw new Error(
          `persona ${persona.username} has role "${role}", which the app does not define${didYouMean(role, roles)}: fix personas in the config`,
        );
}

/** What `persona` sees of every table of the plan, acting in `role`, read on `client` inside its open transaction. */
async function sightsOf(client: ClientBase, plan: Plan, persona: PersonaInfo, role: string): Promise<Sight[]> {
  for (const statement of actAsStatements(plan, persona, role)) await client.query(toDdl(statement));
  const sights: Sight[] = [];
  for (const table of plan.tables) {
    const query = keyQuery(plan, table);
    await client.query("savepoint gatehouse_sight");
    try {
      const { rows } = await client.query<Record<string, string>>(toDdl(query));
      sights.push({ query, table: table.name, keys: rows.map((r) => Object.values(r)[0]!) });
      await client.query("release savepoint gatehouse_sight");
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      if (!code) throw error;
      await client.query("rollback to savepoint gatehouse_sight");
      sights.push({ query, table: table.name, error: { code, message } });
    }
  }
  for (const statement of BACK_TO_ROOT) await client.query(toDdl(statement));
  return sights;
}

/**
 * The steps of `visibility.sql`, read on `client` (a superuser, inside an open transaction, on the seeded database):
 * for each persona and each of its roles, the switch to that persona (through the authenticator, so the identity
 * helpers trust its claims), then per table of the app exactly the rows it sees, by key (`results_eq`), or the error it
 * gets (`throws_ok`), as it sees them now; then back to the superuser.
 *
 * @example
 * await visibilityTests(client, plan, [{ username: "dr_ada", id: 4, roles: ["doctor"], unit: "Ward A" }]);
 */
export async function visibilityTests(client: ClientBase, plan: Plan, personas: readonly PersonaInfo[]): Promise<TapStep[]> {
  checkPersonas(plan, personas);
  const steps: TapStep[] = [];
  for (const persona of personas)
    for (const role of persona.roles) {
      const sights = await sightsOf(client, plan, persona, role);
      const who = `${persona.username} as ${role}`;
      steps.push(...actAsStatements(plan, persona, role).map(tapStep));
      for (const sight of sights) {
        const table = `${plan.app.schema}.${sight.table}`;
        const query = literal(toDdl(sight.query));
        steps.push(
          sight.error
            ? tapTest(
                sql`throws_ok(${query}, ${literal(sight.error.code)}, ${literal(sight.error.message)}, ${literal(
                  `${who} cannot read ${table}: ${sight.error.message}`,
                )})`,
              )
            : tapTest(
                sql`results_eq(${query}, ${literalArray(sight.keys!, "text")}, ${literal(
                  `${who} sees exactly ${sight.keys!.length} row(s) of ${table}`,
                )})`,
              ),
        );
      }
      steps.push(...BACK_TO_ROOT.map(tapStep));
    }
  return steps;
}
