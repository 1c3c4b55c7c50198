import type { ClientBase } from "pg";
import { AUDIT } from "../compile/emit/audit";
import type { AppDefinition } from "../policy/define";
import { sql, toDdl } from "../sql/ddl";

/** What is wrong at the first broken link of the audit trail's hash chain. */
export type AuditProblem = "hash mismatch" | "prev_hash mismatch" | "missing row";

/** The outcome of {@link verifyAuditLog}. */
export type AuditVerification =
  | { readonly intact: true; readonly rows: number; readonly lastHash: string | null }
  | {
      readonly intact: false;
      readonly rows: number;
      /** The id (chain position) of the first row that is wrong or missing. */
      readonly id: number;
      readonly problem: AuditProblem;
      /** One sentence: what was found there. */
      readonly detail: string;
    };

interface ChainRow {
  rows: string;
  last_id: string | null;
  last_hash: string | null;
  head_id: string | null;
  head_hash: string | null;
  /** The hash of the row the head names. */
  head_row_hash: string | null;
  /** The first row past the head that is not this transaction's own (not yet committed) row. */
  past_head: string | null;
  id: string | null;
  before_id: string | null;
  prev_hash: string | null;
  before_hash: string | null;
  hash: string | null;
  computed: string | null;
}

/**
 * Walks the audit trail's hash chain in one statement (one snapshot) and reports the first broken link:
 * a row whose content no longer matches its hash, a row whose `prev_hash` is not the previous row's hash, or
 * a missing row (ids are the chain positions 1, 2, 3…, and the chain head remembers the last one). Run it as
 * the owner or a superuser; inside an open transaction it checks that transaction's own rows too (the head moves when it
 * commits).
 *
 * @example
 * const result = await verifyAuditLog(client, app);
 * if (!result.intact) console.error(`row ${result.id}: ${result.problem}`); // e.g. row 6: missing row
 */
export async function verifyAuditLog(client: ClientBase, app: AppDefinition): Promise<AuditVerification> {
  const log = sql.identifier(app.toolkitSchema, AUDIT.table);
  const head = sql.identifier(app.toolkitSchema, AUDIT.head);
  const hash = sql.identifier(app.toolkitSchema, AUDIT.hash);
  const { rows } = await client.query<ChainRow>(
    toDdl(sql`with chain as (
  select a.id, a.prev_hash, a.hash, ${hash}(a) as computed,
         lag(a.id) over w as before_id, lag(a.hash) over w as before_hash
    from ${log} a
  window w as (order by a.id)
), broken as (
  select * from chain
   where chain.id <> coalesce(chain.before_id, 0) + 1
      or chain.prev_hash is distinct from chain.before_hash
      or chain.hash is distinct from chain.computed
   order by chain.id
   limit 1
), last as (
  select chain.id, chain.hash from chain order by chain.id desc limit 1
)
select (select count(*) from chain) as rows, last.id as last_id, last.hash as last_hash,
       h.id as head_id, h.hash as head_hash,
       (select chain.hash from chain where chain.id = h.id) as head_row_hash,
       (select pg_catalog.min(a.id) from ${log} a
         where a.id > h.id and a.txid is distinct from pg_catalog.pg_current_xact_id_if_assigned()) as past_head,
       b.id, b.before_id, b.prev_hash, b.before_hash, b.hash, b.computed
  from (select 1) one
  left join last on true
  left join ${head} h on true
  left join broken b on true`),
  );
  const r = rows[0]!;
  const count = Number(r.rows);
  const broken = (id: number, problem: AuditProblem, detail: string): AuditVerification => ({
    intact: false,
    rows: count,
    id,
    problem,
    detail,
  });
  if (r.id !== null) {
    const id = Number(r.id);
    const before = r.before_id === null ? 0 : Number(r.before_id);
    if (id !== before + 1) {
      return broken(before + 1, "missing row", before ? `row ${id} follows row ${before}` : `the chain starts at row ${id}`);
    }
    if (r.prev_hash !== r.before_hash) {
      return broken(
        id,
        "prev_hash mismatch",
        before
          ? `its prev_hash ${short(r.prev_hash)} is not row ${before}'s hash ${short(r.before_hash)}`
          : `the first row's prev_hash is ${short(r.prev_hash)}, not empty`,
      );
    }
    return broken(id, "hash mismatch", `its content hashes to ${short(r.computed)}, not to its hash ${short(r.hash)}`);
  }
  const last = r.last_id === null ? 0 : Number(r.last_id);
  const headId = r.head_id === null ? null : Number(r.head_id);
  if (headId === null) return broken(last + 1, "missing row", `the chain head (${toDdl(head)}) is gone`);
  if (headId > last) return broken(last + 1, "missing row", `the chain head says the last row is ${headId}`);
  if (headId > 0 && r.head_row_hash !== r.head_hash) {
    return broken(
      headId,
      "hash mismatch",
      `its hash ${short(r.head_row_hash)} is not the one the chain head recorded, ${short(r.head_hash)}`,
    );
  }
  if (r.past_head !== null) {
    return broken(
      Number(r.past_head),
      "hash mismatch",
      `it lies past the chain head (row ${headId}), which every commit through the audit triggers moves`,
    );
  }
  return { intact: true, rows: count, lastHash: r.last_hash };
}

/** The first 12 hex digits of a hash, or "none". */
const short = (hash: string | null) => (hash === null ? "none" : hash.slice(0, 12));

/**
 * Pauses the audit trail for the rest of the open transaction, recording the pause (who, when, `reason`) as an
 * audit row: for a bulk load by the owner or a superuser. Returns false, doing nothing, when the database has no
 * audit trail; an app role calling it gets "permission denied".
 *
 * @example
 * await client.query("begin");
 * await pauseAudit(client, app, "generate: benchmark data");
 */
export async function pauseAudit(client: ClientBase, app: AppDefinition, reason: string): Promise<boolean> {
  const pause = toDdl(sql.identifier(app.toolkitSchema, AUDIT.pause));
  const { rows } = await client.query<{ found: boolean }>("select pg_catalog.to_regprocedure($1) is not null as found", [
    `${pause}(text)`,
  ]);
  if (!rows[0]!.found) return false;
  await client.query(`select ${pause}($1)`, [reason]);
  return true;
}
