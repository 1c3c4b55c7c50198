import type { ClientBase } from "pg";
import { introspect } from "../catalog/introspect";
import { describeScope } from "../compile/describe";
import { HELPERS, helperIdent, roleName } from "../compile/names";
import { rowMasksOf } from "../compile/row-masks";
import { buildPlan, type Plan } from "../compile/plan";
import { validate } from "../compile/validate";
import { policyArms, type PolicyArm, type PolicyArms } from "../compile/policy-arms";
import { findUser, type IdentityUser } from "../cli/identity-user";
import type { AppDefinition } from "../policy/define";
import { COMMANDS, type Command } from "../policy/roles";
import { didYouMean } from "../policy/suggest";
import { literal, sql, toDdl } from "../sql/ddl";
import { explainAnswer } from "./answer";
import { asTheUser, type Evaluate } from "./as-user";
import { driftOf, expectedPolicies, withoutCompiled, type EvaluatedPolicy } from "./drift";
import {
  livePolicies,
  liveTable,
  mustBeSuperuser,
  roleFacts,
  rowValues,
  writeTriggers,
  type LivePolicy,
  type LiveTable,
} from "./live";

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
  /**
   * A row-dependent mask (`mask(..., { unless })`): the rows where the role reads the column raw, in words, and
   * whether this row is one of them (null when its row mask function could not tell).
   */
  readonly byRow?: { readonly rows: string; readonly raw: boolean | null };
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
  /** Triggers that also run on this write (insert, update, delete) and may refuse or change it; row security does not show them. */
  readonly triggers: readonly string[];
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

/**
 * Why may (or may not) a user do `command` to one row? For each app role the user holds: the identity the database
 * sees, the privilege, each live permissive and restrictive policy that applies — evaluated in the database as that
 * user (through the authenticator, `set local role`, the claims), on the row's values read by the owner — with the
 * arms the definitions give it, the column privileges (masked twins included), and one plain sentence. Read only:
 * everything runs in transactions that roll back, so `client` (the owner's, a superuser's unless `options.asUser`
 * is given) must not be inside a transaction of its own.
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
  checkCommand(request);
  const user = await findUser(client, app, { username: request.user });
  const roles = rolesToExplain(app, user, request.role);
  const table = await liveTable(client, app, request.table);
  checkColumn(app, request, table);
  const row = await rowValues(client, app, table, request.row);
  if (!options.asUser) await mustBeSuperuser(client);
  return explainRow(client, app, { request, user, roles, table, row, notes: [] }, options);
}

/** What {@link explainRow} is given: the user, the roles to explain, the table and the row's values, already found. */
export interface RowToExplain {
  readonly request: ExplainRequest;
  readonly user: IdentityUser;
  readonly roles: readonly string[];
  readonly table: LiveTable;
  /** The row's values as json (the columns a condition may read). */
  readonly row: string;
  /** Said before anything explain finds (e.g. which columns were not read). */
  readonly notes: readonly string[];
}

/**
 * The explanation of a row already found (see {@link explainAccess}, which finds it as the owner, and
 * `explainOwnRow`, which finds it as the signed-in user): catalog reads on `client`, evaluations as the user.
 *
 * @example
 * const why = await explainRow(authenticator, clinic, { request, user, roles: ["doctor"], table, row, notes: [] }, { asUser: authenticator });
 */
export async function explainRow(
  client: ClientBase,
  app: AppDefinition,
  found: RowToExplain,
  options: ExplainOptions,
): Promise<Explanation> {
  const { request, user, roles, table, row } = found;
  const command = checkCommand(request);
  checkColumn(app, request, table);
  const notes = [...found.notes];
  const plan = await definitionsPlan(client, app).catch((error: Error) => {
    notes.push(
      `the definitions do not compile against this database, so policies are not split into arms: ${error.message.split("\n")[0]}`,
    );
    return undefined;
  });
  const triggers = await writeTriggers(client, table, command);
  const explained: RoleExplanation[] = [];
  for (const role of roles)
    explained.push(await explainRole({ client, app, request, command, user, table, row, plan, triggers, options }, role));
  return {
    user: { username: user.username, id: user.id, status: user.status, active: user.status === app.identity.users.activeStatus },
    table: request.table,
    key: table.key,
    row: request.row,
    command,
    ...(request.column !== undefined ? { column: request.column } : {}),
    roles: explained,
    triggers,
    notes,
    answer: explained.map((r) => r.answer).join("\n"),
  };
}

/**
 * The request's command (`select` when left out); a clear error for one that is not a command.
 *
 * @example
 * checkCommand({}); // "select"
 */
export function checkCommand(request: Pick<ExplainRequest, "command">): Command {
  const command = request.command ?? "select";
  if (!COMMANDS.includes(command)) throw new Error(`no command "${command}"; the commands are ${COMMANDS.join(", ")}`);
  return command;
}

/**
 * A clear error (with did-you-mean) when the request names a column the table does not have.
 *
 * @example
 * checkColumn(clinic, { table: "patients", column: "nmae" }, table); // throws: no column "nmae" … did you mean "name"?
 */
export function checkColumn(app: AppDefinition, request: Pick<ExplainRequest, "column" | "table">, table: LiveTable): void {
  if (request.column !== undefined && !table.columns.includes(request.column))
    throw new Error(
      `no column "${request.column}" in ${app.schema}.${request.table}${didYouMean(request.column, table.columns)}; its columns are ${table.columns.join(", ")}`,
    );
}

/** The plan of the definitions against the live schema: validated, not linted (a lint finding does not hide the arms). */
async function definitionsPlan(client: ClientBase, app: AppDefinition): Promise<Plan> {
  const catalog = await introspect(client, app.schema, [app.toolkitSchema]);
  validate(app, catalog);
  return buildPlan(app, catalog);
}

/** What one explanation has found before it turns to the roles. */
interface Inquiry {
  readonly client: ClientBase;
  readonly app: AppDefinition;
  readonly request: ExplainRequest;
  readonly command: Command;
  readonly user: IdentityUser;
  readonly table: LiveTable;
  /** The row's values as json. */
  readonly row: string;
  readonly plan: Plan | undefined;
  readonly triggers: readonly string[];
  readonly options: ExplainOptions;
}

async function explainRole(inquiry: Inquiry, role: string): Promise<RoleExplanation> {
  const { client, app, request, command, user, table, plan, triggers, options } = inquiry;
  const definitions = (stage: Command): PolicyArms => (plan ? policyArms(plan, role, table.name, stage) : { restrictives: [] });
  const facts = await roleFacts(client, app, table, role, command, request.column);
  const live = await livePolicies(client, table.oid, roleName(app, role));
  const acting = { app, role, user, channel: request.channel, impersonate: !options.asUser, table: table.name, row: inquiry.row };
  const rowMasks = rowMasksOf(app).filter((m) => m.role === role && m.table === table.name);
  const evaluated = await asTheUser(options.asUser ?? client, acting, async (evaluate) => {
    const identity = await evaluate(toDdl(sql`${helperIdent(app, HELPERS.userId)}(current_user)`));
    const stages: (StageVerdict & { permissive: readonly EvaluatedPolicy[]; restrictive: readonly EvaluatedPolicy[] })[] = [];
    for (const stage of STAGES[command]) {
      const verdicts: EvaluatedPolicy[] = [];
      for (const policy of live.filter((p) => p.command === stage.policies || p.command === "all")) {
        const verdict = await evaluatePolicy(evaluate, policy, stage.clause, definitions(stage.policies));
        if (verdict) verdicts.push(verdict);
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
    const columns: ColumnVerdict[] = [];
    for (const c of facts.columns) {
      const m = rowMasks.find((x) => x.column === c.column);
      if (!m || c.select !== "masked") {
        columns.push(c);
        continue;
      }
      // the role's own row mask function, called as the user on this row's key: raw here when it gives the raw value
      const value = sql`(${helperIdent(app, m.fn)}(${sql.identifier(table.name, table.key)}) ->> ${literal(m.column)})`;
      const raw = await evaluate(
        toDdl(
          sql`${value} is not distinct from ${sql.identifier(table.name, m.column)}::text and ${value} is distinct from ${sql.identifier(table.name, m.twin)}::text`,
        ),
      );
      columns.push({ ...c, byRow: { rows: describeScope(m.scope), raw: raw.error ? null : raw.value === "true" } });
    }
    return { identity: identity.value, stages, columns };
  });
  const databaseRole = roleName(app, role);
  const rowSecurity = facts.bypass ? "bypassed" : !table.rls || (table.owner === databaseRole && !table.force) ? "off" : "on";
  const explanation: Omit<RoleExplanation, "answer"> = {
    role,
    databaseRole,
    identity: evaluated.identity,
    privilege: facts.privilege,
    rowSecurity,
    stages: evaluated.stages.map((stage) => ({
      ...stage,
      permissive: stage.permissive.map(withoutCompiled),
      restrictive: stage.restrictive.map(withoutCompiled),
    })),
    columns: evaluated.columns,
    allowed: facts.privilege && (rowSecurity !== "on" || evaluated.stages.every((s) => s.passes)),
    drift: driftOf(live, plan && expectedPolicies(plan, role, table.name), evaluated),
  };
  const asked = {
    user,
    table: table.name,
    row: request.row,
    command,
    triggers,
    ...(request.column !== undefined ? { column: request.column } : {}),
  };
  return { ...explanation, answer: explainAnswer(asked, explanation) };
}

/**
 * One live policy's clause evaluated on the row (none when the policy has no such clause), with the arms the
 * definitions give it, or the restriction it comes from and what the definitions' own clause gives (for drift).
 */
async function evaluatePolicy(
  evaluate: Evaluate,
  policy: LivePolicy,
  clause: StageVerdict["clause"],
  definitions: PolicyArms,
): Promise<EvaluatedPolicy | undefined> {
  const expression = clause === "using" ? policy.using : (policy.check ?? policy.using);
  if (expression === null) return undefined;
  const verdict = await evaluate(`(${expression})::boolean`);
  const fromDefinitions = definitions.permissive?.name === policy.name ? definitions.permissive : undefined;
  const arms =
    policy.permissive && fromDefinitions
      ? clause === "using"
        ? fromDefinitions.using
        : (fromDefinitions.check ?? fromDefinitions.using)
      : undefined;
  const restriction = policy.permissive ? undefined : definitions.restrictives.find((r) => r.name === policy.name);
  const compiledClause = restriction && (clause === "using" ? restriction.using : (restriction.check ?? restriction.using));
  return {
    name: policy.name,
    permissive: policy.permissive,
    command: policy.command,
    expression,
    passes: verdict.value === "true",
    ...(verdict.error ? { error: verdict.error } : {}),
    ...(arms ? { arms: await evaluateArms(arms, evaluate) } : {}),
    ...(restriction
      ? {
          restriction: { name: restriction.restriction, words: restriction.words },
          compiled: (await evaluate(`(${compiledClause ?? "null"})::boolean`)).value === "true",
        }
      : {}),
  };
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
