import type { Catalog } from "../catalog/introspect";
import { changedColumns } from "../policy/approvals";
import type { AppDefinition } from "../policy/define";
import { parseDuration } from "../policy/grants";
import type { RoleDefinition } from "../policy/roles";
import type { Scope } from "../policy/scopes";
import { APPROVALS } from "./emit/approvals";
import { approvalRoles } from "./privileges";
import { ancestorsOf } from "./lineage";
import { walkScope } from "./walk";

/** The access a role's definition (with inheritance) gives it on a column: the nearest explicit word, else its default. */
function columnAccess(role: RoleDefinition, table: string, column: string): string | undefined {
  let found: string | undefined;
  let fallback: string | undefined;
  for (const r of [...ancestorsOf(role).reverse(), role]) {
    const columns = r.tables[table]?.columns;
    if (!columns) continue;
    if (columns[column] !== undefined) found = columns[column];
    if (columns.default !== undefined) fallback = columns.default;
  }
  return found ?? fallback;
}

/**
 * What approvals need from the live schema and the rules, beyond their scopes and columns (`validate.ts` checks
 * those): a table with a one-column primary key; change columns that may be written; a `records` column holding a
 * user id; `locks` only on a `set` change; scopes a definer function can check (no `via` without `where`); approvers
 * whose own rules let them apply the change (an approval applies it with the approver's rights); requesters who
 * can see the table; names within 63 characters. Each problem names the fix.
 *
 * @example
 * approvalProblems(app, catalog); // ["approval patient_delete: approver chief has no delete rule on patients: …"]
 */
export function approvalProblems(app: AppDefinition, catalog: Catalog): string[] {
  const problems: string[] = [];
  const userType = catalog.tables.get(app.identity.users.table)?.columns.find((c) => c.name === app.identity.users.id)?.type;
  for (const a of app.approvals ?? []) {
    const who = `approval ${a.name}`;
    const table = catalog.tables.get(a.table);
    if (!table || table.kind !== "table") continue; // validate.ts names the table
    const interval = parseDuration(a.expires);
    if (typeof interval === "string") problems.push(`${who}: expires ${interval}`);
    if (table.primaryKey.length !== 1)
      problems.push(`${who}: table ${a.table} needs a one-column primary key: a request names its row by it`);
    const key = table.primaryKey[0];
    const changed = changedColumns(a.change);
    for (const column of changed) {
      const c = table.columns.find((x) => x.name === column);
      if (c?.generated) problems.push(`${who}: ${a.table}.${column} is a generated column: an approval cannot write it`);
      if (column === key) problems.push(`${who}: ${a.table}.${column} is the primary key: an approval cannot change it`);
      if (a.change !== "delete" && "update" in a.change && (column === "row_id" || column === "reason"))
        problems.push(
          `${who}: column ${column} would collide with the argument of the same name of ${app.schema}.${APPROVALS.requestPrefix}${a.name}: the column needs another name`,
        );
    }
    if (a.change !== "delete" && "update" in a.change && new Set(a.change.update).size !== a.change.update.length)
      problems.push(`${who}: change.update names a column twice`);
    if (a.records) {
      const c = table.columns.find((x) => x.name === a.records);
      if (c && userType && c.type !== userType)
        problems.push(`${who}: records ${a.table}.${a.records} must hold a user id (${userType}), not ${c.type}`);
      if (changed.includes(a.records))
        problems.push(`${who}: records ${a.records} is also a changed column: the approval sets it to the approver`);
      if (a.change === "delete") problems.push(`${who}: a deleted row records nobody: drop records, or change the row instead`);
    }
    if (a.locks.length && (a.change === "delete" || !("set" in a.change)))
      problems.push(
        `${who}: locks need a set change (the state after which the columns no longer change), e.g. change: { set: { status: "approved" } }`,
      );
    const checked: [string, Scope][] = [
      ...(a.when ? [["when", a.when] as [string, Scope]] : []),
      ...a.requesters.map(([r, s]) => [`requester ${r.name}`, s] as [string, Scope]),
      ...a.approvers.map(([r, s]) => [`approver ${r.name}`, s] as [string, Scope]),
    ];
    for (const [what, scope] of checked) {
      walkScope(scope, (s) => {
        if (s.kind === "via" && !s.where)
          problems.push(
            `${who}: ${what} uses via("${s.column}", "${s.parent}") without a where: the toolkit checks it in a security definer function, where ${s.parent}'s own row security does not apply; say which ${s.parent} rows, e.g. via("${s.column}", "${s.parent}", unitTree("unit_id"))`,
          );
      });
    }
    for (const { role } of approvalRoles(app, a.approvers)) {
      const r = app.roles.find((x) => x.name === role)!;
      const lineage = [r, ...ancestorsOf(r)];
      const rules = lineage.map((x) => x.tables[a.table]).filter((x) => x !== undefined);
      if (a.change === "delete") {
        if (!rules.some((x) => x.delete))
          problems.push(
            `${who}: approver ${role} has no delete rule on ${a.table}, so its approvals could never apply (an approval deletes with the approver's own rights): add delete to its rules on ${a.table}; the approval keeps direct deletes out`,
          );
        continue;
      }
      if (!rules.some((x) => x.update))
        problems.push(
          `${who}: approver ${role} has no update rule on ${a.table}, so its approvals could never apply (an approval writes with the approver's own rights): add update to its rules on ${a.table}; the approval keeps direct changes out`,
        );
      const unwritable = changed.filter((column) => columnAccess(r, a.table, column) !== "write" && column !== a.records);
      if (unwritable.length)
        problems.push(
          `${who}: approver ${role} may not write ${a.table}.${unwritable.join(`, ${a.table}.`)}, so its approvals could never apply: give it write on ${unwritable.length > 1 ? "them" : "it"}`,
        );
    }
    for (const { role } of approvalRoles(app, a.requesters)) {
      const r = app.roles.find((x) => x.name === role)!;
      if (![r, ...ancestorsOf(r)].some((x) => x.tables[a.table]?.select))
        problems.push(
          `${who}: requester ${role} has no select rule on ${a.table}, so it could not name a row: give it one, or drop it from requesters`,
        );
    }
    for (const name of [`${APPROVALS.requestPrefix}${a.name}`, `${APPROVALS.gatePrefix}${a.table}`])
      if (name.length > 63) problems.push(`${who}: ${name} would be longer than 63 characters: shorten the name`);
  }
  const participants = new Set((app.approvals ?? []).flatMap((a) => [...a.requesters, ...a.approvers].map(([r]) => r.name)));
  for (const role of participants)
    if (`${APPROVALS.policyPrefix}${role}__select`.length > 63)
      problems.push(
        `approvals: policy ${APPROVALS.policyPrefix}${role}__select would be longer than 63 characters: shorten the role name`,
      );
  const tables = new Set((app.approvals ?? []).map((a) => a.table));
  for (const name of tables) {
    const on = (app.approvals ?? []).filter((a) => a.table === name && a.records).map((a) => a.records);
    if (new Set(on).size > 1) problems.push(`approvals on ${name}: records names different columns (${on.join(", ")}): use one`);
  }
  return problems;
}
