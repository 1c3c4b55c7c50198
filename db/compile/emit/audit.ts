import { doBlock, dollarQuoted, lineComment, literal, type SQL, sql, toDdl, trusted } from "../../sql/ddl";
import { ACTING_ROLE, HELPERS, helperIdent, roleIdent, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";
import { onceWithRole } from "../scope-sql";
import { isSealed, maskExpression } from "./masks";

/** The audit trail's objects in the toolkit schema, and its triggers. */
export const AUDIT = {
  table: "audit_log",
  head: "audit_head",
  /** After each row written to an app table: records it. */
  rowTrigger: "gatehouse_audit",
  /** Before each write statement on an app table: takes the chain head (and records a truncate). */
  statementTrigger: "gatehouse_audit_statement",
  /** On the audit trail itself: refuses update, delete and truncate. */
  appendOnlyTrigger: "gatehouse_append_only",
  rowFunction: "audit_row",
  statementFunction: "audit_statement",
  appendOnlyFunction: "audit_append_only",
  /** Deferred, on the chain head: as a writing transaction commits, records where it left the chain. */
  commitTrigger: "gatehouse_audit_commit",
  commitFunction: "audit_commit",
  append: "audit_append",
  hash: "audit_hash",
  masked: "audit_masked",
  pause: "audit_pause",
} as const;

/** The transaction-local setting `audit_pause` sets; it counts only beside the pause row it recorded. */
const pauseSetting = (plan: Plan): string => `${plan.app.toolkitSchema}.audit_paused`;

type Fn = NonNullable<Statement["fn"]>;

/** A function statement; every audit function has `search_path` fixed and is revoked from PUBLIC below. */
function auditFunction(fn: Omit<Fn, "searchPath">, why: string, body: SQL): Statement {
  return { kind: "function", fn: { ...fn, searchPath: true }, sql: sql`${lineComment(why)}\n${body}` };
}

/**
 * The tamper-evident audit trail, written by every role (the owner and superusers too):
 *
 * - `audit_log`: one row per inserted, updated or deleted row of an app table (and per truncate): who
 *   (user id, acting role, login, channel), what (table, operation, primary key as json, the changed
 *   columns' old and new values, masked columns through their mask), when, the transaction id, and a
 *   sha256 `hash` over the row and the previous row's hash (`prev_hash`). Its ids are the chain positions
 *   1, 2, 3… without gaps. No role holds update or delete; a trigger refuses them and truncate to
 *   everyone, the owner included; readers read it.
 * - `audit_head`: the chain head. Every writing transaction updates it before its first write statement
 *   and so holds it until it ends: rows are chained in commit order and concurrent writers cannot fork the
 *   chain (a repeatable-read writer that raced another gets a serialization failure). At commit a deferred
 *   trigger records there the id and hash the transaction left the chain at; the next one chains from it.
 * - `audit_pause(reason)`: for a bulk load, run by the owner or a superuser: records a pause row, after
 *   which that transaction's writes by a role that may pause go unrecorded. PUBLIC may not execute it, and
 *   the setting it leaves counts only beside that pause row, which no other role can write.
 *
 * @example
 * const statements = emitAudit(plan); // [] when the app declares no `audit`
 */
export function emitAudit(plan: Plan): Statement[] {
  const { app } = plan;
  const audit = app.audit;
  if (!audit) return [];
  const fn = (name: string) => helperIdent(app, name);
  const log = fn(AUDIT.table);
  const head = fn(AUDIT.head);
  const logName = `${app.toolkitSchema}.${AUDIT.table}`;
  const headName = `${app.toolkitSchema}.${AUDIT.head}`;
  const readers = audit.readers.map((r) => roleIdent(app, r.name));
  // inline in both triggers (a call per row costs more than the check): first the setting, a cheap test anyone
  // could pass; then what decides, the pause row only the owner's audit_pause writes, and whether the writer may pause
  const returnIfPaused = sql`if pg_catalog.current_setting(${literal(pauseSetting(plan))}, true) = pg_catalog.pg_current_xact_id_if_assigned()::text then
    if pg_catalog.has_function_privilege(${ACTING_ROLE}, ${literal(`${toDdl(fn(AUDIT.pause))}(text)`)}, 'execute')
       and exists (select 1 from ${log} l where l.txid = pg_catalog.pg_current_xact_id() and l.operation = 'pause') then
      return null;
    end if;
  end if;`;
  // the append lock: the head row, updated once by each writing transaction and so locked until it ends; a
  // repeatable-read transaction whose snapshot missed another's appends fails here instead of forking the chain
  const lockHead = sql`update ${head} set holder = pg_catalog.pg_current_xact_id() where holder is distinct from pg_catalog.pg_current_xact_id();`;

  const out: Statement[] = [
    {
      kind: "table",
      target: logName,
      sql: sql`${lineComment("an audit trail from before hash chaining (old_row and new_row columns): kept as audit_log_unchained if it has rows, else dropped")}
${doBlock(sql`begin
  if exists (select 1 from pg_catalog.pg_attribute
              where attrelid = pg_catalog.to_regclass(${literal(toDdl(log))}) and attname = 'old_row' and not attisdropped) then
    if exists (select 1 from ${log}) then
      alter table ${log} rename to ${sql.identifier(`${AUDIT.table}_unchained`)};
      alter index ${fn(`${AUDIT.table}_pkey`)} rename to ${sql.identifier(`${AUDIT.table}_unchained_pkey`)};
      alter index ${fn(`${AUDIT.table}_table_row`)} rename to ${sql.identifier(`${AUDIT.table}_unchained_table_row`)};
    else
      drop table ${log};
    end if;
  end if;
end`)}

${lineComment(`the audit trail: every write to a table of ${app.schema}, by any role, hash-chained in commit order; append-only for everyone`)}
create table if not exists ${log} (
  id bigint primary key check (id > 0),
  at timestamptz not null,
  txid xid8 not null,
  user_id ${trusted(plan.types.userId)},
  acting_role name not null,
  login name not null,
  channel text,
  table_name text,
  operation text not null,
  row_key jsonb,
  old_values jsonb,
  new_values jsonb,
  reason text,
  prev_hash text,
  hash text not null
);
-- the kinds of entry: row writes, truncates, pauses, reveals, exports, views as someone else (replaced on every apply, so a new kind can be added)
alter table ${log} drop constraint if exists audit_log_operation_check;
alter table ${log} add constraint audit_log_operation_check
  check (operation in ('insert', 'update', 'delete', 'truncate', 'pause', 'reveal', 'export', 'view_as'));
create index if not exists audit_log_table_name_row_key_idx on ${log} (table_name, row_key);
create index if not exists audit_log_pause_idx on ${log} (txid) where operation = 'pause';

${lineComment("the chain head: the last committed audit row's id and hash, and the writing transaction that holds it until it ends")}
create table if not exists ${head} (
  singleton boolean primary key default true check (singleton),
  id bigint not null,
  hash text,
  holder xid8
);
insert into ${head} (id, hash)
  select coalesce(pg_catalog.max(l.id), 0), (select last.hash from ${log} last order by last.id desc limit 1) from ${log} l
  on conflict do nothing;`,
    },
    {
      kind: "rls",
      target: logName,
      force: true,
      sql: sql`alter table ${log} enable row level security;
alter table ${log} force row level security;`,
    },
    {
      kind: "rls",
      target: headName,
      force: true,
      sql: sql`alter table ${head} enable row level security;
alter table ${head} force row level security;`,
    },
    {
      kind: "policy",
      target: logName,
      policies: ["audit__append"],
      sql: sql`drop policy if exists audit__append on ${log};
drop policy if exists audit__read on ${log};
${lineComment("only the audit functions (as the owner) insert; no app role holds insert, update or delete")}
create policy audit__append on ${log} as permissive for insert to public with check (true);`,
    },
  ];
  if (readers.length) {
    out.push({
      kind: "policy",
      target: logName,
      policies: ["audit__read"],
      sql: sql`${lineComment(`${audit.readers.map((r) => r.name).join(", ")} may read the audit trail (from audit.readers)`)}
create policy audit__read on ${log} as permissive for select to ${sql.join(readers, ", ")}
  using (${onceWithRole(app, HELPERS.userId)} is not null);`,
    });
  }

  out.push(
    auditFunction(
      { name: AUDIT.appendOnlyFunction, argTypes: [], securityDefiner: false, volatility: "volatile" },
      "refuses every update, delete and truncate of the audit trail, whoever asks (the owner too)",
      sql`create or replace function ${fn(AUDIT.appendOnlyFunction)}() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  raise exception '% is append-only: % refused', ${literal(logName)}, pg_catalog.lower(tg_op)
    using errcode = 'insufficient_privilege';
end`)};`,
    ),
    {
      kind: "table",
      target: logName,
      sql: sql`${lineComment("the audit trail is append-only: this trigger fires always, in replica mode too; only disabling it by hand gets past it")}
create or replace trigger ${sql.identifier(AUDIT.appendOnlyTrigger)} before update or delete or truncate on ${log}
  for each statement execute function ${fn(AUDIT.appendOnlyFunction)}();
alter table ${log} enable always trigger ${sql.identifier(AUDIT.appendOnlyTrigger)};`,
    },
    auditFunction(
      { name: AUDIT.hash, argTypes: [toDdl(log)], securityDefiner: false, volatility: "stable" },
      "an audit row's hash: sha256 over a canonical json array of its content, its position and the previous row's hash",
      sql`create or replace function ${fn(AUDIT.hash)}(entry ${log}) returns text
  language sql stable parallel safe
  set search_path = pg_catalog, pg_temp
  return pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
    entry.id, pg_catalog.to_char(entry.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), entry.txid::text,
    entry.user_id, entry.acting_role, entry.login, entry.channel, entry.table_name, entry.operation, entry.row_key,
    entry.old_values, entry.new_values, entry.reason, entry.prev_hash)::text, 'UTF8')), 'hex');`,
    ),
    auditFunction(
      { name: AUDIT.masked, argTypes: ["text", "jsonb"], securityDefiner: false, volatility: "stable" },
      "a written row as the audit trail keeps it: masked columns through their mask function, never raw; masked twins left out",
      sql`create or replace function ${fn(AUDIT.masked)}(table_name text, row_values jsonb) returns jsonb
  language sql stable parallel safe
  set search_path = pg_catalog, pg_temp
  return ${maskedRow(plan)};`,
    ),
    auditFunction(
      {
        name: AUDIT.append,
        argTypes: ["text", "text", "jsonb", "jsonb", "jsonb", "text"],
        securityDefiner: false,
        volatility: "volatile",
      },
      "appends one audit row under the append lock: the next id, the last row's hash as prev_hash, who is writing, its hash; only the owner may call it",
      sql`create or replace function ${fn(AUDIT.append)}(target text, op text, key jsonb, old_values jsonb, new_values jsonb, why text) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  actor name := ${ACTING_ROLE};
  entry ${log};
  last_id bigint;
  last_hash text;
  last_txid xid8;
begin
  ${lockHead}
  -- the chain goes on from this transaction's own last row, else from the head as the last commit left it
  select l.id, l.hash, l.txid into last_id, last_hash, last_txid from ${log} l order by l.id desc limit 1;
  if last_txid is distinct from pg_catalog.pg_current_xact_id() then
    select h.id, h.hash into last_id, last_hash from ${head} h;
  end if;
  entry.id := last_id + 1;
  entry.prev_hash := last_hash;
  entry.at := pg_catalog.clock_timestamp();
  entry.txid := pg_catalog.pg_current_xact_id();
  entry.user_id := ${fn(HELPERS.userId)}(actor);
  entry.acting_role := actor;
  entry.login := session_user;
  entry.channel := ${fn(HELPERS.channel)}();
  entry.table_name := target;
  entry.operation := op;
  entry.row_key := key;
  entry.old_values := old_values;
  entry.new_values := new_values;
  entry.reason := why;
  entry.hash := ${fn(AUDIT.hash)}(entry);
  insert into ${log} select entry.*;
end`)};`,
    ),
    auditFunction(
      { name: AUDIT.pause, argTypes: ["text"], securityDefiner: false, volatility: "volatile" },
      "a bulk load's explicit switch: records a pause row, then this transaction's writes by the owner or a superuser go unrecorded",
      sql`create or replace function ${fn(AUDIT.pause)}(reason text) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  if coalesce(pg_catalog.btrim(reason), '') = '' then
    raise exception 'a pause of the audit trail needs a reason' using errcode = 'invalid_parameter_value';
  end if;
  perform ${fn(AUDIT.append)}(null, 'pause', null, null, null, reason);
  perform pg_catalog.set_config(${literal(pauseSetting(plan))}, pg_catalog.pg_current_xact_id()::text, true);
end`)};`,
    ),
    auditFunction(
      { name: AUDIT.commitFunction, argTypes: [], securityDefiner: true, volatility: "volatile" },
      "as a writing transaction commits: moves the chain head to its last audit row and lets go of it",
      sql`create or replace function ${fn(AUDIT.commitFunction)}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  last_id bigint;
  last_hash text;
  last_txid xid8;
begin
  select l.id, l.hash, l.txid into last_id, last_hash, last_txid from ${log} l order by l.id desc limit 1;
  if last_txid = pg_catalog.pg_current_xact_id() then
    update ${head} set id = last_id, hash = last_hash, holder = null;
  else
    update ${head} set holder = null;
  end if;
  return null;
end`)};`,
    ),
    {
      kind: "table",
      target: headName,
      sql: sql`${lineComment("once per writing transaction, at commit (deferred): the chain head records where that transaction left the chain")}
drop trigger if exists ${sql.identifier(AUDIT.commitTrigger)} on ${head};
create constraint trigger ${sql.identifier(AUDIT.commitTrigger)} after update on ${head}
  deferrable initially deferred
  for each row when (new.holder is not null) execute function ${fn(AUDIT.commitFunction)}();
alter table ${head} enable always trigger ${sql.identifier(AUDIT.commitTrigger)};`,
    },
    auditFunction(
      { name: AUDIT.statementFunction, argTypes: [], securityDefiner: true, volatility: "volatile" },
      "before each write statement on an app table: takes the chain head until the transaction ends, and records a truncate",
      sql`create or replace function ${fn(AUDIT.statementFunction)}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`begin
  ${returnIfPaused}
  if tg_op = 'TRUNCATE' then
    perform ${fn(AUDIT.append)}(tg_table_name, 'truncate', null, null, null, null);
  else
    ${lockHead}
  end if;
  return null;
end`)};`,
    ),
    auditFunction(
      { name: AUDIT.rowFunction, argTypes: [], securityDefiner: true, volatility: "volatile" },
      "records one written row: its key (the trigger's arguments name the primary key), and for an update only the columns that changed",
      sql`create or replace function ${fn(AUDIT.rowFunction)}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  raw_old jsonb;
  raw_new jsonb;
  shown_old jsonb;
  shown_new jsonb;
  old_values jsonb;
  new_values jsonb;
  key jsonb;
begin
  ${returnIfPaused}
  if tg_op <> 'INSERT' then
    raw_old := pg_catalog.to_jsonb(old);
    shown_old := ${fn(AUDIT.masked)}(tg_table_name, raw_old);
  end if;
  if tg_op <> 'DELETE' then
    raw_new := pg_catalog.to_jsonb(new);
    shown_new := ${fn(AUDIT.masked)}(tg_table_name, raw_new);
  end if;
  if tg_op = 'UPDATE' then
    select coalesce(pg_catalog.jsonb_object_agg(s.key, shown_old -> s.key), '{}'),
           coalesce(pg_catalog.jsonb_object_agg(s.key, s.value), '{}')
      into old_values, new_values
      from pg_catalog.jsonb_each(shown_new) s
     where (raw_old -> s.key) is distinct from (raw_new -> s.key);
  else
    old_values := shown_old;
    new_values := shown_new;
  end if;
  select pg_catalog.jsonb_object_agg(k.name, coalesce(shown_new, shown_old) -> k.name) into key
    from pg_catalog.unnest(tg_argv) as k(name);
  perform ${fn(AUDIT.append)}(tg_table_name, pg_catalog.lower(tg_op), key, old_values, new_values, null);
  return null;
end`)};`,
    ),
  );

  const functions = out.filter((s) => s.fn).map((s) => s.fn!);
  out.push({
    kind: "grant",
    target: logName,
    revokes: functions.map((f) => `${app.toolkitSchema}.${f.name}`),
    sql: sql`${sql.join(
      functions.map((f) => sql`revoke all on function ${fn(f.name)}(${trusted(f.argTypes.join(", "))}) from public;`),
      "\n",
    )}
revoke all on table ${log} from public;
revoke all on table ${head} from public;
${readers.length ? sql`grant select on table ${log} to ${sql.join(readers, ", ")};` : sql.blank}`,
  });

  for (const table of plan.tables) {
    const target = tableIdent(app, table.name);
    const keyed = table.primaryKey.length ? ` (keyed by ${table.primaryKey.join(", ")})` : " (no primary key)";
    out.push({
      kind: "table",
      target: table.name,
      sql: sql`${lineComment(`audits every write to ${app.schema}.${table.name}${keyed}, whoever writes; both triggers fire always, in replica mode too`)}
create or replace trigger ${sql.identifier(AUDIT.statementTrigger)} before insert or update or delete or truncate on ${target}
  for each statement execute function ${fn(AUDIT.statementFunction)}();
create or replace trigger ${sql.identifier(AUDIT.rowTrigger)} after insert or update or delete on ${target}
  for each row execute function ${fn(AUDIT.rowFunction)}(${sql.join(
    table.primaryKey.map((k) => literal(k)),
    ", ",
  )});
alter table ${target} enable always trigger ${sql.identifier(AUDIT.statementTrigger)};
alter table ${target} enable always trigger ${sql.identifier(AUDIT.rowTrigger)};`,
    });
  }
  return out;
}

/** `audit_masked`'s body: per table with masks, the row with each masked column replaced by its mask and twins removed. */
function maskedRow(plan: Plan): SQL {
  const row = sql.identifier("row_values");
  const tables = [...new Set(plan.masks.map((m) => m.table))].sort();
  if (tables.length === 0) return row;
  const arms = tables.map((table) => {
    const masks = plan.masks.filter((m) => m.table === table);
    const replaced = masks.map((m) => {
      // an encrypted column holds ciphertext here: its twin, filled from the plaintext, is what the trail keeps
      if (isSealed(plan, m)) return sql`${literal(m.column)}, ${row} -> ${literal(m.twin)}`;
      const value = sql`((${row} ->> ${literal(m.column)})::${trusted(m.sourceType)})`;
      return sql`${literal(m.column)}, pg_catalog.to_jsonb(${maskExpression(plan, m, value).expression})`;
    });
    const twins = sql.join(
      masks.map((m) => literal(m.twin)),
      ", ",
    );
    return sql`
    when ${literal(table)} then (${row} - array[${twins}]) || pg_catalog.jsonb_build_object(${sql.join(replaced, ", ")})`;
  });
  return sql`case table_name${sql.join(arms, "")}
    else ${row}
  end`;
}
