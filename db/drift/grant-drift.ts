/** The part of drift a connection without the owner's rights can check: catalog reads only. */
import type { ClientBase } from "pg";
import { compileAgainst } from "../apply/apply";
import { roleName } from "../compile/names";
import type { CompileResult } from "../compile";
import type { Plan } from "../compile/plan";
import type { Statement } from "../compile/statement";
import type { AppDefinition } from "../policy/define";
import type { DriftItem } from "./check";

/** The table privileges the definitions grant column by column, and delete, which is granted on the whole table. */
const COLUMN_PRIVILEGES = ["select", "insert", "update"] as const;

/**
 * The drift that reading the catalog can show, for a connection that may not apply the generated SQL (the API
 * server's authenticator, or an app role acting through it): for each table of the app schema, row security enabled
 * and forced; the policies by name (one the definitions make and the database lacks, or one the database has and the
 * definitions do not make); and each app role's table and column privileges against what its definitions grant. A
 * policy whose expression was changed in place, a changed function or view, role attributes, memberships and
 * role-bound logins are left to {@link checkDrift}, which compares everything but needs the tables' owner (it applies
 * the generated SQL in a transaction that rolls back). Items are in `checkDrift`'s form. `compiled`: the compile of
 * the definitions against this database, when the caller has it already.
 *
 * @example
 * const items = await checkGrantDrift(authenticator, clinic);
 * // [{ kind: "privilege", object: "select on clinic.patients to clinic_nurse", message: "granted on the whole table, not in the definitions", … }]
 */
export async function checkGrantDrift(
  client: ClientBase,
  app: AppDefinition,
  compiled?: Pick<CompileResult, "plan" | "statements">,
): Promise<DriftItem[]> {
  const { plan, statements } = compiled ?? (await compileAgainst(client, app));
  const tables = await liveTables(client, app, plan);
  return [...rowSecurityDrift(app, plan, tables), ...policyDrift(app, statements, tables), ...privilegeDrift(app, plan, tables)];
}

/** What the catalog holds for a table of the plan. */
interface LiveFacts {
  readonly rls: boolean;
  readonly force: boolean;
  readonly policies: readonly string[];
  /** `<privilege> <role>` → the columns granted one by one, and whether it is granted on the whole table. */
  readonly grants: ReadonlyMap<string, { table: boolean; columns: string[] }>;
}

async function liveTables(client: ClientBase, app: AppDefinition, plan: Plan): Promise<Map<string, LiveFacts>> {
  const roles = plan.roles.map((r) => roleName(app, r.name));
  const { rows } = await client.query<{
    name: string;
    rls: boolean;
    force: boolean;
    policies: string[];
    grants: { privilege: string; role: string; column: string | null }[];
  }>(
    `select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as force,
            array(select p.polname::text from pg_catalog.pg_policy p where p.polrelid = c.oid order by 1) as policies,
            coalesce((select pg_catalog.json_agg(g) from (
               select pg_catalog.lower(a.privilege_type) as privilege, r.rolname::text as role, null::text as column
                 from pg_catalog.aclexplode(c.relacl) a join pg_catalog.pg_roles r on r.oid = a.grantee
                where r.rolname = any ($2::text[])
               union all
               select pg_catalog.lower(a.privilege_type), r.rolname::text, att.attname::text
                 from pg_catalog.pg_attribute att
                 cross join lateral pg_catalog.aclexplode(att.attacl) a
                 join pg_catalog.pg_roles r on r.oid = a.grantee
                where att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped and r.rolname = any ($2::text[])) g), '[]') as grants
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and c.relname = any ($3::text[])`,
    [app.schema, roles, plan.tables.map((t) => t.name)],
  );
  return new Map(
    rows.map((r) => {
      const grants = new Map<string, { table: boolean; columns: string[] }>();
      for (const g of r.grants) {
        const key = `${g.privilege} ${g.role}`;
        const entry = grants.get(key) ?? { table: false, columns: [] };
        if (g.column === null) entry.table = true;
        else entry.columns.push(g.column);
        grants.set(key, entry);
      }
      return [r.name, { rls: r.rls, force: r.force, policies: r.policies, grants }];
    }),
  );
}

function rowSecurityDrift(app: AppDefinition, plan: Plan, tables: ReadonlyMap<string, LiveFacts>): DriftItem[] {
  return plan.tables.flatMap((t): DriftItem[] => {
    const live = tables.get(t.name);
    if (!live || (live.rls && live.force)) return [];
    const actual = `row security ${live.rls ? "enabled" : "disabled"}, ${live.force ? "forced" : "not forced"}`;
    return [
      {
        kind: "row-security",
        object: `${app.schema}.${t.name}`,
        message: "row security changed: it must be enabled and forced",
        expected: "row security enabled, forced",
        actual,
      },
    ];
  });
}

function policyDrift(app: AppDefinition, statements: readonly Statement[], tables: ReadonlyMap<string, LiveFacts>): DriftItem[] {
  const items: DriftItem[] = [];
  for (const [table, live] of tables) {
    const expected = new Set(
      statements.filter((s) => s.kind === "policy" && s.target === table).flatMap((s) => s.policies ?? []),
    );
    const object = (name: string) => `${app.schema}.${table} policy ${name}`;
    for (const name of expected)
      if (!live.policies.includes(name))
        items.push({ kind: "policy", object: object(name), message: "policy missing from the database" });
    for (const name of live.policies)
      if (!expected.has(name)) items.push({ kind: "policy", object: object(name), message: "policy not in the definitions" });
  }
  return items;
}

function privilegeDrift(app: AppDefinition, plan: Plan, tables: ReadonlyMap<string, LiveFacts>): DriftItem[] {
  const items: DriftItem[] = [];
  for (const table of plan.tables) {
    const live = tables.get(table.name);
    if (!live) continue;
    for (const role of plan.roles) {
      const grant = table.grants.find((g) => g.role === role.name);
      const databaseRole = roleName(app, role.name);
      const object = (privilege: string) => `${privilege} on ${app.schema}.${table.name} to ${databaseRole}`;
      for (const privilege of [...COLUMN_PRIVILEGES, "delete" as const]) {
        const have = live.grants.get(`${privilege} ${databaseRole}`) ?? { table: false, columns: [] };
        if (privilege === "delete") {
          const want = grant?.delete ?? false;
          if (want !== have.table)
            items.push({
              kind: "privilege",
              object: object(privilege),
              message: want ? "grant missing from the database" : "grant not in the definitions",
              ...(want ? { expected: "granted on the whole table" } : { actual: "granted on the whole table" }),
            });
          continue;
        }
        const want = [...(grant?.[privilege] ?? [])].sort();
        const columns = [...have.columns].sort();
        if (have.table)
          items.push({
            kind: "privilege",
            object: object(privilege),
            message: "granted on the whole table, not in the definitions (they grant column by column)",
            ...(want.length ? { expected: `columns ${want.join(", ")}` } : {}),
            actual: "granted on the whole table",
          });
        else if (want.join() !== columns.join())
          items.push({
            kind: "privilege",
            object: object(privilege),
            message: `grant changed: ${describeColumns(want, columns)}`,
            ...(want.length ? { expected: `columns ${want.join(", ")}` } : {}),
            ...(columns.length ? { actual: `columns ${columns.join(", ")}` } : {}),
          });
      }
    }
  }
  return items;
}

function describeColumns(want: readonly string[], have: readonly string[]): string {
  const extra = have.filter((c) => !want.includes(c));
  const missing = want.filter((c) => !have.includes(c));
  return [
    ...(extra.length ? [`${extra.join(", ")} not in the definitions`] : []),
    ...(missing.length ? [`${missing.join(", ")} missing from the database`] : []),
  ].join("; ");
}
