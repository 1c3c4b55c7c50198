import type { ClientBase } from "pg";
import { applySql, applyStatements, compileAgainst, inTransaction } from "../apply/apply";
import type { AppDefinition } from "../policy/define";
import { sql } from "../sql/ddl";
import { compareSnapshots } from "./compare";
import { loginDrift } from "./logins";
import { neutralise } from "./neutralise";
import { membershipDrift, ownerDrift, readLogins } from "./rules";
import { driftScope, type DriftScope } from "./scope";
import { readSnapshot, type Snapshot } from "./snapshot";
import { plannedTwins } from "./twins";

/** What a drift item is about. */
export type DriftKind =
  | "policy"
  | "role"
  | "membership"
  | "privilege"
  | "masked-column"
  | "view"
  | "row-security"
  | "function"
  | "trigger"
  | "login"
  | "owner";

/** One difference between the live database and the definitions. */
export interface DriftItem {
  readonly kind: DriftKind;
  /** What differs, e.g. `clinic.patients policy nurse__select`, `select on clinic.patients to clinic_nurse`. */
  readonly object: string;
  /** How it differs, in words, e.g. `policy changed: using differs`. */
  readonly message: string;
  /** What the definitions make (absent when they make nothing there). */
  readonly expected?: string;
  /** What the database holds (absent when it holds nothing there). */
  readonly actual?: string;
}

/** How many objects of each kind the check compared (as the definitions make them). */
export interface DriftCounts {
  readonly policies: number;
  readonly grants: number;
  readonly roles: number;
  readonly memberships: number;
  readonly views: number;
  readonly functions: number;
  readonly triggers: number;
  readonly tables: number;
  readonly maskedColumns: number;
  readonly logins: number;
}

/** The outcome of {@link checkDrift}: no items means the live database matches the definitions. */
export interface DriftReport {
  readonly items: readonly DriftItem[];
  readonly compared: DriftCounts;
}

const LOCK_TIMEOUT = "5s";
const KIND_ORDER: readonly DriftKind[] = [
  "policy",
  "row-security",
  "privilege",
  "masked-column",
  "view",
  "role",
  "membership",
  "login",
  "owner",
  "function",
  "trigger",
];

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Lock not available (`lock_timeout`). */
const isLockTimeout = (error: unknown) => (error as { code?: string })?.code === "55P03";

/**
 * Compares the live database with the app's definitions, semantically: in one transaction that always rolls back,
 * it reads what the database holds, applies the whole generated SQL (compiled in memory from the definitions
 * against the live schema, after revoking what the generation would not reset), reads the same again — PostgreSQL's
 * own deparsed form on both sides — and compares; memberships, owners, role-bound logins and the forbidden role
 * attributes are checked by rule. It takes the locks a migration takes, waiting at most 5 s for each. Inside an
 * open transaction it uses a savepoint, so it sees (and leaves) that transaction's changes.
 *
 * @example
 * const report = await checkDrift(client, clinic);
 * for (const item of report.items) console.log(`${item.kind} ${item.object}: ${item.message}`);
 */
export async function checkDrift(client: ClientBase, app: AppDefinition): Promise<DriftReport> {
  const nested = await inTransaction(client);
  await client.query(nested ? "savepoint gatehouse_check" : "begin");
  try {
    await client.query(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    const compiled = await compileAgainst(client, app);
    const scope = await driftScope(client, compiled.plan);
    await lockManaged(client, scope);
    const logins = await readLogins(client, scope);
    const loginNames = logins.map((l) => l.login);
    const actual = await readSnapshot(client, scope, loginNames, "actual");
    const rules = [
      ...(await membershipDrift(client, scope, logins)),
      ...(await ownerDrift(client, scope)),
      ...(await loginDrift(client, scope, logins)),
    ];
    try {
      await applyStatements(client, [neutralise(scope)]);
      await applySql(client, compiled.sql);
    } catch (error) {
      if (isLockTimeout(error))
        throw new Error("check could not take a lock the definitions need: another transaction holds it; try again");
      throw error;
    }
    const planned = await plannedTwins(client, scope);
    const expected = await readSnapshot(client, scope, loginNames, "expected");
    const items = [...compareSnapshots(withPlannedTwins(expected, planned), actual), ...rules].sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || byText(a.object, b.object) || byText(a.message, b.message),
    );
    const count = (kind: DriftKind) => expected.entities.filter((e) => e.kind === kind).length;
    return Object.freeze({
      items: Object.freeze(items.map((i) => Object.freeze(i))),
      compared: Object.freeze({
        policies: expected.policies.length,
        grants: count("privilege"),
        roles: count("role"),
        memberships: scope.requestRoles.length + logins.length,
        views: count("view"),
        functions: count("function"),
        triggers: count("trigger"),
        tables: count("row-security"),
        maskedColumns: count("masked-column"),
        logins: logins.length,
      }),
    });
  } finally {
    await client.query(nested ? "rollback to savepoint gatehouse_check" : "rollback");
    if (nested) await client.query("release savepoint gatehouse_check");
  }
}

/**
 * Takes, table by table, the lock the generated SQL would take, so a wait that times out names its table. (Views are
 * left to the generated SQL: locking one locks its tables as its owner, which a masking view's owner may not.)
 */
async function lockManaged(client: ClientBase, scope: DriftScope): Promise<void> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p')
      order by 1, 2`,
    [scope.tableSchemas],
  );
  for (const r of rows) {
    try {
      await applyStatements(client, [sql`lock table ${sql.identifier(r.schema, r.name)} in access exclusive mode;`]);
    } catch (error) {
      if (isLockTimeout(error))
        throw new Error(`check could not lock ${r.schema}.${r.name}: another transaction holds it; try again`);
      throw error;
    }
  }
}

/** The expected snapshot with each masked twin's expression and type as the definitions deparse, not as the table has them. */
function withPlannedTwins(snapshot: Snapshot, planned: ReadonlyMap<string, { expression: string; type: string }>): Snapshot {
  return {
    ...snapshot,
    entities: snapshot.entities.map((e) => {
      const twin = e.kind === "masked-column" ? planned.get(e.object) : undefined;
      return twin ? { ...e, fields: { ...e.fields, ...twin } } : e;
    }),
  };
}
