import type { ClientBase } from "pg";
import { cryptoSchema, ENCRYPTION } from "../compile/emit/encryption";
import type { AppDefinition } from "../policy/define";
import { sql, toDdl } from "../sql/ddl";

/** One encryption key as `gatehouse keys status` shows it. */
export interface KeyStatus {
  readonly id: number;
  readonly createdAt: Date;
  /** When its last value was re-encrypted and its secrets wiped; null while it is live. */
  readonly retiredAt: Date | null;
  /** The newest live key: what new values are encrypted with. */
  readonly current: boolean;
  /** How many stored values (all encrypted columns) are encrypted with it. */
  readonly values: number;
}

/** A rotation's progress, after each batch: values re-encrypted so far and in all, and the column at work. */
export interface RotationProgress {
  readonly done: number;
  readonly total: number;
  readonly column: string;
}

/** What {@link rotateKeys} did. */
export interface RotationOutcome {
  /** The key everything is now encrypted with. */
  readonly key: number;
  /** Whether it went on with an earlier, unfinished rotation instead of making a new key. */
  readonly resumed: boolean;
  readonly reencrypted: number;
  /** Keys retired at the end (no value used them any more); empty when interrupted. */
  readonly retired: readonly number[];
  /** True when `signal` stopped it between batches: run it again to resume. */
  readonly interrupted: boolean;
}

const ident = (...names: string[]) => toDdl(sql.identifier(...names));

/** The table and column names of every encrypted column, quoted, with the table's key. */
function columnsOf(app: AppDefinition, keyOf: ReadonlyMap<string, TableKey>) {
  return app.encrypted.map((e) => ({
    name: `${e.table}.${e.column}`,
    table: ident(app.schema, e.table),
    column: ident(e.column),
    key: ident(keyOf.get(e.table)!.key),
    keyType: keyOf.get(e.table)!.type,
  }));
}

/** A table's one-column primary key and its type, as the catalog has them. */
interface TableKey {
  readonly key: string;
  readonly type: string;
}

/** Refuses anything but the owner or admin connection, and a database the encryption was not migrated into. */
async function checkReady(client: ClientBase, app: AppDefinition): Promise<ReadonlyMap<string, TableKey>> {
  if (app.encrypted.length === 0) throw new Error("the app encrypts no column: add encrypted: [encrypt(...)] to defineApp(...)");
  const keys = ident(app.toolkitSchema, ENCRYPTION.keys);
  const { rows } = await client.query<{ admin: boolean; found: boolean }>(
    `select (select r.rolsuper or r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = current_user) as admin,
            pg_catalog.to_regclass($1) is not null as found`,
    [keys],
  );
  if (!rows[0]!.admin)
    throw new Error(
      "gatehouse keys needs the owner's connection (a superuser or a role with BYPASSRLS, as for migrate): set DATABASE_URL to it",
    );
  if (!rows[0]!.found) throw new Error(`the database has no ${keys}: run npx gatehouse migrate first`);
  const primary = await client.query<{ table: string; key: string; type: string }>(
    `select c.relname as table, a.attname as key, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
       from pg_catalog.pg_index i
       join pg_catalog.pg_class c on c.oid = i.indrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
      where i.indisprimary and n.nspname = $1 and c.relname = any ($2::text[])`,
    [app.schema, [...new Set(app.encrypted.map((e) => e.table))]],
  );
  return new Map(primary.rows.map((r) => [r.table, { key: r.key, type: r.type }]));
}

/** How many values of each key every encrypted column holds, by key id. */
async function valuesByKey(
  client: ClientBase,
  app: AppDefinition,
  keyOf: ReadonlyMap<string, TableKey>,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const c of columnsOf(app, keyOf)) {
    const { rows } = await client.query<{ key: number; n: number }>(
      `select pg_catalog.split_part(${c.column}, ':', 2)::integer as key, count(*)::integer as n
         from ${c.table} where ${c.column} ~ $1 group by 1`,
      [ENCRYPTION.pattern],
    );
    for (const r of rows) counts.set(r.key, (counts.get(r.key) ?? 0) + r.n);
  }
  return counts;
}

/**
 * The encryption keys and how many stored values each encrypts (`gatehouse keys status`). The owner's connection only.
 *
 * @example
 * await keyStatus(client, clinic); // [{ id: 1, current: true, values: 1200, retiredAt: null, … }]
 */
export async function keyStatus(client: ClientBase, app: AppDefinition): Promise<KeyStatus[]> {
  const keyOf = await checkReady(client, app);
  const counts = await valuesByKey(client, app, keyOf);
  const { rows } = await client.query<{ id: number; created_at: Date; retired_at: Date | null; current: boolean }>(
    `select k.id, k.created_at, k.retired_at,
            k.id = (select max(l.id) from ${ident(app.toolkitSchema, ENCRYPTION.keys)} l where l.retired_at is null) as current
       from ${ident(app.toolkitSchema, ENCRYPTION.keys)} k order by k.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    current: r.current,
    values: counts.get(r.id) ?? 0,
  }));
}

/**
 * Rotates the encryption keys (`gatehouse keys rotate`): makes a new key (or, when an earlier rotation did not finish,
 * goes on with its key), re-encrypts every value of every encrypted column under it in batches of `batch` rows in
 * key order, each batch its own transaction (the encryption trigger keeps the new ciphertext and recomputes the twin
 * and the keyed hash), then retires the older keys — wiping their secrets — only when no value uses them any more,
 * checked with the encrypted tables locked against writes. `signal` stops it between batches; run it again to resume.
 * The owner's connection only; it holds an advisory lock, so two rotations never run at once.
 *
 * @example
 * await rotateKeys(client, clinic, { batch: 1000, onProgress: ({ done, total }) => bar.update(done, { total }) });
 */
export async function rotateKeys(
  client: ClientBase,
  app: AppDefinition,
  options: { batch?: number; onProgress?: (progress: RotationProgress) => void; signal?: AbortSignal } = {},
): Promise<RotationOutcome> {
  const batch = options.batch ?? 1000;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch needs a positive whole number, got ${batch}`);
  const keyOf = await checkReady(client, app);
  const keys = ident(app.toolkitSchema, ENCRYPTION.keys);
  const lock = `gatehouse keys rotate ${app.toolkitSchema}`;
  const { rows: locked } = await client.query<{ ok: boolean }>(
    "select pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext($1)) as ok",
    [lock],
  );
  if (!locked[0]!.ok) throw new Error("another gatehouse keys rotate is running on this database: wait for it to finish");
  try {
    const { rows: live } = await client.query<{ id: number }>(`select id from ${keys} where retired_at is null order by id`);
    const resumed = live.length > 1;
    let key = live.at(-1)?.id ?? 0;
    if (!resumed) {
      const random = ident(cryptoSchema(app), "gen_random_bytes");
      const made = await client.query<{ id: number }>(
        `insert into ${keys} (id, secret, hash_secret)
           select coalesce(max(id), 0) + 1, ${random}(32), ${random}(32) from ${keys} returning id`,
      );
      key = made.rows[0]!.id;
    }
    const columns = columnsOf(app, keyOf);
    let total = 0;
    for (const c of columns) {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::integer as n from ${c.table} where ${c.column} ~ $1 and pg_catalog.split_part(${c.column}, ':', 2)::integer <> $2`,
        [ENCRYPTION.pattern, key],
      );
      total += rows[0]!.n;
    }
    const encrypt = ident(app.toolkitSchema, ENCRYPTION.encrypt);
    const decrypt = ident(app.toolkitSchema, ENCRYPTION.decrypt);
    let done = 0;
    for (const c of columns) {
      let after: string | null = null;
      for (;;) {
        if (options.signal?.aborted) return { key, resumed, reencrypted: done, retired: [], interrupted: true };
        // one batch, one transaction (a single statement): the next rows in key order still under an older key
        const step: { rows: { last: string | null; n: number }[] } = await client.query<{ last: string | null; n: number }>(
          `with batch as (
             select t.${c.key} as row_key from ${c.table} t
              where t.${c.column} ~ $1 and pg_catalog.split_part(t.${c.column}, ':', 2)::integer <> $2
                and ($3::text is null or t.${c.key} > $3::text::${c.keyType})
              order by t.${c.key} limit $4
           ), changed as (
             update ${c.table} t set ${c.column} = coalesce(${encrypt}(${decrypt}(t.${c.column})), t.${c.column})
               from batch where t.${c.key} = batch.row_key
             returning t.${c.key}
           )
           select (select max(row_key)::text from batch) as last, (select count(*)::integer from changed) as n`,
          [ENCRYPTION.pattern, key, after, batch],
        );
        const [{ last, n }] = step.rows as [{ last: string | null; n: number }];
        if (last === null) break;
        after = last;
        done += n;
        options.onProgress?.({ done, total: Math.max(total, done), column: c.name });
      }
    }
    const retired = await retireUnused(client, app, keyOf, key);
    return { key, resumed, reencrypted: done, retired, interrupted: false };
  } finally {
    await client.query("select pg_catalog.pg_advisory_unlock(pg_catalog.hashtext($1))", [lock]);
  }
}

/** Retires (wipes) every live key but `key` that no value uses, with the encrypted tables locked against writes. */
async function retireUnused(
  client: ClientBase,
  app: AppDefinition,
  keyOf: ReadonlyMap<string, TableKey>,
  key: number,
): Promise<number[]> {
  const keys = ident(app.toolkitSchema, ENCRYPTION.keys);
  await client.query("begin");
  try {
    for (const table of new Set(columnsOf(app, keyOf).map((c) => c.table)))
      await client.query(`lock table ${table} in share mode`);
    const used = await valuesByKey(client, app, keyOf);
    const { rows } = await client.query<{ id: number }>(
      `update ${keys} set retired_at = pg_catalog.clock_timestamp(), secret = null, hash_secret = null
        where retired_at is null and id <> $1 and not (id = any ($2::integer[])) returning id`,
      [key, [...used.keys()]],
    );
    await client.query("commit");
    return rows.map((r) => r.id).sort((a, b) => a - b);
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}
