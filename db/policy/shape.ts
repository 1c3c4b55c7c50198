/**
 * The shape of every definition, as zod schemas. Definitions run under tsx, which does not
 * type-check, so the factories check their arguments here before freezing them: a misspelled key
 * (`selct`), a wrong access word (`"wirte"`) or a string where a scope belongs is an error that names
 * the definition, the place and the likely fix, not a rule that silently goes missing.
 *
 * The TypeScript types stay the contract for editors and `tsc`; each schema `satisfies` its type, so
 * `tsc` fails if a schema accepts what its type does not. Every factory checks through
 * {@link assertShape}, which also words zod's issues as our problems.
 */
import { isSQL, type SQL } from "pg-sql2";
import { z } from "zod";
import type { approval, ApprovalDefinition } from "./approvals";
import { COLUMN_ACCESS } from "./columns";
import { COMMANDS } from "./commands";
import type { defineApp, IdentityDefinition } from "./define";
import { GRANT_PRIVILEGES, parseDuration, type TemporaryGrantsDefinition } from "./grants";
import type { MaskFunction, MaskDefinition } from "./masks";
import type { RestrictionDefinition, restrict } from "./restrict";
import type { RoleDefinition, role, TableRules } from "./roles";
import type { MemberSet, Scope } from "./scopes";
import type { softDelete, SoftDeleteDefinition } from "./soft-delete";
import { didYouMean } from "./suggest";
import type { operation, OperationDefinition } from "./operations";
import type { endWhen, EndWhenDefinition } from "./end-when";
import type { publicPool, PublicPoolDefinition } from "./public-pool";
import type { reveal, RevealDefinition } from "./reveal";
import type { encrypt, EncryptionDefinition } from "./encryption";
import type { view, ViewDefinition } from "./views";

const DEFINITION_KINDS: Readonly<Record<string, string>> = {
  role: "a role",
  restriction: "a restriction",
  mask: "a mask",
  approval: "an approval",
  view: "a view",
  reveal: "a reveal",
  encrypt: "an encrypted column",
  publicPool: "a public pool",
  endWhen: "an ending",
  operation: "an operation",
  memberSet: "a member set",
  softDelete: "a soft delete",
  app: "an app",
};

/** A value as a problem quotes it: `"own"`, `12`, `a list of 2`, `a role`, `the function all (did you mean all(…)?)`. */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function")
    return value.name ? `the function ${value.name} (did you mean ${value.name}(…)?)` : "a function";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object" && value !== null) {
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind !== "string") return "an object";
    return DEFINITION_KINDS[kind] ?? `an object of kind "${kind}"`;
  }
  return String(value);
}

/** The problem phrase for a value that is missing or of the wrong kind: `must be <noun>, not <value>`. */
const expected =
  (noun: string) =>
  (issue: { readonly input?: unknown }): string =>
    issue.input === undefined ? `is missing: it must be ${noun}` : `must be ${noun}, not ${describe(issue.input)}`;

const TYPE_NOUNS: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "a list",
};

/** Our wording for the problems zod finds; schemas with a noun of their own (a scope, a role) say it themselves. */
const phrase: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return expected(TYPE_NOUNS[issue.expected] ?? `a ${issue.expected}`)(issue);
    case "invalid_value": {
      const close = typeof issue.input === "string" ? didYouMean(issue.input, issue.values.map(String)) : "";
      return `must be one of ${issue.values.join(", ")}, not ${describe(issue.input)}${close}`;
    }
    default:
      return undefined;
  }
};

/** A strict object: an unknown key is a problem that names the closest known key. */
function closed<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.length === 1
          ? `has an unknown key "${issue.keys[0]}"${didYouMean(issue.keys[0]!, known)}`
          : `has unknown keys ${issue.keys.map((key) => `"${key}"${didYouMean(key, known)}`).join(", ")}`
        : undefined,
  });
}

/** A definition made by another factory (which checked its shape), recognized by its `kind`. */
const definitionOf = <T>(kind: string, noun: string) =>
  z.custom<T>((value) => typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === kind, {
    error: expected(noun),
  });

const name = z.string();
const column = z.string();
const roleRef = definitionOf<RoleDefinition>("role", "a role made with role()");
const columnAccess = z.enum(COLUMN_ACCESS);
const command = z.enum(COMMANDS);
const inOrNotIn = z.enum(["in", "not in"]);

const scope: z.ZodType<Scope> = z.lazy(() =>
  z.discriminatedUnion(
    "kind",
    [
      closed({ kind: z.literal("own"), column }),
      closed({ kind: z.literal("unit"), column }),
      closed({ kind: z.literal("unitTree"), column }),
      closed({ kind: z.literal("userInTree"), column }),
      closed({ kind: z.literal("all") }),
      closed({ kind: z.literal("pool"), column }),
      closed({ kind: z.literal("via"), column, parent: name, where: scope.optional() }),
      closed({ kind: z.literal("granted"), column }),
      closed({ kind: z.literal("member"), column, set: memberSet }),
      closed({
        kind: z.literal("attr"),
        column,
        op: inOrNotIn,
        values: z.array(z.union([z.string(), z.number(), z.boolean()], { error: expected("a string, number or boolean") })),
      }),
      closed({ kind: z.literal("isNull"), column, negate: z.boolean() }),
      closed({ kind: z.literal("future"), column }),
      closed({ kind: z.literal("channel"), op: inOrNotIn, values: z.array(z.string()) }),
      closed({
        kind: z.literal("raw"),
        sql: z.custom<SQL>(isSQL, { error: expected("a predicate built with the sql tag") }),
        description: z.string(),
      }),
      closed({ kind: z.literal("or"), scopes: z.array(scope) }),
      closed({ kind: z.literal("and"), scopes: z.array(scope) }),
    ],
    { error: expected('a scope such as own("owner_id") or all()') },
  ),
);

const memberSetFields = {
  name,
  membership: closed({ table: name, user: column, group: column }),
  link: closed({ table: name, group: column, row: column, where: scope.optional() }),
  live: closed({ table: name, key: column, where: scope }).optional(),
};
const memberSet = closed({ kind: z.literal("memberSet"), ...memberSetFields }) satisfies z.ZodType<MemberSet>;

const tableRules = closed({
  select: scope.optional(),
  insert: closed({ check: scope }).optional(),
  update: closed({ using: scope, check: scope.optional() }).optional(),
  delete: scope.optional(),
  columns: z.record(z.string(), columnAccess.optional()).optional(),
}) satisfies z.ZodType<TableRules>;

const exportQuota = closed({
  files: z.number().int().positive().optional(),
  rows: z.number().int().positive().optional(),
}).refine((q) => q.files !== undefined || q.rows !== undefined, {
  error: "an export quota needs files or rows (a day), or leave exportQuota out for no limit",
});

const roleDefinition = closed({
  description: z.string().optional(),
  extends: z.array(roleRef).optional(),
  tables: z.record(z.string(), tableRules).optional(),
  exportQuota: exportQuota.optional(),
  viewAs: z.array(name).optional(),
}) satisfies z.ZodType<Parameters<typeof role>[1]>;

const restrictionDefinition = closed({
  table: name,
  hides: scope,
  unless: scope.optional(),
  exempt: z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") })).optional(),
  commands: z.array(command).optional(),
}) satisfies z.ZodType<Parameters<typeof restrict>[1]>;

const maskFunction = z.discriminatedUnion(
  "kind",
  [
    closed({ kind: z.literal("keep_first"), n: z.number() }),
    closed({ kind: z.literal("keep_last"), n: z.number() }),
    closed({ kind: z.literal("email_domain") }),
    closed({ kind: z.literal("redact") }),
    closed({ kind: z.literal("date_to_month") }),
    closed({ kind: z.literal("number_to_range"), step: z.number() }),
  ],
  { error: expected("a mask function such as keepLast(4) or redact()") },
) satisfies z.ZodType<MaskFunction>;

/** What an operation writes: a literal, null, CLOCK or ACTING_USER. */
const operationValue = z.union(
  [
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    closed({ kind: z.literal("clock") }),
    closed({ kind: z.literal("actingUser") }),
  ],
  { error: expected("a string, number, boolean, null, CLOCK or ACTING_USER") },
);

const operationDefinition = closed({
  table: name,
  set: z.record(z.string(), operationValue),
  where: scope.optional(),
  row: z.boolean(),
  by: z.array(roleRef).optional(),
  description: z.string().optional(),
}) satisfies z.ZodType<Parameters<typeof operation>[1]>;

const endWhenDefinition = closed({
  table: name,
  expires: column,
  link: column,
  when: closed({ table: name, link: column, where: scope }),
  description: z.string().optional(),
}) satisfies z.ZodType<Parameters<typeof endWhen>[1]>;

const publicPoolDefinition = closed({
  name,
  owner: column,
  claim: z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") })),
  dailyLimit: z.number().int().positive(),
}) satisfies z.ZodType<Parameters<typeof publicPool>[1]>;

const revealDefinition = closed({
  by: z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") })),
}) satisfies z.ZodType<Parameters<typeof reveal>[2]>;

const encryptionDefinition = closed({
  reveal: z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") })),
  lookup: z.boolean({ error: expected("true or false") }).optional(),
}) satisfies z.ZodType<Parameters<typeof encrypt>[2]>;

const viewDefinition = closed({
  from: name,
  columns: z.array(column),
  where: scope,
  roles: z.array(roleRef),
  description: z.string().optional(),
}) satisfies z.ZodType<Parameters<typeof view>[1]>;

/** A role, or a pair [role, scope]: who may do something, and within which rows. */
const roleReach = z.union([roleRef, z.tuple([roleRef, scope])], { error: expected("a role, or a pair [role, scope]") });

/** `365 days`, `30 days 12 hours`, `1 year`: whole numbers with a unit, as PostgreSQL reads an interval. */
const INTERVAL =
  /^\s*\d+\s*(microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?)(\s+\d+\s*(microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?))*\s*$/;

const softDeleteDefinition = closed({
  column: column.optional(),
  by: column.optional(),
  reason: column.optional(),
  visibleTo: z.array(roleReach).optional(),
  restore: z.array(roleReach),
  retention: z.string().regex(INTERVAL, {
    error: (issue) => `must be an interval such as "365 days" or "30 days 12 hours", not ${describe(issue.input)}`,
  }),
}) satisfies z.ZodType<Parameters<typeof softDelete>[1]>;

const identityDefinition = closed({
  users: closed({ table: name, id: column, unit: column, status: column, activeStatus: z.string(), username: column.optional() }),
  userRoles: closed({ table: name, user: column, role: column }),
  units: closed({ table: name, id: column, parent: column }),
  grants: closed({
    table: name,
    grantee: column,
    tableName: column,
    row: column,
    privilege: column,
    expires: column,
    grantedBy: column.optional(),
    reason: column.optional(),
  }).optional(),
}) satisfies z.ZodType<IdentityDefinition>;

/** `"30 days"`: the problem names the closest unit when the unit is misspelled. */
const duration = z.string().check((ctx) => {
  const parsed = parseDuration(ctx.value);
  if (typeof parsed === "string") ctx.issues.push({ code: "custom", input: ctx.value, message: parsed });
});

const temporaryGrants = closed({
  by: z.array(roleRef).optional(),
  anywhere: z.array(roleRef).optional(),
  maxDuration: duration,
  tables: z.array(name),
  privileges: z.array(z.enum(GRANT_PRIVILEGES)).optional(),
}) satisfies z.ZodType<TemporaryGrantsDefinition>;

const APPROVAL_CHANGES = ["update", "set"];

/** An approval's change: a misspelled word or key names the closest one. */
const approvalChangeError = (issue: { readonly input?: unknown }): string => {
  const input = issue.input;
  const words = 'must be "delete", { update: [columns] } or { set: { column: value } }';
  if (input === undefined || typeof input !== "object" || input === null || Array.isArray(input))
    return issue.input === undefined
      ? `is missing: it ${words}`
      : `${words}, not ${describe(input)}${typeof input === "string" ? didYouMean(input, ["delete"]) : ""}`;
  const keys = Object.keys(input);
  const unknown = keys.find((k) => !APPROVAL_CHANGES.includes(k));
  if (unknown) return `has an unknown key "${unknown}"${didYouMean(unknown, APPROVAL_CHANGES)}`;
  if (keys.length !== 1) return `must name one of update or set, not ${keys.length ? "both" : "neither"}`;
  return keys[0] === "update" ? "update must be a list of column names" : "set must map column names to values";
};

const approvalDefinition = closed({
  table: name,
  change: z.union(
    [
      z.literal("delete"),
      z.strictObject({ update: z.array(column).min(1) }),
      z.strictObject({ set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }),
    ],
    { error: approvalChangeError },
  ),
  when: scope.optional(),
  requesters: z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") })),
  approvers: z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") })),
  expires: duration,
  records: column.optional(),
  locks: z.array(column).optional(),
  direct: z
    .union([z.enum(["nobody", "everyone"]), z.array(roleRef)], { error: expected('"nobody", "everyone" or a list of roles') })
    .optional(),
}) satisfies z.ZodType<Parameters<typeof approval>[1]>;

const appDefinition = closed({
  schema: name,
  rolePrefix: z.string(),
  identity: identityDefinition,
  roles: z.array(roleRef),
  toolkitSchema: name.optional(),
  authenticator: name.optional(),
  anonymous: name.optional(),
  restrictions: z.array(definitionOf<RestrictionDefinition>("restriction", "a restriction made with restrict()")).optional(),
  masks: z.array(definitionOf<MaskDefinition>("mask", "a mask made with mask()")).optional(),
  views: z.array(definitionOf<ViewDefinition>("view", "a view made with view()")).optional(),
  audit: closed({ readers: z.array(roleRef) }).optional(),
  reveals: z.array(definitionOf<RevealDefinition>("reveal", "a reveal made with reveal()")).optional(),
  encrypted: z.array(definitionOf<EncryptionDefinition>("encrypt", "an encrypted column made with encrypt()")).optional(),
  pools: z.array(definitionOf<PublicPoolDefinition>("publicPool", "a pool made with publicPool()")).optional(),
  endings: z.array(definitionOf<EndWhenDefinition>("endWhen", "an ending made with endWhen()")).optional(),
  operations: z.array(definitionOf<OperationDefinition>("operation", "an operation made with operation()")).optional(),
  offboarding: closed({ by: z.array(roleRef), frozenStatus: z.string().optional() }).optional(),
  approvals: z.array(definitionOf<ApprovalDefinition>("approval", "an approval made with approval()")).optional(),
  grants: temporaryGrants.optional(),
  softDeletes: z.array(definitionOf<SoftDeleteDefinition>("softDelete", "a soft delete made with softDelete()")).optional(),
  policies: closed({ sublinks: z.boolean({ error: expected("true or false") }) }).optional(),
}) satisfies z.ZodType<Parameters<typeof defineApp>[0]>;

const named = (label: string, value: unknown) => (typeof value === "string" ? `${label} ${value}` : label);
const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/**
 * Each factory's arguments: their schema, how a problem names each argument (the keys of the last,
 * the definition or options object, are named bare: `exempt[0]`, not `definition.exempt[0]`), and
 * the definition a problem belongs to.
 */
const FACTORIES = {
  role: {
    args: z.tuple([name, roleDefinition]),
    names: ["name", "definition"],
    subject: ([n]: readonly unknown[]) => named("role", n),
  },
  restriction: {
    args: z.tuple([name, restrictionDefinition]),
    names: ["name", "definition"],
    subject: ([n]: readonly unknown[]) => named("restriction", n),
  },
  mask: {
    args: z.tuple([
      name,
      column,
      maskFunction,
      closed({
        as: column.optional(),
        unless: z
          .union([scope, z.array(z.tuple([roleRef, scope], { error: expected("a pair [role, scope]") }))], {
            error: expected("a scope, or a list of [role, scope] pairs"),
          })
          .optional(),
      }),
    ]),
    names: ["table", "column", "fn", "options"],
    subject: ([table, col]: readonly unknown[]) =>
      typeof table === "string" && typeof col === "string" ? `mask ${table}.${col}` : "mask",
  },
  view: {
    args: z.tuple([name, viewDefinition]),
    names: ["name", "definition"],
    subject: ([n]: readonly unknown[]) => named("view", n),
  },
  approval: {
    args: z.tuple([name, approvalDefinition]),
    names: ["name", "options"],
    subject: ([n]: readonly unknown[]) => named("approval", n),
  },
  reveal: {
    args: z.tuple([name, column, revealDefinition]),
    names: ["table", "column", "definition"],
    subject: ([t, c]: readonly unknown[]) => named("reveal", typeof t === "string" && typeof c === "string" ? `${t}.${c}` : t),
  },
  encrypt: {
    args: z.tuple([name, column, encryptionDefinition]),
    names: ["table", "column", "options"],
    subject: ([t, c]: readonly unknown[]) => named("encrypt", typeof t === "string" && typeof c === "string" ? `${t}.${c}` : t),
  },
  "public pool": {
    args: z.tuple([name, publicPoolDefinition]),
    names: ["table", "definition"],
    subject: ([n]: readonly unknown[]) => named("public pool of", n),
  },
  "end when": {
    args: z.tuple([name, endWhenDefinition]),
    names: ["name", "definition"],
    subject: ([n]: readonly unknown[]) => named("ending", n),
  },
  operation: {
    args: z.tuple([name, operationDefinition]),
    names: ["name", "definition"],
    subject: ([n]: readonly unknown[]) => named("operation", n),
  },
  "member set": {
    args: z.tuple([closed(memberSetFields)]),
    names: ["definition"],
    subject: ([d]: readonly unknown[]) => named("member set", field(d, "name")),
  },
  "soft delete": {
    args: z.tuple([name, softDeleteDefinition]),
    names: ["table", "options"],
    subject: ([table]: readonly unknown[]) => named("soft delete", table),
  },
  app: {
    args: z.tuple([appDefinition]),
    names: ["definition"],
    subject: ([d]: readonly unknown[]) => named("app", field(d, "schema")),
  },
} as const;

/** Where in a definition an issue is, in the definition's own words: `exempt[0][1]`, `table patients, columns.phone`. */
function place(issue: z.core.$ZodIssue, names: readonly string[]): string {
  const [argument, ...rest] = issue.path as [number, ...PropertyKey[]];
  // a scope or mask function whose `kind` is unknown is a wrong value as a whole
  if (issue.code === "invalid_union" && rest.at(-1) === issue.discriminator) rest.pop();
  const bare = argument === names.length - 1 && (rest.length > 0 || issue.code === "unrecognized_keys");
  const words = bare ? [] : [names[argument]!];
  if (rest[0] === "tables" && rest.length > 1) words.push(`table ${String(rest.splice(0, 2)[1])}`);
  const tail = rest.map((segment, i) => (typeof segment === "number" ? `[${segment}]` : `${i ? "." : ""}${String(segment)}`));
  if (tail.length > 0) words.push(tail.join(""));
  return words.join(", ");
}

/**
 * Checks a factory's arguments against their schema and throws one Error listing every problem, each
 * naming the definition, where in it the problem is, and the likely fix. Returns nothing when the
 * shape is right.
 *
 * @example
 * assertShape("role", ["doctor", { tables: { patients: { selct: all() } } }]);
 * // Error: invalid role definition:
 * //   - role doctor: table patients has an unknown key "selct" (did you mean "select"?)
 */
export function assertShape(factory: keyof typeof FACTORIES, args: readonly unknown[]): void {
  const { args: schema, names, subject } = FACTORIES[factory];
  const result = schema.safeParse(
    names.map((_, i) => args[i]),
    { error: phrase, reportInput: true },
  );
  if (result.success) return;
  const { issues } = result.error;
  const unknownKeys = new Map(
    issues.flatMap((i) => (i.code === "unrecognized_keys" ? [[JSON.stringify(i.path), i.keys] as const] : [])),
  );
  // a misspelled key is one problem: `chek` already suggests "check", so "check is missing" is left out
  const misspelled = (issue: z.core.$ZodIssue) =>
    issue.code === "invalid_type" &&
    issue.input === undefined &&
    (unknownKeys.get(JSON.stringify(issue.path.slice(0, -1))) ?? []).some((key) => didYouMean(key, [String(issue.path.at(-1))]));
  const problems = issues
    .filter((issue) => !misspelled(issue))
    .map((issue) => {
      const where = place(issue, names);
      return `${subject(args)}${where ? `: ${where}` : ""} ${issue.message}`;
    });
  throw new Error(`invalid ${factory} definition:\n  - ${problems.join("\n  - ")}`);
}
