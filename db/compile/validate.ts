import type { Catalog, CatalogTable } from "../catalog/introspect";
import { COMMANDS, type RoleDefinition } from "../policy/roles";
import { ancestorsOf } from "./lineage";
import type { AppDefinition } from "../policy/define";
import type { MemberSet, Scope } from "../policy/scopes";
import type { MaskDefinition } from "../policy/masks";
import { changedColumns } from "../policy/approvals";
import { approvalProblems } from "./approval-problems";
import { policyName, restrictiveName, roleName, roleSchemaName, viewOwner } from "./names";
import { maskReading, rowMasksOf } from "./row-masks";
import { didYouMean } from "../policy/suggest";
import { kindOf } from "./scopes";
import { asksWho, directColumns, walkScope } from "./walk";
import { softDeleteColumns } from "./emit/soft-delete";
import { sublinkProblems } from "./sublink-problems";
import { softDeleteProblems } from "./soft-delete-problems";
import { temporaryGrantProblems } from "./temporary-grants";

/** A compile that cannot go on; `problems` each name the definition, the table or column, and the fix. */
export class CompileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`gatehouse cannot compile these definitions:\n  - ${problems.join("\n  - ")}`);
    this.name = "CompileError";
  }
}

const MAX_IDENTIFIER = 63;

/** What the checks share: the problems found so far, and lookups that record a problem when they miss. */
interface Checker {
  readonly catalog: Catalog;
  readonly problems: string[];
  /** The table of the app schema by that name; records a did-you-mean problem when there is none. */
  findTable(who: string, name: string): CatalogTable | undefined;
  /** Whether the table has the column (a mask twin only with `allowTwins`; soft-delete markers count); records a problem when not. */
  hasColumn(who: string, table: CatalogTable, column: string, allowTwins?: boolean): boolean;
  /** Checks a scope on a table through its kind's module (`scopes/`). */
  checkScope(who: string, table: CatalogTable, scope: Scope): void;
}

/** The checker of one compile: lookups over the catalog that record each problem in `problems`. */
function checkerFor(app: AppDefinition, catalog: Catalog, tables: readonly CatalogTable[]): Checker {
  const problems: string[] = [];
  const twinNames = new Set(app.masks.map((m) => `${m.table}.${m.twin}`));
  const added = softDeleteColumns(app); // soft-delete markers the compile adds when missing
  const findTable = (who: string, name: string): CatalogTable | undefined => {
    const table = catalog.tables.get(name);
    if (!table || table.kind !== "table") {
      problems.push(
        `${who}: schema ${app.schema} has no table "${name}"${didYouMean(
          name,
          tables.map((t) => t.name),
        )}`,
      );
      return undefined;
    }
    return table;
  };
  const hasColumn = (who: string, table: CatalogTable, column: string, allowTwins = false): boolean => {
    if (table.columns.some((c) => c.name === column && (allowTwins || !twinNames.has(`${table.name}.${c.name}`)))) return true;
    if (allowTwins && twinNames.has(`${table.name}.${column}`)) return true;
    if (added.has(`${table.name}.${column}`)) return true;
    problems.push(
      `${who}: table ${table.name} has no column "${column}"${didYouMean(
        column,
        table.columns.map((c) => c.name),
      )}`,
    );
    return false;
  };

  const checkSet = (who: string, set: MemberSet) => {
    const w = `${who}: member set ${set.name}`;
    for (const condition of [set.link.where, set.live?.where]) {
      if (!condition) continue;
      walkScope(condition, (s) => {
        if (kindOf(s).asksWho || kindOf(s).readsParentRows) {
          problems.push(
            `${w}: its conditions run inside a security definer helper, where ${s.kind}() cannot know the user: use column conditions only`,
          );
        }
      });
    }
    const membership = findTable(w, set.membership.table);
    if (membership) for (const c of [set.membership.user, set.membership.group]) hasColumn(w, membership, c);
    const link = findTable(w, set.link.table);
    if (link) {
      for (const c of [set.link.group, set.link.row]) hasColumn(w, link, c);
      if (set.link.where) checkScope(w, link, set.link.where);
    }
    if (set.live) {
      const live = findTable(w, set.live.table);
      if (live) {
        hasColumn(w, live, set.live.key);
        checkScope(w, live, set.live.where);
      }
    }
  };

  const checkScope = (who: string, table: CatalogTable, scope: Scope): void =>
    kindOf(scope).validate(scope, {
      app,
      who,
      table,
      hasColumn: (column) => hasColumn(who, table, column),
      findTable: (name) => findTable(who, name),
      check: checkScope,
      checkMemberSet: (set) => checkSet(who, set),
      problem: (message) => problems.push(message),
    });

  return { catalog, problems, findTable, hasColumn, checkScope };
}

/** Checks the identity tables and the columns `defineApp({ identity })` names. */
function checkIdentity(app: AppDefinition, { findTable, hasColumn }: Checker): void {
  const { users, userRoles, units, grants } = app.identity;
  const identityTables: [string, string, string[]][] = [
    ["identity.users", users.table, [users.id, users.unit, users.status, ...(users.username ? [users.username] : [])]],
    ["identity.userRoles", userRoles.table, [userRoles.user, userRoles.role]],
    ["identity.units", units.table, [units.id, units.parent]],
    ...(grants
      ? [
          ["identity.grants", grants.table, [grants.grantee, grants.tableName, grants.row, grants.privilege, grants.expires]] as [
            string,
            string,
            string[],
          ],
        ]
      : []),
  ];
  for (const [who, name, columns] of identityTables) {
    const table = findTable(who, name);
    if (table) for (const c of columns) hasColumn(who, table, c);
  }
}

/** Checks each mask: its table and column, a twin name that is not an ordinary column, and a row-dependent mask's scopes. */
function checkMasks(app: AppDefinition, checker: Checker): void {
  const { problems, findTable, hasColumn } = checker;
  for (const m of app.masks) {
    const who = `mask ${m.table}.${m.column}`;
    const table = findTable(who, m.table);
    if (!table) continue;
    hasColumn(who, table, m.column);
    const existing = table.columns.find((c) => c.name === m.twin);
    // an encrypted column's twin is an ordinary column the encryption trigger fills (emit/encryption.ts)
    const sealed = app.encrypted.some((e) => e.table === m.table && e.column === m.column);
    if (existing && !existing.generated && !sealed)
      problems.push(`${who}: twin "${m.twin}" is already an ordinary column of ${m.table}: choose another name with { as }`);
    if (m.unless !== undefined) problems.push(...rowMaskProblems(app, m, table, checker));
  }
}

/** A row-dependent mask: valid scopes, a single-column key to read a row by, names PostgreSQL keeps whole, pairs that matter. */
function rowMaskProblems(app: AppDefinition, m: MaskDefinition, table: CatalogTable, { checkScope }: Checker): string[] {
  const who = `mask ${m.table}.${m.column}`;
  const problems: string[] = [];
  const pairs = Array.isArray(m.unless) ? (m.unless as readonly (readonly [RoleDefinition, Scope])[]) : undefined;
  for (const scope of pairs ? pairs.map(([, s]) => s) : [m.unless as Scope]) checkScope(`${who} (unless)`, table, scope);
  if (app.encrypted.some((e) => e.table === m.table && e.column === m.column))
    problems.push(
      `${who}: ${m.table}.${m.column} is encrypted, so nobody reads it raw with a select and unless changes nothing: drop unless (encrypt's reveal gives its roles the plaintext, one row at a time, audited)`,
    );
  if (!pairs && (m.unless as Scope).kind === "all")
    problems.push(`${who}: unless all() shows the raw value on every row: drop unless, or name the rows`);
  if (table.primaryKey.length !== 1)
    problems.push(
      `${who}: a row-dependent mask reads a row by its key, and ${m.table} has no single-column primary key: add one, or drop unless`,
    );
  for (const [role] of pairs ?? []) {
    if (maskReading(role, m)?.kind === "masked")
      problems.push(
        `${who}: role ${role.name} sees ${m.table}.${m.column} only masked (its column access), so [${role.name}, …] in unless changes nothing: remove the pair, or give ${role.name} read access to ${m.column}`,
      );
  }
  for (const r of rowMasksOf(app).filter((x) => x.table === m.table && x.column === m.column)) {
    if (r.fn.length > MAX_IDENTIFIER)
      problems.push(
        `${who}: function ${r.fn} is longer than ${MAX_IDENTIFIER} characters, and PostgreSQL would cut it: shorten the table or role name`,
      );
    if (roleName(app, r.reader).length > MAX_IDENTIFIER)
      problems.push(
        `${who}: role ${roleName(app, r.reader)} is longer than ${MAX_IDENTIFIER} characters: shorten the role name (or the role prefix)`,
      );
    if (app.roles.some((x) => x.name === r.reader))
      problems.push(`${who}: role ${r.reader} would be both an app role and the raw reader of ${r.role}: rename the role`);
  }
  return problems;
}

/** Checks each role: names PostgreSQL would cut, its rules' tables, scopes and columns. */
function checkRoles(app: AppDefinition, { problems, findTable, hasColumn, checkScope }: Checker): void {
  for (const role of app.roles) {
    const who = `role ${role.name}`;
    for (const command of COMMANDS) {
      const policy = policyName(role.name, command);
      if (policy.length > MAX_IDENTIFIER)
        problems.push(`${who}: policy name ${policy} is longer than ${MAX_IDENTIFIER} characters: shorten the role name`);
    }
    if ((app.rolePrefix + role.name).length > MAX_IDENTIFIER)
      problems.push(`${who}: ${app.rolePrefix}${role.name} is longer than ${MAX_IDENTIFIER} characters`);
    const star = roleSchemaName(app, role.name);
    if (star.length > MAX_IDENTIFIER)
      problems.push(
        `${who}: its select * schema ${star} is longer than ${MAX_IDENTIFIER} characters, and PostgreSQL would cut it: shorten the role name`,
      );
    if (star === app.toolkitSchema)
      problems.push(`${who}: its select * schema ${star} would be the toolkit schema: rename the role`);
    for (const [tableName, rules] of Object.entries(role.tables)) {
      const table = findTable(who, tableName);
      if (!table) continue;
      if (rules.select) checkScope(who, table, rules.select);
      if (rules.delete) checkScope(who, table, rules.delete);
      if (rules.insert) checkScope(who, table, rules.insert.check);
      if (rules.update) {
        checkScope(who, table, rules.update.using);
        if (rules.update.check) checkScope(who, table, rules.update.check);
      }
      for (const [column, access] of Object.entries(rules.columns ?? {})) {
        if (access === undefined || column === "default") continue;
        if (!hasColumn(who, table, column)) continue;
        if (access === "masked" && !app.masks.some((m) => m.table === tableName && m.column === column)) {
          problems.push(
            `${who}: ${tableName}.${column} is masked, but no mask is defined for it: add mask("${tableName}", "${column}", …) to the app`,
          );
        }
      }
    }
  }
}

/** Checks each restriction: policy names PostgreSQL would cut, its table and scopes. */
function checkRestrictions(app: AppDefinition, { problems, findTable, checkScope }: Checker): void {
  for (const x of app.restrictions) {
    const who = app.softDeletes?.some((d) => d.restriction === x) ? `softDelete ${x.table}` : `restriction ${x.name}`;
    const touches = (r: RoleDefinition) => [r, ...ancestorsOf(r)].some((a) => a.tables[x.table]);
    const holders = [
      ...app.roles.filter(touches).map((r) => ({ name: r.name, label: `role ${r.name}`, fix: "restriction or role name" })),
      ...app.views
        .filter((v) => v.from === x.table)
        .map((v) => ({ name: viewOwner(v.name), label: `the owner of view ${v.name}`, fix: "restriction or view name" })),
    ];
    for (const r of holders) {
      const longest = `${restrictiveName(x.name, r.name)}${x.commands.length === COMMANDS.length ? "" : `__${x.commands[0]}`}`;
      if (longest.length > MAX_IDENTIFIER) {
        problems.push(
          `${who}: policy name ${longest} for ${r.label} is longer than ${MAX_IDENTIFIER} characters: shorten the ${r.fix}`,
        );
      }
    }
    const table = findTable(who, x.table);
    if (!table) continue;
    checkScope(who, table, x.hides);
    if (x.unless) checkScope(who, table, x.unless);
    for (const [r, scope] of x.exempt) checkScope(`${who} (exempting ${r.name})`, table, scope);
  }
}

/** Checks each operation: its table, columns, condition and key. */
function checkOperations(app: AppDefinition, { problems, findTable, hasColumn, checkScope }: Checker): void {
  for (const o of app.operations) {
    const who = `operation ${o.name}`;
    const table = findTable(who, o.table);
    if (!table) continue;
    for (const column of Object.keys(o.set)) hasColumn(who, table, column);
    if (Object.keys(o.set).length === 0) problems.push(`${who}: set names no column: say what it writes`);
    if (o.where) checkScope(who, table, o.where);
    if (o.row && table.primaryKey.length !== 1)
      problems.push(`${who}: table ${o.table} needs a one-column primary key for a row operation`);
    if (!o.row && o.where && asksWho(o.where))
      problems.push(
        `${who}: a maintenance operation (row: false) runs as the owner, so its where may not ask who is asking (own, unit, …)`,
      );
  }
}

/** Checks each ending: its tables, columns and an identity-free condition. */
function checkEndings(app: AppDefinition, { problems, findTable, hasColumn, checkScope }: Checker): void {
  for (const e of app.endings) {
    const who = `ending ${e.name}`;
    const table = findTable(who, e.table);
    if (table) for (const column of [e.expires, e.link]) hasColumn(who, table, column);
    const when = findTable(who, e.when.table);
    if (when) {
      hasColumn(who, when, e.when.link);
      checkScope(who, when, e.when.where);
      if (asksWho(e.when.where))
        problems.push(`${who}: its condition runs in a trigger for every writer, so it may not ask who is asking (own, unit, …)`);
      if (when.primaryKey.length === 0) problems.push(`${who}: table ${e.when.table} needs a primary key`);
    }
  }
}

/** Checks each public pool: its table, owner column, claim scopes and key. */
function checkPools(app: AppDefinition, { problems, findTable, hasColumn, checkScope }: Checker): void {
  for (const p of app.pools) {
    const who = `public pool of ${p.table}`;
    const table = findTable(who, p.table);
    if (!table) continue;
    hasColumn(who, table, p.owner);
    for (const [r, scope] of p.claim) checkScope(`${who} (claims by ${r.name})`, table, scope);
    if (table.primaryKey.length !== 1) problems.push(`${who}: table ${p.table} needs a one-column primary key`);
    if (p.claim.length === 0) problems.push(`${who}: nobody may claim: list [role, scope] pairs in claim`);
  }
}

/** Checks each reveal: its table, a masked column, scopes and key. */
function checkReveals(app: AppDefinition, { problems, findTable, hasColumn, checkScope }: Checker): void {
  for (const x of app.reveals) {
    const who = `reveal ${x.table}.${x.column}`;
    const table = findTable(who, x.table);
    if (!table) continue;
    hasColumn(who, table, x.column);
    for (const [r, scope] of x.by) checkScope(`${who} (by ${r.name})`, table, scope);
    if (table.primaryKey.length !== 1) problems.push(`${who}: table ${x.table} needs a one-column primary key`);
    if (!app.masks.some((m) => m.table === x.table && m.column === x.column))
      problems.push(`${who}: ${x.table}.${x.column} has no mask: reveal is for masked columns; mask it with mask()`);
  }
}

/** Every column of `table` a rule reads: role rules, restrictions, views, reveals, pools, approvals and endings. */
function ruleColumns(app: AppDefinition, table: string): Set<string> {
  const scopes: Scope[] = [];
  for (const role of app.roles) {
    const rules = role.tables[table];
    if (!rules) continue;
    if (rules.select) scopes.push(rules.select);
    if (rules.delete) scopes.push(rules.delete);
    if (rules.insert) scopes.push(rules.insert.check);
    if (rules.update) scopes.push(rules.update.using, ...(rules.update.check ? [rules.update.check] : []));
  }
  for (const x of app.restrictions.filter((r) => r.table === table))
    scopes.push(x.hides, ...(x.unless ? [x.unless] : []), ...x.exempt.map(([, s]) => s));
  for (const v of app.views.filter((v) => v.from === table)) scopes.push(v.where);
  for (const x of app.reveals.filter((r) => r.table === table)) scopes.push(...x.by.map(([, s]) => s));
  for (const p of app.pools.filter((p) => p.table === table)) scopes.push(...p.claim.map(([, s]) => s));
  const columns = new Set<string>();
  for (const scope of scopes) walkScope(scope, (s) => directColumns(s).forEach((c) => columns.add(c)));
  for (const p of app.pools.filter((p) => p.table === table)) columns.add(p.owner);
  for (const a of (app.approvals ?? []).filter((a) => a.table === table)) {
    changedColumns(a.change).forEach((c) => columns.add(c));
    a.locks.forEach((c) => columns.add(c));
  }
  for (const e of app.endings.filter((e) => e.table === table)) [e.expires, e.link].forEach((c) => columns.add(c));
  return columns;
}

/**
 * Checks each encrypted column: an ordinary text column that is no key, no foreign key, read by no rule (rules
 * compare plaintext; the column holds ciphertext), with a `mask(...)` twin, and a hash column name that is free.
 */
function checkEncrypted(app: AppDefinition, { problems, findTable, hasColumn, catalog }: Checker): void {
  for (const e of app.encrypted) {
    const who = `encrypt ${e.table}.${e.column}`;
    const table = findTable(who, e.table);
    if (!table || !hasColumn(who, table, e.column)) continue;
    const column = table.columns.find((c) => c.name === e.column)!;
    if (column.type !== "text")
      problems.push(
        `${who}: the column is ${column.type}, and the ciphertext is text: only text columns can be encrypted (alter it to text, or leave it unencrypted)`,
      );
    if (column.generated) problems.push(`${who}: the column is generated: encrypt the column it is computed from instead`);
    if (table.primaryKey.includes(e.column))
      problems.push(`${who}: the column is part of the primary key, and a key must stay comparable: encrypt another column`);
    if (table.primaryKey.length !== 1) problems.push(`${who}: table ${e.table} needs a one-column primary key`);
    const keyed = [
      ...table.foreignKeys.filter((k) => k.columns.includes(e.column)).map((k) => `a foreign key to ${k.references.table}`),
      ...[...catalog.tables.values()]
        .filter((t) => t.foreignKeys.some((k) => k.references.table === e.table && k.references.columns.includes(e.column)))
        .map((t) => `a foreign key of ${t.name}`),
    ];
    if (keyed.length)
      problems.push(
        `${who}: the column is used by ${keyed.join(", ")}, which would compare ciphertext: drop the foreign key or encrypt another column`,
      );
    if (ruleColumns(app, e.table).has(e.column))
      problems.push(
        `${who}: a rule's scope, key or condition reads the column, and it would compare ciphertext: change the rule to read another column, or leave ${e.column} unencrypted`,
      );
    if (!app.masks.some((m) => m.table === e.table && m.column === e.column))
      problems.push(
        `${who}: roles that read it need a masked twin: add mask("${e.table}", "${e.column}", redact()) (or another mask function)`,
      );
    if (e.hash) {
      const existing = table.columns.find((c) => c.name === e.hash);
      if (existing && existing.type !== "text")
        problems.push(
          `${who}: its lookup hash column "${e.hash}" is already a ${existing.type} column of ${e.table}: rename that column`,
        );
      if (`${e.table}_by_${e.column}`.length > MAX_IDENTIFIER)
        problems.push(
          `${who}: its lookup function ${e.table}_by_${e.column} is longer than ${MAX_IDENTIFIER} characters: shorten the names or drop lookup`,
        );
    }
  }
}

/** Checks each approval: its table, columns and scopes, then what approvals need beyond them. */
function checkApprovals(app: AppDefinition, { problems, findTable, hasColumn, checkScope, catalog }: Checker): void {
  for (const a of app.approvals ?? []) {
    const who = `approval ${a.name}`;
    const table = findTable(who, a.table);
    if (!table) continue;
    for (const column of [...changedColumns(a.change), ...a.locks, ...(a.records ? [a.records] : [])])
      hasColumn(who, table, column);
    if (a.when) checkScope(`${who} (when)`, table, a.when);
    for (const [r, scope] of a.requesters) checkScope(`${who} (requester ${r.name})`, table, scope);
    for (const [r, scope] of a.approvers) checkScope(`${who} (approver ${r.name})`, table, scope);
  }
  problems.push(...approvalProblems(app, catalog));
}

/** Checks each masking view: its name, table, columns, condition, roles and owner names. */
function checkViews(app: AppDefinition, { problems, findTable, hasColumn, checkScope, catalog }: Checker): void {
  for (const v of app.views) {
    const who = `view ${v.name}`;
    if (catalog.tables.get(v.name)?.kind === "table")
      problems.push(`${who}: ${app.schema}.${v.name} is already a table: choose another name`);
    const table = findTable(who, v.from);
    if (!table) continue;
    for (const column of v.columns) hasColumn(who, table, column, true);
    checkScope(who, table, v.where);
    if (v.roles.length === 0) problems.push(`${who}: no role may read it: list its roles`);
    const owner = roleName(app, viewOwner(v.name));
    if (owner.length > MAX_IDENTIFIER)
      problems.push(
        `${who}: its owner role ${owner} is longer than ${MAX_IDENTIFIER} characters, and PostgreSQL would cut it: shorten the view name (or the role prefix)`,
      );
    if (policyName(viewOwner(v.name), "select").length > MAX_IDENTIFIER)
      problems.push(
        `${who}: its owner's policy name ${policyName(viewOwner(v.name), "select")} is longer than ${MAX_IDENTIFIER} characters: shorten the view name`,
      );
    if (app.roles.some((r) => r.name === viewOwner(v.name)))
      problems.push(
        `${who}: role ${viewOwner(v.name)} would be both an app role and the view's owner: rename the role or the view`,
      );
  }
}

/**
 * Checks an app against the live schema; throws a {@link CompileError} listing every problem.
 *
 * @example
 * validate(app, await introspect(client, "clinic")); // throws: role doctor: table patients has no column "phon" (did you mean "phone"?)
 */
export function validate(app: AppDefinition, catalog: Catalog): void {
  const tables = [...catalog.tables.values()].filter((t) => t.kind === "table");
  if (tables.length === 0) {
    throw new CompileError([`schema ${app.schema} has no tables: run the app's migrations before compiling`]);
  }
  const checker = checkerFor(app, catalog, tables);
  for (const check of [
    checkIdentity,
    checkMasks,
    checkRoles,
    checkRestrictions,
    checkOperations,
    checkEndings,
    checkPools,
    checkReveals,
    checkEncrypted,
    checkApprovals,
    checkViews,
  ])
    check(app, checker);
  const { problems } = checker;
  problems.push(...temporaryGrantProblems(app, catalog));
  problems.push(...softDeleteProblems(app, catalog));
  problems.push(...sublinkProblems(app));

  if (problems.length > 0) throw new CompileError([...new Set(problems)]);
}
