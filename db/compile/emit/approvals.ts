import { writesSublinks } from "../../policy/define";
import { changedColumns, type ApprovalDefinition } from "../../policy/approvals";
import { parseDuration } from "../../policy/grants";
import type { RoleDefinition } from "../../policy/roles";
import type { Scope } from "../../policy/scopes";
import { doBlock, dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { describeScope } from "../describe";
import { ACTING_ROLE, HELPERS, helperIdent, requestRoles, roleIdent, roleName, tableIdent } from "../names";
import { keyArrayCall } from "../key-arrays";
import { columnTypeIn, tableOf, type Plan } from "../plan";
import type { RoleScope } from "../privileges";
import { onceWithRole, renderScope, type ScopeContext } from "../scope-sql";
import { softDeleteOf } from "../soft-delete";
import type { Statement } from "../statement";
import { restrictivePredicate } from "./policies";
import { softDeleteSettings } from "./soft-delete";

/** What approvals (`defineApp({ approvals })`) install. */
export const APPROVALS = {
  /** The requests, in the toolkit schema; app roles read them under row security and never write them. */
  table: "approval_requests",
  /** Toolkit schema, SECURITY DEFINER: files a request after checking the requester's role and scope. */
  file: "file_approval_request",
  /** Toolkit schema, SECURITY DEFINER: records a decision after checking the approver's role and scope. */
  decide: "decide_approval_request",
  /** Toolkit schema, SECURITY DEFINER trigger function per table: `approval_gate_<table>()`. */
  gatePrefix: "approval_gate_",
  /** BEFORE INSERT, UPDATE, DELETE trigger on each table with an approval; sorts before the other gatehouse triggers. */
  gateTrigger: "gatehouse_approval",
  /** Toolkit schema, SECURITY DEFINER: the deferred check that an approved request was applied. */
  appliedCheck: "check_approval_applied",
  appliedTrigger: "gatehouse_approval_applied",
  /** App schema, SECURITY INVOKER: `request_<approval>(row_id, [new values…], reason)`. */
  requestPrefix: "request_",
  approve: "approve_request",
  reject: "reject_request",
  pending: "pending_approvals",
  mine: "my_approval_requests",
  /** Select policies on the requests table: `approvals__<role>__select`. */
  policyPrefix: "approvals__",
} as const;

/** `a, b and c`. */
const words = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

/** `deleting a row of patients`, `changing dose of a row of prescriptions`, `setting status to 'approved' on …`. */
function changeWords(a: ApprovalDefinition): string {
  const c = a.change;
  if (c === "delete") return `deleting a row of ${a.table}`;
  if ("update" in c) return `changing ${words(c.update)} of a row of ${a.table}`;
  return `setting ${words(Object.entries(c.set).map(([k, v]) => `${k} to ${typeof v === "string" ? `'${v}'` : v}`))} on a row of ${a.table}`;
}

/** Columns whose values a request is made on: approving checks they still hold them. */
const watchedColumns = (a: ApprovalDefinition): string[] => [...new Set([...changedColumns(a.change), ...a.locks])];

/** The columns of a request that app roles may read (not the internal `seen` and `decided_xid`). */
const PUBLIC_COLUMNS = [
  "id",
  "kind",
  "table_name",
  "row_key",
  "action",
  "change",
  "reason",
  "requested_by",
  "requested_at",
  "expires_at",
  "status",
  "decided_by",
  "decided_at",
  "comment",
  "applied_at",
] as const;

/**
 * Approvals (DESIGN.md invariants 6 and 7): a risky change to one row is requested, and
 * applied only when someone else — an approver over that row — approves it, with the approver's own rights.
 *
 * - `<toolkit>.approval_requests`, created by the compile: RLS enabled and forced; app roles hold select on its
 *   public columns and nothing else. They see their own requests, those they decided, and those they may decide:
 *   `approvals__<role>__select` asks the request's table, under the caller's own row security, whether the row is
 *   within the role's approver scope.
 * - `<schema>.request_<approval>(row_id, [new values], reason)` (SECURITY INVOKER): the caller must see the row;
 *   then `<toolkit>.file_approval_request` (SECURITY DEFINER) checks the requester's role and scope, that the row
 *   needs the approval (`when`) and that something changes, refuses a second live request for the same change, and
 *   records the values the request is made on. It expires after `expires`.
 * - `<schema>.approve_request(request_id, comment)` (SECURITY INVOKER): the request must be visible to the caller;
 *   `<toolkit>.decide_approval_request` (SECURITY DEFINER) checks that it is pending, not expired, not the caller's
 *   own, that the caller's role and scope may decide it, and that the row still holds the values it was requested
 *   on; it records the decision (the deciding user, the time, the transaction). Then the change is applied *as the
 *   caller* — `delete` or `update` under the caller's row security and column privileges — and must have reached
 *   the row, or everything is rolled back. `reject_request` records a rejection and changes no row.
 * - A gate per table (`gatehouse_approval`, BEFORE INSERT, UPDATE, DELETE; SECURITY DEFINER trigger function):
 *   the change on rows in `when` goes through only as the application of a request the same user approved in the
 *   same transaction, which it marks applied — except for the roles in `direct`, and for the owner (migrations).
 *   It sets `records` to the approving user, refuses any other write of it, and refuses changes to `locks` once
 *   a `set` approval holds. A deferred constraint trigger refuses to commit an approval that was not applied.
 * - `<schema>.pending_approvals()` and `<schema>.my_approval_requests()` (SECURITY INVOKER, stable) list, under
 *   the caller's row security, the live requests the caller may decide, and the caller's own requests.
 */
export function emitApprovals(plan: Plan, ctx: (table: string) => ScopeContext): Statement[] {
  const { app } = plan;
  const approvals = app.approvals ?? [];
  if (approvals.length === 0) return [];
  const c = (column: string) => sql.identifier(column);
  const userId = trusted(plan.types.userId);
  const requests = helperIdent(app, APPROVALS.table);
  const target = `${app.toolkitSchema}.${APPROVALS.table}`;
  const me = sql`${helperIdent(app, HELPERS.userId)}(actor)`;
  const text = (message: string) => literal(`gatehouse: ${message}`);
  const raise = (code: "insufficient_privilege" | "invalid_parameter_value", message: SQL) =>
    sql`raise exception using errcode = ${literal(code)}, message = ${message};`;
  const columnType = (table: string, column: string) => columnTypeIn(plan, table, column);
  const keyOf = (table: string) => tableOf(plan, table).key;
  const keyType = (table: string) => trusted(columnType(table, keyOf(table)));
  /** `(<json> ->> 'id')::bigint`: the row a request names. */
  const rowOf = (table: string, json: SQL) => sql`(${json} ->> ${literal(keyOf(table))})::${keyType(table)}`;
  const asActor = (table: string, row: string): ScopeContext => ({ ...ctx(table), row, actor: sql.identifier("actor") });
  /** Whether the acting role is one of `roles` (the role set for the request, or a role-bound login's one role). */
  const actsAs = (role: string) => sql`pg_catalog.pg_has_role(actor, ${literal(roleName(app, role))}, 'usage')`;
  /** The restrictions that hide rows of `table` from `role` (a confidential flag, soft-deleted rows, …), as its row security would apply them. */
  const restrictionsOf = (table: string, role: string) =>
    sql.join(
      tableOf(plan, table)
        .restrictives.filter((n) => n.role === role && n.policies.some((p) => p.command === "select" || p.command === "all"))
        .map((n) => sql` and (${restrictivePredicate(n, asActor(table, "t"))})`),
      "",
    );
  /**
   * `case when <acts as r1> then exists (… scope of r1 and its restrictions …) … else false end`, checked as the
   * owner with the caller as actor: a direct call of the definer function reaches no row the caller's row security hides.
   */
  const reaches = (a: ApprovalDefinition, roles: readonly RoleScope[], key: SQL) =>
    roles.length === 0
      ? sql`false`
      : sql`case${sql.join(
          roles.map(
            (r) =>
              sql`\n      when ${actsAs(r.role)} then exists (select 1 from ${tableIdent(app, a.table)} as t where t.${c(keyOf(a.table))} = ${key} and ${renderScope(r.scope, asActor(a.table, "t"))}${restrictionsOf(a.table, r.role)})`,
          ),
          "",
        )}\n      else false\n    end`;
  const whenOn = (a: ApprovalDefinition, row: string) => (a.when ? renderScope(a.when, asActor(a.table, row)) : sql`true`);
  const watched = (a: ApprovalDefinition, row: string) => {
    const columns = watchedColumns(a);
    return columns.length
      ? sql`pg_catalog.jsonb_build_object(${sql.join(
          columns.map((x) => sql`${literal(x)}, ${sql.identifier(row, x)}`),
          ", ",
        )})`
      : sql`null::jsonb`;
  };
  const entryWords = (entries: readonly (readonly [RoleDefinition, Scope])[]) =>
    words(entries.map(([r, s]) => `${r.name} (${describeScope(s)})`));
  const requestFn = (a: ApprovalDefinition) => sql.identifier(app.schema, `${APPROVALS.requestPrefix}${a.name}`);
  const requestArgs = (a: ApprovalDefinition): [string, string][] => [
    ["row_id", columnType(a.table, keyOf(a.table))],
    ...(a.change !== "delete" && "update" in a.change
      ? a.change.update.map((x): [string, string] => [x, columnType(a.table, x)])
      : []),
    ["reason", "text"],
  ];
  const signature = (args: readonly [string, string][]) => trusted(args.map(([, type]) => type).join(", "));
  const roleList = (roles: readonly string[]) =>
    sql.join(
      roles.map((r) => roleIdent(app, r)),
      ", ",
    );
  const managed = sql.join([sql`public`, ...requestRoles(plan).map((r) => roleIdent(app, r))], ", ");

  const requesters = new Map(approvals.map((a) => [a.name, plan.privileges.approvals[a.name]!.requesters]));
  const approvers = new Map(approvals.map((a) => [a.name, plan.privileges.approvals[a.name]!.approvers]));
  const byName = (names: Iterable<string>) => app.roles.map((r) => r.name).filter((r) => [...names].includes(r));
  const allRequesters = byName(new Set([...requesters.values()].flatMap((l) => l.map((r) => r.role))));
  const allApprovers = byName(new Set([...approvers.values()].flatMap((l) => l.map((r) => r.role))));
  const participants = byName(new Set([...allRequesters, ...allApprovers]));

  const out: Statement[] = [];

  // the requests table
  out.push(
    {
      kind: "table",
      target,
      sql: sql`${lineComment("approval requests: one risky change to one row, waiting for someone else's decision; written only by the approval functions")}
create table if not exists ${requests} (
  id bigint generated always as identity primary key,
  kind text not null,
  table_name text not null,
  row_key jsonb not null,
  action text not null check (action in ('update', 'delete')),
  change jsonb,
  seen jsonb,
  reason text not null,
  requested_by ${userId} not null,
  requested_at timestamptz not null default pg_catalog.clock_timestamp(),
  expires_at timestamptz not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  decided_by ${userId},
  decided_at timestamptz,
  decided_xid xid8,
  comment text,
  applied_at timestamptz
);
create index if not exists approval_requests_pending on ${requests} (kind, row_key) where status = 'pending';
create index if not exists approval_requests_requested_by on ${requests} (requested_by);`,
    },
    {
      kind: "rls",
      target,
      force: true,
      sql: sql`${lineComment("approval requests: row level security on, and forced")}
alter table ${requests} enable row level security;
alter table ${requests} force row level security;`,
    },
    {
      kind: "policy",
      target,
      sql: doBlock(sql`declare
  p record;
begin
  for p in
    select policyname from pg_catalog.pg_policies
     where schemaname = ${literal(app.toolkitSchema)} and tablename = ${literal(APPROVALS.table)}
     order by policyname
  loop
    execute pg_catalog.format('drop policy %I on %I.%I', p.policyname, ${literal(app.toolkitSchema)}, ${literal(APPROVALS.table)});
  end loop;
end`),
    },
  );
  const caller = onceWithRole(app, HELPERS.userId);
  for (const role of participants) {
    const decidable = approvals.flatMap((a) => {
      const entry = approvers.get(a.name)!.find((r) => r.role === role);
      if (!entry) return [];
      const row = rowOf(a.table, sql.identifier(APPROVALS.table, "row_key"));
      if (!writesSublinks(app))
        return [
          sql`(${sql.identifier(APPROVALS.table, "kind")} = ${literal(a.name)} and ${row} = any (${keyArrayCall(plan, a.table, keyOf(a.table), entry.scope, "select")}))`,
        ];
      const scope = renderScope(entry.scope, { ...ctx(a.table), row: "t" });
      return [
        sql`(${sql.identifier(APPROVALS.table, "kind")} = ${literal(a.name)} and exists (select 1 from ${tableIdent(app, a.table)} as t where t.${c(keyOf(a.table))} = ${row} and ${scope}))`,
      ];
    });
    const arms = [
      sql`${sql.identifier(APPROVALS.table, "requested_by")} = ${caller}`,
      sql`${sql.identifier(APPROVALS.table, "decided_by")} = ${caller}`,
      ...decidable,
    ];
    const decides = approvals.filter((a) => approvers.get(a.name)!.some((r) => r.role === role)).map((a) => a.name);
    out.push({
      kind: "policy",
      target,
      policies: [`${APPROVALS.policyPrefix}${role}__select`],
      sql: sql`${lineComment(`${role} sees the approval requests they made or decided${decides.length ? `, and those of ${words(decides)} on rows they see and may approve` : ""} (from approvals in defineApp)`)}
create policy ${sql.identifier(`${APPROVALS.policyPrefix}${role}__select`)} on ${requests}
  as permissive for select to ${roleIdent(app, role)}
  using (
    ${caller} is not null
    and (${sql.join(arms, "\n      or ")})
  );`,
    });
  }
  out.push({
    kind: "grant",
    target,
    sql: sql`${lineComment("approval requests: app roles only read them (not seen and decided_xid); the approval functions write them")}
revoke all on table ${requests} from ${managed};
grant select (${sql.join(
      PUBLIC_COLUMNS.map((x) => c(x)),
      ", ",
    )}) on table ${requests} to ${roleList(participants)};`,
  });

  // filing a request (SECURITY DEFINER): the requester's role and scope, the row's need, the change, no duplicate
  const fileBranches = approvals.map((a) => {
    const t = tableIdent(app, a.table);
    const key = rowOf(a.table, sql`request_row`);
    const change = a.change;
    const cols = changedColumns(change);
    const normalized =
      change === "delete"
        ? sql`null::jsonb`
        : "update" in change
          ? sql`pg_catalog.jsonb_build_object(${sql.join(
              change.update.map(
                (x) => sql`${literal(x)}, (pg_catalog.jsonb_populate_record(null::${t}, requested_change)).${c(x)}`,
              ),
              ", ",
            )})`
          : sql`${literal(JSON.stringify(change.set))}::jsonb`;
    const same =
      change === "delete"
        ? sql`false`
        : sql.join(
            cols.map(
              (x) => sql`t.${c(x)} is not distinct from (pg_catalog.jsonb_populate_record(null::${t}, normalized)).${c(x)}`,
            ),
            " and ",
          );
    const checkKeys =
      change !== "delete" && "update" in change
        ? sql`
    if requested_change is null or pg_catalog.jsonb_typeof(requested_change) <> 'object'
       or (select pg_catalog.array_agg(k order by k) from pg_catalog.jsonb_object_keys(requested_change) k)
          is distinct from array[${sql.join(
            [...change.update].sort().map((x) => literal(x)),
            ", ",
          )}]::text[] then
      ${raise("invalid_parameter_value", text(`${a.name} asks for new values of ${words(change.update)}, and nothing else`))}
    end if;`
        : sql.blank;
    const interval = parseDuration(a.expires);
    if (typeof interval === "string") throw new Error(`approval ${a.name}: expires ${interval}`);
    return sql`if request_kind = ${literal(a.name)} then
    if not (${reaches(a, requesters.get(a.name)!, key)}) then
      ${raise(
        "insufficient_privilege",
        sql`pg_catalog.format(${text(`you may not request ${a.name} for row %s of ${a.table}: only ${entryWords(a.requesters)} may`)}, ${key})`,
      )}
    end if;${checkKeys}
    normalized := ${normalized};
    select ${whenOn(a, "t")}, ${same}, ${watched(a, "t")} into needed, unchanged, watched_values from ${t} as t where t.${c(keyOf(a.table))} = ${key};${
      a.when
        ? sql`
    if needed is not true then
      ${raise(
        "invalid_parameter_value",
        sql`pg_catalog.format(${text(`${a.name} is only for rows of ${a.table} where ${describeScope(a.when)}: row %s needs no approval, change it yourself`)}, ${key})`,
      )}
    end if;`
        : sql.blank
    }${
      change === "delete"
        ? sql.blank
        : sql`
    if unchanged then
      ${raise("invalid_parameter_value", sql`pg_catalog.format(${text(`row %s of ${a.table} already holds what ${a.name} asks for`)}, ${key})`)}
    end if;`
    }
    made.table_name := ${literal(a.table)};
    made.row_key := pg_catalog.jsonb_build_object(${literal(keyOf(a.table))}, ${key});
    made.action := ${literal(change === "delete" ? "delete" : "update")};
    made.expires_at := made.requested_at + interval ${literal(interval.interval)};`;
  });
  const fileFn = helperIdent(app, APPROVALS.file);
  const fileArgs = ["text", "jsonb", "jsonb", "text"];
  out.push(
    {
      kind: "function",
      fn: { name: APPROVALS.file, argTypes: fileArgs, securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment(`approvals: files a request after checking, as the owner, the caller's requester role and scope, the row's need for it and the change; called by ${app.schema}.request_<approval>`)}
create or replace function ${fileFn}(request_kind text, request_row jsonb, requested_change jsonb, request_reason text)
  returns ${requests}
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  actor name := ${ACTING_ROLE};
  me ${userId} := ${me};
  made ${requests};
  normalized jsonb;
  needed boolean;
  unchanged boolean;
  watched_values jsonb;
  live bigint;
begin
  if me is null then
    ${raise("insufficient_privilege", text("only a known, active user may request an approval"))}
  end if;
  if coalesce(pg_catalog.btrim(request_reason), '') = '' then
    ${raise("invalid_parameter_value", text("say why (reason)"))}
  end if;
  made.requested_at := pg_catalog.clock_timestamp();
  ${sql.join(fileBranches, "\n  els")}
  else
    ${raise("invalid_parameter_value", sql`pg_catalog.format(${text(`there is no approval %L: ${words(approvals.map((a) => a.name))} are`)}, request_kind)`)}
  end if;
  select r.id into live from ${requests} r
   where r.kind = request_kind and r.row_key = made.row_key and r.status = 'pending' and r.expires_at > pg_catalog.clock_timestamp()
   limit 1;
  if live is not null then
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text("request %s already asks for %s on this row: wait for its decision")}, live, request_kind)`)}
  end if;
  insert into ${requests} (kind, table_name, row_key, action, change, seen, reason, requested_by, requested_at, expires_at)
  values (request_kind, made.table_name, made.row_key, made.action, normalized, watched_values, request_reason, me, made.requested_at, made.expires_at)
  returning * into made;
  return made;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${APPROVALS.file}`],
      sql: sql`revoke all on function ${fileFn}(${signature(fileArgs.map((x) => ["", x]))}) from ${managed};
grant execute on function ${fileFn}(${signature(fileArgs.map((x) => ["", x]))}) to ${roleList(allRequesters)};`,
    },
  );

  // deciding a request (SECURITY DEFINER): the approver's role and scope first — a caller outside them learns no more
  // about the request (its kind, row, status, expiry, requester) than about a request that does not exist — then
  // pending, not one's own, live, and the row unchanged
  const scopeBranches = approvals.map((a) => {
    const key = rowOf(a.table, sql`req.row_key`);
    return sql`if req.kind = ${literal(a.name)} then
    if not (${reaches(a, approvers.get(a.name)!, key)}) then
      ${raise("insufficient_privilege", sql`pg_catalog.format(${text("no approval request %s that you may decide")}, request_id)`)}
    end if;`;
  });
  const unchangedBranches = approvals.map((a) => {
    const key = rowOf(a.table, sql`req.row_key`);
    return sql`if req.kind = ${literal(a.name)} then
    select ${whenOn(a, "t")}, ${watched(a, "t")} into needed, watched_values from ${tableIdent(app, a.table)} as t where t.${c(keyOf(a.table))} = ${key};
    if needed is not true or watched_values is distinct from req.seen then
      ${raise(
        "insufficient_privilege",
        sql`pg_catalog.format(${text(`row %s of ${a.table} has changed since request %s was made: reject it, and ask again`)}, ${key}, req.id)`,
      )}
    end if;`;
  });
  const decideFn = helperIdent(app, APPROVALS.decide);
  const decideArgs = ["bigint", "text", "text"];
  out.push(
    {
      kind: "function",
      fn: { name: APPROVALS.decide, argTypes: decideArgs, securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment(`approvals: records a decision after checking, as the owner, that the request is pending, live and not the caller's own, and the caller's approver role and scope; called by ${app.schema}.approve_request and reject_request`)}
create or replace function ${decideFn}(request_id bigint, verdict text, note text)
  returns ${requests}
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  actor name := ${ACTING_ROLE};
  me ${userId} := ${me};
  req ${requests};
  needed boolean;
  watched_values jsonb;
begin
  if me is null then
    ${raise("insufficient_privilege", text("only a known, active user may decide an approval request"))}
  end if;
  if verdict is null or verdict not in ('approved', 'rejected') then
    ${raise("invalid_parameter_value", text("a decision is approved or rejected"))}
  end if;
  select * into req from ${requests} r where r.id = request_id for update;
  if not found then
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text("no approval request %s that you may decide")}, request_id)`)}
  end if;
  ${sql.join(scopeBranches, "\n  els")}
  else
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text("no approval request %s that you may decide")}, request_id)`)}
  end if;
  if req.status <> 'pending' then
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text("approval request %s is already %s: a request is decided once")}, req.id, req.status)`)}
  end if;
  if req.requested_by = me then
    ${raise("insufficient_privilege", text("nobody decides their own request: another approver must"))}
  end if;
  if req.expires_at <= pg_catalog.clock_timestamp() then
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text("approval request %s expired at %s: ask again")}, req.id, req.expires_at)`)}
  end if;
  if verdict = 'approved' then
    ${sql.join(unchangedBranches, "\n    els")}
    end if;
  end if;
  update ${requests} r
     set status = verdict, decided_by = me, decided_at = pg_catalog.clock_timestamp(), comment = note,
         decided_xid = case when verdict = 'approved' then pg_catalog.pg_current_xact_id() end
   where r.id = request_id
   returning * into req;
  return req;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${APPROVALS.decide}`],
      sql: sql`revoke all on function ${decideFn}(${signature(decideArgs.map((x) => ["", x]))}) from ${managed};
grant execute on function ${decideFn}(${signature(decideArgs.map((x) => ["", x]))}) to ${roleList(allApprovers)};`,
    },
  );

  // an approval is applied in the transaction that approved it, or not at all
  const appliedFn = helperIdent(app, APPROVALS.appliedCheck);
  out.push(
    {
      kind: "function",
      fn: { name: APPROVALS.appliedCheck, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment("approvals: at commit, an approved request must have been applied (approve through approve_request)")}
create or replace function ${appliedFn}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  perform 1 from ${requests} r where r.id = new.id and r.status = 'approved' and r.applied_at is null;
  if found then
    ${raise(
      "insufficient_privilege",
      sql`pg_catalog.format(${text(`approval request %s was approved but its change was not applied: approve with ${app.schema}.${APPROVALS.approve}(request_id, comment)`)}, new.id)`,
    )}
  end if;
  return null;
end`)};`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${APPROVALS.appliedCheck}`],
      sql: sql`revoke all on function ${appliedFn}() from ${managed};`,
    },
    {
      kind: "table",
      target,
      sql: sql`drop trigger if exists ${sql.identifier(APPROVALS.appliedTrigger)} on ${requests};
create constraint trigger ${sql.identifier(APPROVALS.appliedTrigger)} after update on ${requests}
  deferrable initially deferred
  for each row when (new.status = 'approved' and new.applied_at is null) execute function ${appliedFn}();`,
    },
  );

  // the gate on each table with an approval
  for (const table of [...new Set(approvals.map((a) => a.table))].sort()) {
    const onTable = approvals.filter((a) => a.table === table);
    const key = keyOf(table);
    const t = tableIdent(app, table);
    const oldKey = sql`pg_catalog.jsonb_build_object(${literal(key)}, old.${c(key)})`;
    const records = onTable.find((a) => a.records)?.records;
    const claim = (
      a: ApprovalDefinition,
      extra: SQL = sql.blank,
    ) => sql`update ${requests} r set applied_at = pg_catalog.clock_timestamp()
     where r.kind = ${literal(a.name)} and r.row_key = ${oldKey} and r.status = 'approved' and r.applied_at is null
       and r.decided_xid = pg_catalog.pg_current_xact_id() and r.decided_by = me${extra}
    returning r.id into applied;`;
    /** When a write without an approval is refused: the actor is not a direct writer, and (for updates and deletes) the old row is in `when`. */
    const refusedWhen = (a: ApprovalDefinition, onOld: boolean): SQL | undefined => {
      const direct = plan.privileges.approvals[a.name]!.direct;
      if (direct === "everyone") return undefined;
      const parts = [
        ...(direct === "nobody" ? [] : [sql`not (${sql.join(direct.map(actsAs), " or ")})`]),
        ...(a.when ? [onOld ? sql`(${whenOn(a, "old")})` : sql`(tg_op = 'INSERT' or (${whenOn(a, "old")}))`] : []),
      ];
      return sql.join([sql`applied is null`, ...parts], " and ");
    };
    const refuse = (a: ApprovalDefinition) => {
      const args = requestArgs(a).map(([n]) => n);
      const roles = words(approvers.get(a.name)!.map((r) => r.role));
      return raise(
        "insufficient_privilege",
        sql`pg_catalog.format(${text(`${changeWords(a)}${a.when ? ` where ${describeScope(a.when)}` : ""} needs an approved request (row %s): ask with ${app.schema}.${APPROVALS.requestPrefix}${a.name}(${args.join(", ")}); ${roles} approve`)}, old.${c(key)})`,
      );
    };
    const blocks = onTable.map((a) => {
      const change = a.change;
      if (change === "delete") {
        const refused = refusedWhen(a, true);
        return sql`if tg_op = 'DELETE' then
    ${claim(a)}${
      refused
        ? sql`
    if ${refused} then
      ${refuse(a)}
    end if;`
        : sql.blank
    }
  end if;`;
      }
      if ("update" in change) {
        const differs = sql.join(
          change.update.map((x) => sql`old.${c(x)} is distinct from new.${c(x)}`),
          " or ",
        );
        const matches = sql.join(
          change.update.map(
            (x) =>
              sql`\n       and (pg_catalog.jsonb_populate_record(null::${t}, r.change)).${c(x)} is not distinct from new.${c(x)}`,
          ),
          "",
        );
        const refused = refusedWhen(a, true);
        return sql`if tg_op = 'UPDATE' and (${differs}) then
    ${claim(a, matches)}${
      a.records
        ? sql`
    if applied is not null then
      new.${c(a.records)} := me;
      recorded := true;
    end if;`
        : sql.blank
    }${
      refused
        ? sql`
    if ${refused} then
      ${refuse(a)}
    end if;`
        : sql.blank
    }
  end if;`;
      }
      const holds = (row: string) =>
        sql.join(
          Object.entries(change.set).map(([x, v]) => sql`${sql.identifier(row, x)} is not distinct from ${literal(v)}`),
          " and ",
        );
      const lockedColumns = [...new Set([...a.locks, ...Object.keys(change.set), ...(a.records ? [a.records] : [])])];
      const lock = a.locks.length
        ? sql`
  if tg_op = 'UPDATE' and ${holds("old")} and (${sql.join(
    lockedColumns.map((x) => sql`old.${c(x)} is distinct from new.${c(x)}`),
    " or ",
  )}) then
    ${raise(
      "insufficient_privilege",
      sql`pg_catalog.format(${text(`row %s of ${table} is approved (${a.name}): its ${words(lockedColumns)} no longer change`)}, old.${c(key)})`,
    )}
  end if;`
        : sql.blank;
      const refused = refusedWhen(a, false);
      return sql`if tg_op in ('INSERT', 'UPDATE') and ${holds("new")} and (tg_op = 'INSERT' or not (${holds("old")})) then
    if tg_op = 'UPDATE' then
      ${claim(a)}
    end if;${
      a.records
        ? sql`
    if applied is not null then
      new.${c(a.records)} := me;
      recorded := true;
    end if;`
        : sql.blank
    }${
      refused
        ? sql`
    if ${refused} then
      ${raise(
        "insufficient_privilege",
        sql`pg_catalog.format(${text(
          `${changeWords(a)}${a.when ? ` where ${describeScope(a.when)}` : ""} needs an approved request (row %s): ask with ${app.schema}.${APPROVALS.requestPrefix}${a.name}(${requestArgs(
            a,
          )
            .map(([n]) => n)
            .join(", ")}); ${words(approvers.get(a.name)!.map((r) => r.role))} approve`,
        )}, new.${c(key)})`,
      )}
    end if;`
        : sql.blank
    }
  end if;${lock}`;
    });
    const recordGuard = records
      ? sql`
  if not recorded and tg_op <> 'DELETE' and (case when tg_op = 'INSERT' then new.${c(records)} is not null else old.${c(records)} is distinct from new.${c(records)} end) then
    ${raise("insufficient_privilege", text(`${table}.${records} records who approved: only an approval sets it`))}
  end if;`
      : sql.blank;
    const gateName = `${APPROVALS.gatePrefix}${table}`;
    const gateFn = helperIdent(app, gateName);
    out.push(
      {
        kind: "function",
        fn: { name: gateName, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
        sql: sql`${lineComment(`${table}: the approval gate of ${words(onTable.map((a) => a.name))}: a gated change goes through only as the application of a request the same user approved in this transaction${records ? `, which records them in ${records}` : ""}`)}
create or replace function ${gateFn}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  actor name := ${ACTING_ROLE};
  me ${userId} := ${me};
  applied bigint;${
    records
      ? sql`
  recorded boolean := false;`
      : sql.blank
  }
begin
  if me is null then
    -- the owner's migrations and seeds; an app role without a known, active user reaches no row anyway
    if tg_op = 'DELETE' then
      return old;
    end if;
    return new;
  end if;
  ${sql.join(blocks, "\n  applied := null;\n  ")}${recordGuard}
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${gateName}`],
        sql: sql`revoke all on function ${gateFn}() from ${managed};`,
      },
      {
        kind: "table",
        target: table,
        sql: sql`${lineComment(`${table}: the approval gate runs before every other gatehouse trigger (triggers fire in name order)`)}
create or replace trigger ${sql.identifier(APPROVALS.gateTrigger)} before insert or update or delete on ${t}
  for each row execute function ${gateFn}();`,
      },
    );
  }

  // the operations in the app schema, all SECURITY INVOKER
  const asJson = (id: SQL) =>
    sql`(select pg_catalog.to_jsonb(x) from (select ${sql.join(
      PUBLIC_COLUMNS.map((x) => sql`r.${c(x)}`),
      ", ",
    )} from ${requests} r where r.id = ${id}) x)`;
  for (const a of approvals) {
    const args = requestArgs(a);
    const t = tableIdent(app, a.table);
    const change =
      a.change !== "delete" && "update" in a.change
        ? sql`pg_catalog.jsonb_build_object(${sql.join(
            a.change.update.map((x, i) => sql`${literal(x)}, ${trusted(`$${i + 2}`)}`),
            ", ",
          )})`
        : sql`null::jsonb`;
    const reasonArg = trusted(`$${args.length}`);
    out.push(
      {
        kind: "function",
        fn: {
          schema: app.schema,
          name: `${APPROVALS.requestPrefix}${a.name}`,
          argTypes: args.map(([, type]) => type),
          securityDefiner: false,
          volatility: "volatile",
          searchPath: true,
        },
        sql: sql`${lineComment(`approval ${a.name}: asks for ${changeWords(a)}; ${words(approvers.get(a.name)!.map((r) => r.role))} decide within ${a.expires}; runs with the caller's rights`)}
create or replace function ${requestFn(a)}(${trusted(args.map(([n, type]) => `${n} ${type}`).join(", "))})
  returns jsonb
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  made ${requests};
begin
  perform 1 from ${t} as t where t.${c(keyOf(a.table))} = $1;
  if not found then
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text(`no row %s of ${a.table} that you can see`)}, $1)`)}
  end if;
  made := ${fileFn}(${literal(a.name)}, pg_catalog.jsonb_build_object(${literal(keyOf(a.table))}, $1), ${change}, ${reasonArg});
  return ${asJson(sql`made.id`)};
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.schema}.${APPROVALS.requestPrefix}${a.name}`],
        sql: sql`revoke all on function ${requestFn(a)}(${signature(args)}) from ${managed};
grant execute on function ${requestFn(a)}(${signature(args)}) to ${roleList(requesters.get(a.name)!.map((r) => r.role))};`,
      },
    );
  }

  const applyBranches = approvals.map((a) => {
    const t = tableIdent(app, a.table);
    const key = rowOf(a.table, sql`req.row_key`);
    const where = sql`where t.${c(keyOf(a.table))} = ${key}`;
    const change = a.change;
    // on a soft-delete table the delete only marks the row, with the request's reason as why
    const reason = literal(softDeleteSettings(app).reason);
    const statement =
      change === "delete"
        ? softDeleteOf(app, a.table)
          ? sql`perform pg_catalog.set_config(${reason}, pg_catalog.format('%s (approval request %s)', req.reason, req.id), true);
    delete from ${t} as t ${where};
    perform pg_catalog.set_config(${reason}, '', true);`
          : sql`delete from ${t} as t ${where};`
        : "update" in change
          ? sql`update ${t} as t set ${sql.join(
              change.update.map((x) => sql`${c(x)} = (pg_catalog.jsonb_populate_record(null::${t}, req.change)).${c(x)}`),
              ", ",
            )} ${where};`
          : sql`update ${t} as t set ${sql.join(
              Object.entries(change.set).map(([x, v]) => sql`${c(x)} = ${literal(v)}`),
              ", ",
            )} ${where};`;
    return sql`if req.kind = ${literal(a.name)} then
    row_label := req.row_key ->> ${literal(keyOf(a.table))};
    ${statement}`;
  });
  const approveFn = sql.identifier(app.schema, APPROVALS.approve);
  const rejectFn = sql.identifier(app.schema, APPROVALS.reject);
  const decideArgsSql = trusted("bigint, text");
  const visible = sql`perform 1 from ${requests} r where r.id = $1;
  if not found then
    ${raise("insufficient_privilege", sql`pg_catalog.format(${text("no approval request %s that you may decide")}, $1)`)}
  end if;`;
  out.push(
    {
      kind: "function",
      fn: {
        schema: app.schema,
        name: APPROVALS.approve,
        argTypes: ["bigint", "text"],
        securityDefiner: false,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment("approvals: approve a request and apply its change with the approver's own rights (row security, column privileges); all or nothing")}
create or replace function ${approveFn}(request_id bigint, comment text default null)
  returns jsonb
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  req ${requests};
  row_label text;
  done boolean;
begin
  ${visible}
  req := ${decideFn}($1, 'approved', $2);
  ${sql.join(applyBranches, "\n  els")}
  end if;
  select r.applied_at is not null into done from ${requests} r where r.id = $1;
  if done is not true then
    ${raise(
      "insufficient_privilege",
      sql`pg_catalog.format(${text("you cannot make this change to row %s of %s yourself, so you cannot approve request %s: an approval applies the change with the approver's own rights")}, row_label, req.table_name, req.id)`,
    )}
  end if;
  return ${asJson(sql`$1`)};
end`)};`,
    },
    {
      kind: "function",
      fn: {
        schema: app.schema,
        name: APPROVALS.reject,
        argTypes: ["bigint", "text"],
        securityDefiner: false,
        volatility: "volatile",
        searchPath: true,
      },
      sql: sql`${lineComment("approvals: reject a request; its row stays as it is")}
create or replace function ${rejectFn}(request_id bigint, comment text default null)
  returns jsonb
  language plpgsql volatile security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  ${visible}
  perform ${decideFn}($1, 'rejected', $2);
  return ${asJson(sql`$1`)};
end`)};`,
    },
  );
  const listing = (name: string, why: string, where: SQL): Statement => ({
    kind: "function",
    fn: { schema: app.schema, name, argTypes: [], securityDefiner: false, volatility: "stable", searchPath: true },
    sql: sql`${lineComment(why)}
create or replace function ${sql.identifier(app.schema, name)}()
  returns table (id bigint, kind text, table_name text, row_key jsonb, action text, change jsonb, reason text,
                 requested_by ${userId}, requested_at timestamptz, expires_at timestamptz, status text,
                 decided_by ${userId}, decided_at timestamptz, comment text)
  language sql stable security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`select r.id, r.kind, r.table_name, r.row_key, r.action, r.change, r.reason, r.requested_by, r.requested_at, r.expires_at,
       case when r.status = 'pending' and r.expires_at <= pg_catalog.clock_timestamp() then 'expired' else r.status end,
       r.decided_by, r.decided_at, r.comment
  from ${requests} r
 where ${where}
 order by r.id`)};`,
  });
  const mine = sql`${helperIdent(app, HELPERS.userId)}(current_user)`;
  out.push(
    listing(
      APPROVALS.pending,
      "approvals: the live requests the caller may decide (row security on the requests decides which), oldest first",
      sql`r.status = 'pending' and r.expires_at > pg_catalog.clock_timestamp() and r.requested_by is distinct from ${mine}`,
    ),
    listing(
      APPROVALS.mine,
      "approvals: the requests the caller made, with their decisions; expired ones say so",
      sql`r.requested_by = ${mine}`,
    ),
    {
      kind: "grant",
      revokes: [APPROVALS.approve, APPROVALS.reject, APPROVALS.pending, APPROVALS.mine].map((name) => `${app.schema}.${name}`),
      sql: sql`${lineComment(`approvals: ${words(allApprovers)} decide; every requester and approver lists their own requests`)}
revoke all on function ${approveFn}(${decideArgsSql}) from ${managed};
revoke all on function ${rejectFn}(${decideArgsSql}) from ${managed};
revoke all on function ${sql.identifier(app.schema, APPROVALS.pending)}() from ${managed};
revoke all on function ${sql.identifier(app.schema, APPROVALS.mine)}() from ${managed};
grant execute on function ${approveFn}(${decideArgsSql}), ${rejectFn}(${decideArgsSql}), ${sql.identifier(app.schema, APPROVALS.pending)}() to ${roleList(allApprovers)};
grant execute on function ${sql.identifier(app.schema, APPROVALS.mine)}() to ${roleList(participants)};`,
    },
  );
  return out;
}

/**
 * The access matrix's section on approvals: per approval, what it changes, on which rows, who requests, who
 * approves, how long a request waits, who may still change it directly, and what it records and locks.
 *
 * @example
 * lines.push(...approvalsMatrix(plan));
 */
export function approvalsMatrix(plan: Plan): string[] {
  const { app } = plan;
  const approvals = app.approvals ?? [];
  if (approvals.length === 0) return [];
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const grouped = (roles: readonly RoleScope[]) => {
    const byScope = new Map<string, string[]>();
    for (const r of roles) {
      const words = describeScope(r.scope);
      byScope.set(words, [...(byScope.get(words) ?? []), r.role]);
    }
    return [...byScope.entries()].map(([scope, rs]) => `${rs.join(", ")}: ${scope}`).join("; ");
  };
  const lines = [
    "## Approvals",
    "",
    `A request asks for one change to one row (\`${app.schema}.request_<approval>(row_id, …, reason)\`) and waits in`,
    `\`${app.toolkitSchema}.${APPROVALS.table}\`; an approver who is not the requester decides it before it expires:`,
    `\`${app.schema}.${APPROVALS.approve}(request_id, comment)\` applies the change with the approver's own rights,`,
    `\`${app.schema}.${APPROVALS.reject}(request_id, comment)\` leaves the row as it is. \`${app.schema}.${APPROVALS.pending}()\` lists what`,
    `the caller may decide, \`${app.schema}.${APPROVALS.mine}()\` what they asked for.`,
    "",
    "| approval | change | needs approval on | requested by | approved by | expires | changed directly by |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const a of approvals) {
    const direct = plan.privileges.approvals[a.name]!.direct;
    lines.push(
      `| ${a.name} | ${cell(changeWords(a))} | ${cell(a.when ? describeScope(a.when) : "every row")} | ${cell(grouped(plan.privileges.approvals[a.name]!.requesters))} | ${cell(grouped(plan.privileges.approvals[a.name]!.approvers))} | ${a.expires} | ${direct === "nobody" ? "nobody" : direct === "everyone" ? "anyone their own rules let" : direct.join(", ")} |`,
    );
  }
  lines.push("");
  for (const a of approvals) {
    if (a.records) lines.push(`- ${a.name} records the approving user in ${a.table}.${a.records}, which no role may write.`);
    if (a.locks.length && a.change !== "delete" && "set" in a.change)
      lines.push(
        `- once ${a.name} holds, ${a.table}.${[...new Set([...a.locks, ...Object.keys(a.change.set), ...(a.records ? [a.records] : [])])].join(", ")} no longer change, for every role.`,
      );
  }
  lines.push("");
  return lines;
}
