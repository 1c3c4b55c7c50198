import type { ClientBase } from "pg";
import { compileAgainst } from "../apply/apply";
import { HELPERS, helperIdent, policyName, roleName } from "../compile/names";
import type { Plan } from "../compile/plan";
import { policyArms, type PolicyArm, type PolicyArms } from "../compile/policy-arms";
import { findUser, type IdentityUser } from "../cli/identity-user";
import type { AppDefinition } from "../policy/define";
import { COMMANDS, type Command } from "../policy/roles";
import { didYouMean } from "../policy/suggest";
import { sql, toDdl, trusted } from "../sql/ddl";
import { explainAnswer } from "./answer";

/** What `gatehouse explain` is asked: may this user do this to this row? */
export interface ExplainRequest {
  /** Username in the identity users table. */
  readonly user: string;
  readonly table: string;
  /** The row's primary key, as text (parsed by PostgreSQL for the key's type). */
  readonly row: string;
  /** Default `select`. */
  readonly command?: Command;
  /** One column to report on; all columns, briefly, when left out. */
  readonly column?: string;
  /** Unprefixed app role; every app role the user holds when left out. */
  readonly role?: string;
  /** The request channel claim, as the API would set it (e.g. `mobile`). */
  readonly channel?: string;
}

/** A condition evaluated in the database as the user: true, false (null counts as false) or an error. */
export interface Verdict {
  readonly passes: boolean;
  /** The error PostgreSQL raised evaluating it, which refuses the statement. */
  readonly error?: string;
}

/** An arm of a permissive policy, evaluated: see `policyArms`. */
export interface ArmVerdict extends Verdict {
  readonly label: string;
  readonly words: string;
  /** The conditions of an `and(…)` arm, each evaluated. */
  readonly parts: readonly ArmVerdict[];
}

/** One live policy, evaluated on the row as the user. */
export interface PolicyVerdict extends Verdict {
  readonly name: string;
  readonly permissive: boolean;
  /** `select`, `insert`, `update`, `delete` or `all`. */
  readonly command: Command | "all";
  /** The expression evaluated, as PostgreSQL holds it. */
  readonly expression: string;
  /** The arms the definitions give it (permissive policies the definitions make), each evaluated. */
  readonly arms?: readonly ArmVerdict[];
  /** The restriction it comes from, in words (restrictive policies the definitions make). */
  readonly restriction?: { readonly name: string; readonly words: string };
}

/**
 * One step PostgreSQL takes for the command: which policies' `using` or `with check` the row must pass. An update
 * by key needs the select policies (to find the row), then update's `using` on the row and `with check` on the
 * new row; explain takes the new row to be the row as it is.
 */
export interface StageVerdict {
  readonly policies: Command;
  readonly clause: "using" | "with check";
  /** Any one must pass; none applying means no row passes. */
  readonly permissive: readonly PolicyVerdict[];
  /** Every one must pass. */
  readonly restrictive: readonly PolicyVerdict[];
  readonly passes: boolean;
}

/** What a role may do with one column: read raw, read only its masked twin, or not at all; insert; update. */
export interface ColumnVerdict {
  readonly column: string;
  readonly select: "granted" | "masked" | "none";
  /** The masked twin the role reads instead, when the column is masked. */
  readonly twin?: string;
  readonly insert: boolean;
  readonly update: boolean;
}

/** The explanation for one of the user's roles. */
export interface RoleExplanation {
  readonly role: string;
  readonly databaseRole: string;
  /** The user id the identity helper returns acting in this role (null: no active user holding it). */
  readonly identity: string | null;
  /** The table privilege the command needs (for select, insert, update: on at least one column). */
  readonly privilege: boolean;
  /** Row level security on the table for this role: off (disabled, or the role owns the table unforced) or bypassed. */
  readonly rowSecurity: "on" | "off" | "bypassed";
  readonly stages: readonly StageVerdict[];
  readonly columns: readonly ColumnVerdict[];
  readonly allowed: boolean;
  /** Where the live policies differ from the definitions, in words (`gatehouse check` has the whole diff). */
  readonly drift: readonly string[];
  readonly answer: string;
}

/** `explainAccess`'s answer: per role, what passed and what stopped the row, and one plain sentence each. */
export interface Explanation {
  readonly user: { readonly username: string; readonly id: string; readonly status: string; readonly active: boolean };
  readonly table: string;
  readonly key: string;
  readonly row: string;
  readonly command: Command;
  readonly column?: string;
  readonly roles: readonly RoleExplanation[];
  /** Why the policies could not be named arm by arm (the definitions do not compile against this database). */
  readonly notes: readonly string[];
  readonly answer: string;
}

/** How to evaluate as the user. */
export interface ExplainOptions {
  /**
   * A connection logged in as the app's authenticator, as the API server's. Left out, the owner's connection acts
   * as the authenticator with `set local session authorization`, which needs a superuser.
   */
  readonly asUser?: ClientBase;
}

const POLCMD: Record<string, Command | "all"> = { r: "select", a: "insert", w: "update", d: "delete", "*": "all" };
const PRIVILEGE: Record<Command, string> = { select: "SELECT", insert: "INSERT", update: "UPDATE", delete: "DELETE" };

/** The steps PostgreSQL checks a command by key against (see the row security docs' "policies applied by command type"). */
const STAGES: Record<Command, readonly { policies: Command; clause: "using" | "with check" }[]> = {
  select: [{ policies: "select", clause: "using" }],
  insert: [{ policies: "insert", clause: "with check" }],
  update: [
    { policies: "select", clause: "using" },
    { policies: "update", clause: "using" },
    { policies: "update", clause: "with check" },
  ],
  delete: [
    { policies: "select", clause: "using" },
    { policies: "delete", clause: "using" },
  ],
};

interface LivePolicy {
  readonly name: string;
  readonly permissive: boolean;
  readonly command: Command | "all";
  readonly using: string | null;
  readonly check: string | null;
}

interface LiveTable {
  readonly name: string;
  readonly oid: number;
  readonly rls: boolean;
  readonly force: boolean;
  readonly owner: string;
  readonly columns: readonly string[];
  readonly key: string;
  readonly keyType: string;
}

/**
 * Why may (or may not) a user do `command` to one row? For each app role the user holds: the identity the database
 * sees, the privilege, each live permissive and restrictive policy that applies — evaluated in the database as that
 * user (through the authenticator, `set local role`, the claims), on the row's values read by the owner — with the
 * arms the definitions give it, the column privileges (masked twins included), and one plain sentence. Read only:
 * everything runs in transactions that roll back.
 *
 * @example
 * const why = await explainAccess(owner, clinic, { user: "dr_ada", table: "patients", row: "42" });
 * console.log(why.answer); // dr_ada can see patients 42 as doctor because it passes doctor__select through own(doctor_id) …
 */
export async function explainAccess(
  client: ClientBase,
  app: AppDefinition,
  request: ExplainRequest,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const command = request.command ?? "select";
  if (!COMMANDS.includes(command)) throw new Error(`no command "${command}"; the commands are ${COMMANDS.join(", ")}`);
  const user = await findUser(client, app, { username: request.user });
  const roles = rolesToExplain(app, user, request.role);
  const table = await liveTable(client, app, request.table);
  if (request.column !== undefined && !table.columns.includes(request.column))
    throw new Error(
      `no column "${request.column}" in ${app.schema}.${request.table}${didYouMean(request.column, table.columns)}; its columns are ${table.columns.join(", ")}`,
    );
  const values = await rowValues(client, app, table, request.row);
  const notes: string[] = [];
  const plan = await compileAgainst(client, app).then(
    (result) => result.plan,
    (error: Error) => {
      notes.push(
        `the definitions do not compile against this database, so policies are not split into arms: ${error.message.split("\n")[0]}`,
      );
      return undefined;
    },
  );
  const asUser = options.asUser ?? client;
  if (!options.asUser) await mustBeSuperuser(client);
  const explained: RoleExplanation[] = [];
  for (const role of roles) {
    const armsBy = plan
      ? (stage: Command) => policyArms(plan, role, request.table, stage)
      : (): PolicyArms => ({ restrictives: [] });
    const facts = await roleFacts(client, app, table, role, command, request.column);
    const live = await livePolicies(client, table.oid, roleName(app, role));
    const acting: Acting = {
      app,
      role,
      user,
      channel: request.channel,
      impersonate: !options.asUser,
      table: table.name,
      row: values,
    };
    const evaluated = await asTheUser(asUser, acting, async (evaluate) => {
      const identity = await evaluate(toDdl(sql`${helperIdent(app, HELPERS.userId)}(current_user)`));
      const stages: StageVerdict[] = [];
      for (const stage of STAGES[command]) {
        const fromDefinitions = armsBy(stage.policies);
        const verdicts: EvaluatedPolicy[] = [];
        for (const policy of live.filter((p) => p.command === stage.policies || p.command === "all")) {
          const expression = stage.clause === "using" ? policy.using : (policy.check ?? policy.using);
          if (expression === null) continue;
          const verdict = await evaluate(`(${expression})::boolean`);
          const permissiveArms =
            policy.permissive && fromDefinitions.permissive?.name === policy.name
              ? stage.clause === "using"
                ? fromDefinitions.permissive.using
                : (fromDefinitions.permissive.check ?? fromDefinitions.permissive.using)
              : undefined;
          const restriction = policy.permissive ? undefined : fromDefinitions.restrictives.find((r) => r.name === policy.name);
          verdicts.push({
            name: policy.name,
            permissive: policy.permissive,
            command: policy.command,
            expression,
            passes: verdict.value === "true",
            ...(verdict.error ? { error: verdict.error } : {}),
            ...(permissiveArms ? { arms: await evaluateArms(permissiveArms, evaluate) } : {}),
            ...(restriction
              ? {
                  restriction: { name: restriction.restriction, words: restriction.words },
                  compiled:
                    (
                      await evaluate(
                        `(${(stage.clause === "using" ? restriction.using : (restriction.check ?? restriction.using)) ?? "null"})::boolean`,
                      )
                    ).value === "true",
                }
              : {}),
          });
        }
        const permissive = verdicts.filter((v) => v.permissive);
        const restrictive = verdicts.filter((v) => !v.permissive);
        stages.push({
          ...stage,
          permissive,
          restrictive,
          passes: permissive.some((v) => v.passes) && restrictive.every((v) => v.passes),
        });
      }
      return { identity: identity.value, stages };
    });
    const rowSecurity = facts.bypass
      ? "bypassed"
      : !table.rls || (table.owner === roleName(app, role) && !table.force)
        ? "off"
        : "on";
    const allowed = facts.privilege && (rowSecurity !== "on" || evaluated.stages.every((s) => s.passes));
    const drift = driftOf(live, plan && expectedPolicies(plan, role, request.table), evaluated);
    const partial = {
      role,
      databaseRole: roleName(app, role),
      identity: evaluated.identity,
      privilege: facts.privilege,
      rowSecurity,
      stages: evaluated.stages.map(({ policies, clause, permissive, restrictive, passes }) => ({
        policies,
        clause,
        permissive: permissive.map(withoutCompiled),
        restrictive: restrictive.map(withoutCompiled),
        passes,
      })),
      columns: facts.columns,
      allowed,
      drift,
    } as const;
    explained.push({
      ...partial,
      answer: explainAnswer({ user, table: request.table, row: request.row, command, column: request.column }, partial),
    });
  }
  return {
    user: { username: user.username, id: user.id, status: user.status, active: user.status === app.identity.users.activeStatus },
    table: request.table,
    key: table.key,
    row: request.row,
    command,
    ...(request.column !== undefined ? { column: request.column } : {}),
    roles: explained,
    notes,
    answer: explained.map((r) => r.answer).join("\n"),
  };
}

/** A policy verdict as the evaluation keeps it: with what the definitions' own predicate gave, for drift. */
type EvaluatedPolicy = PolicyVerdict & { readonly compiled?: boolean };

function withoutCompiled(verdict: EvaluatedPolicy): PolicyVerdict {
  const { compiled: _, ...rest } = verdict;
  return rest;
}

function rolesToExplain(app: AppDefinition, user: IdentityUser, wanted: string | undefined): string[] {
  const appRoles = app.roles.map((r) => r.name);
  const held = user.roles.filter((r) => appRoles.includes(r));
  if (wanted !== undefined) {
    if (!appRoles.includes(wanted)) throw new Error(`no app role "${wanted}"${didYouMean(wanted, appRoles)}`);
    if (!held.includes(wanted))
      throw new Error(`${user.username} does not hold ${wanted}; they hold ${held.join(", ") || "no app role"}`);
    return [wanted];
  }
  if (held.length === 0)
    throw new Error(
      `${user.username} holds no app role, so no policy applies to them: give them one in ${app.identity.userRoles.table}`,
    );
  return held;
}

async function liveTable(client: ClientBase, app: AppDefinition, name: string): Promise<LiveTable> {
  const { rows } = await client.query<{ oid: number; rls: boolean; force: boolean; owner: string }>(
    `select c.oid::int as oid, c.relrowsecurity as rls, c.relforcerowsecurity as force, pg_catalog.pg_get_userbyid(c.relowner) as owner
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
    [app.schema, name],
  );
  const found = rows[0];
  if (!found) {
    const known = await client.query<{ name: string }>(
      `select c.relname as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind in ('r', 'p') order by 1`,
      [app.schema],
    );
    const names = known.rows.map((r) => r.name);
    throw new Error(
      `no table "${name}" in schema ${app.schema}${didYouMean(name, names)}; its tables are ${names.join(", ") || "none"}`,
    );
  }
  const columns = await client.query<{ name: string }>(
    "select attname as name from pg_catalog.pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum",
    [found.oid],
  );
  const key = await client.query<{ name: string; type: string }>(
    `select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
       from pg_catalog.pg_index i
       join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
      where i.indrelid = $1 and i.indisprimary
      order by pg_catalog.array_position(i.indkey::int2[], a.attnum)`,
    [found.oid],
  );
  if (key.rows.length === 0)
    throw new Error(`${app.schema}.${name} has no primary key, and explain names a row by its primary key: give the table one`);
  if (key.rows.length > 1)
    throw new Error(
      `${app.schema}.${name} has a composite primary key (${key.rows.map((k) => k.name).join(", ")}); explain names a row by a single-column key`,
    );
  return { ...found, name, columns: columns.rows.map((c) => c.name), key: key.rows[0]!.name, keyType: key.rows[0]!.type };
}

/** The row's values as json, read by the owner (past row security); a clear error when the key does not parse or no row has it. */
async function rowValues(client: ClientBase, app: AppDefinition, table: LiveTable, row: string): Promise<string> {
  const { name } = table;
  const { rows } = await client
    .query<{ row: string }>(
      toDdl(
        sql`select pg_catalog.to_jsonb(t)::text as row from ${sql.identifier(app.schema, name)} t where t.${sql.identifier(table.key)} = $1::${trusted(table.keyType)}`,
      ),
      [row],
    )
    .catch((error: Error & { code?: string }) => {
      if (error.code?.startsWith("22"))
        throw new Error(`row "${row}" is not a ${table.keyType}, the type of ${name}'s key ${table.key}: ${error.message}`);
      throw error;
    });
  if (!rows[0]) throw new Error(`no row of ${app.schema}.${name} has ${table.key} ${row}`);
  return rows[0].row;
}

async function mustBeSuperuser(client: ClientBase): Promise<void> {
  const { rows } = await client.query<{ superuser: boolean }>(
    "select rolsuper as superuser from pg_catalog.pg_roles where rolname = current_user",
  );
  if (!rows[0]?.superuser)
    throw new Error(
      "explain acts as the user through set session authorization, which needs a superuser connection: use the migration owner's URL, or give a connection that logs in as the authenticator",
    );
}

async function roleFacts(
  client: ClientBase,
  app: AppDefinition,
  table: LiveTable,
  role: string,
  command: Command,
  column: string | undefined,
): Promise<{ privilege: boolean; bypass: boolean; columns: ColumnVerdict[] }> {
  const databaseRole = roleName(app, role);
  const { rows } = await client.query<{ privilege: boolean; bypass: boolean }>(
    `select case when $3 = 'DELETE' then pg_catalog.has_table_privilege($1, $2::oid, $3)
                 else pg_catalog.has_any_column_privilege($1, $2::oid, $3) end as privilege,
            coalesce((select rolbypassrls or rolsuper from pg_catalog.pg_roles where rolname = $1), false) as bypass`,
    [databaseRole, table.oid, PRIVILEGE[command]],
  );
  const twins = new Map(app.masks.filter((m) => m.table === table.name).map((m) => [m.column, m.twin]));
  const twinNames = new Set(twins.values());
  const wanted = column !== undefined ? [column] : table.columns.filter((c) => !twinNames.has(c));
  const columns: ColumnVerdict[] = [];
  for (const name of wanted) {
    const twin = twins.get(name);
    const { rows: privileges } = await client.query<{ select: boolean; twin: boolean; insert: boolean; update: boolean }>(
      `select pg_catalog.has_column_privilege($1, $2::oid, $3, 'SELECT') as select,
              $4::text is not null and pg_catalog.has_column_privilege($1, $2::oid, $4, 'SELECT') as twin,
              pg_catalog.has_column_privilege($1, $2::oid, $3, 'INSERT') as insert,
              pg_catalog.has_column_privilege($1, $2::oid, $3, 'UPDATE') as update`,
      [databaseRole, table.oid, name, twin !== undefined && table.columns.includes(twin) ? twin : null],
    );
    const p = privileges[0]!;
    columns.push({
      column: name,
      select: p.select ? "granted" : p.twin ? "masked" : "none",
      ...(p.twin && !p.select ? { twin } : {}),
      insert: p.insert,
      update: p.update,
    });
  }
  return { privilege: rows[0]!.privilege, bypass: rows[0]!.bypass, columns };
}

async function livePolicies(client: ClientBase, oid: number, databaseRole: string): Promise<LivePolicy[]> {
  const { rows } = await client.query<{
    name: string;
    permissive: boolean;
    cmd: string;
    using: string | null;
    check: string | null;
  }>(
    `select p.polname as name, p.polpermissive as permissive, p.polcmd as cmd,
            pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_catalog.pg_policy p
      where p.polrelid = $1
        and (0::oid = any (p.polroles) or exists (select from pg_catalog.unnest(p.polroles) r where pg_catalog.pg_has_role($2, r, 'USAGE')))
      order by p.polpermissive desc, p.polname`,
    [oid, databaseRole],
  );
  return rows.map((r) => ({ name: r.name, permissive: r.permissive, command: POLCMD[r.cmd]!, using: r.using, check: r.check }));
}

type Evaluate = (expression: string) => Promise<{ value: string | null; error?: string }>;

/** Who to act as, and the row to evaluate on. */
interface Acting {
  readonly app: AppDefinition;
  readonly role: string;
  readonly user: IdentityUser;
  readonly channel: string | undefined;
  /** Act as the authenticator with `set local session authorization` (the connection is a superuser's). */
  readonly impersonate: boolean;
  readonly table: string;
  /** The row's values as json. */
  readonly row: string;
}

/**
 * Runs `fn` acting as the user in `role`, as the API server does for a request: the authenticator (its own login,
 * or the owner's `set local session authorization`), `set local role`, the claims; read only, rolled back.
 * `evaluate` reads one boolean expression over the row — the table's name binds to the row's values, so a policy's
 * column references read them, while its sub-selects and helpers run as the user — each in its own savepoint, so
 * an error is reported, not fatal.
 */
async function asTheUser<T>(client: ClientBase, acting: Acting, fn: (evaluate: Evaluate) => Promise<T>): Promise<T> {
  const { app, role, user, channel, table, row } = acting;
  await client.query("begin read only");
  try {
    if (acting.impersonate)
      await client.query(toDdl(sql`set local session authorization ${sql.identifier(roleName(app, app.authenticator))}`));
    await client.query(toDdl(sql`set local role ${sql.identifier(roleName(app, role))}`));
    await client.query("select set_config('jwt.claims.user_id', $1, true), set_config('jwt.claims.channel', $2, true)", [
      user.id,
      channel ?? null,
    ]);
    const from = sql`pg_catalog.jsonb_populate_record(null::${sql.identifier(app.schema, table)}, $1::jsonb) as ${sql.identifier(table)}`;
    return await fn(async (expression) => {
      await client.query("savepoint gatehouse_explain");
      try {
        const { rows } = await client.query<{ value: string | null }>(
          toDdl(sql`select (${trusted(expression)})::text as value from ${from}`),
          [row],
        );
        await client.query("release savepoint gatehouse_explain");
        return { value: rows[0]?.value ?? null };
      } catch (error) {
        await client.query("rollback to savepoint gatehouse_explain");
        return { value: null, error: (error as Error).message };
      }
    });
  } finally {
    await client.query("rollback").catch(() => undefined);
  }
}

async function evaluateArms(arms: readonly PolicyArm[], evaluate: Evaluate): Promise<ArmVerdict[]> {
  const out: ArmVerdict[] = [];
  for (const arm of arms) {
    const verdict = await evaluate(`(${arm.sql})::boolean`);
    out.push({
      label: arm.label,
      words: arm.words,
      passes: verdict.value === "true",
      ...(verdict.error ? { error: verdict.error } : {}),
      parts: await evaluateArms(arm.parts, evaluate),
    });
  }
  return out;
}

/** The policies the definitions give `role` on `table`, by name. */
function expectedPolicies(plan: Plan, role: string, table: string): { permissive: string[]; restrictive: string[] } {
  const tablePlan = plan.tables.find((t) => t.name === table);
  return {
    permissive: (tablePlan?.policies ?? []).filter((p) => p.role === role).map((p) => policyName(role, p.command)),
    restrictive: (tablePlan?.restrictives ?? []).filter((r) => r.role === role).flatMap((r) => r.policies.map((p) => p.name)),
  };
}

function driftOf(
  live: readonly LivePolicy[],
  expected: { permissive: string[]; restrictive: string[] } | undefined,
  evaluated: {
    identity: string | null;
    stages: readonly { permissive: readonly EvaluatedPolicy[]; restrictive: readonly EvaluatedPolicy[] }[];
  },
): string[] {
  if (!expected) return [];
  const out: string[] = [];
  const liveNames = new Map(live.map((p) => [p.name, p]));
  for (const name of [...expected.permissive, ...expected.restrictive])
    if (!liveNames.has(name)) out.push(`policy ${name} is in the definitions but not in the database`);
  for (const p of live) {
    const permissive = expected.permissive.includes(p.name);
    const restrictive = expected.restrictive.includes(p.name);
    if (!permissive && !restrictive) out.push(`policy ${p.name} in the database is not from the definitions`);
    else if (permissive !== p.permissive)
      out.push(
        `policy ${p.name} is ${p.permissive ? "permissive" : "restrictive"} in the database, not as the definitions make it`,
      );
  }
  for (const stage of evaluated.stages) {
    for (const p of stage.permissive)
      if (p.arms && p.passes !== (evaluated.identity !== null && p.arms.some((a) => a.passes)))
        out.push(
          `the live policy ${p.name} differs from the definitions: it ${p.passes ? "passes" : "fails"} this row, their arms ${p.passes ? "fail" : "pass"} it`,
        );
    for (const p of stage.restrictive)
      if (p.compiled !== undefined && p.compiled !== p.passes)
        out.push(
          `the live policy ${p.name} differs from the definitions: it ${p.passes ? "passes" : "fails"} this row, the restriction ${p.passes ? "stops" : "lets"} it`,
        );
  }
  return [...new Set(out)];
}
