import { doBlock, dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { helperIdent, roleIdent, tableIdent } from "../names";
import type { EncryptedPlan, Plan } from "../plan";
import type { Statement } from "../statement";
import { managedRoles } from "./grants";
import { maskExpression } from "./masks";

/** What `emit/encryption.ts` installs in the toolkit schema, and how a ciphertext is written. */
export const ENCRYPTION = {
  keys: "encryption_keys",
  encrypt: "encryption_encrypt",
  decrypt: "encryption_decrypt",
  hash: "encryption_hash",
  hashes: "encryption_hashes",
  trigger: "gatehouse_encrypt",
  /** Every ciphertext starts `gh1:<key id>:`, then the base64 of a pgcrypto OpenPGP message. */
  prefix: "gh1",
  pattern: "^gh1:[0-9]{1,9}:[A-Za-z0-9+/]+={0,2}$",
  /** AES-256 with a salted key derivation; pgcrypto adds the OpenPGP modification detection code (MDC) by default. */
  options: "cipher-algo=aes256, s2k-mode=1, compress-algo=0",
} as const;

/**
 * The schema pgcrypto is installed in: `<toolkit>_crypto`, usable by the owner only (no app role may call pgcrypto
 * directly, and its functions stay out of the toolkit schema, whose functions all pin their search_path).
 *
 * @example
 * cryptoSchema(clinic) // "gatehouse_crypto"
 */
export const cryptoSchema = (app: Plan["app"]): string => `${app.toolkitSchema}_crypto`;

/** The trigger function that encrypts one table's columns: `<toolkit>.encrypt_<table>()`. */
export const encryptFunction = (table: string): string => `encrypt_${table}`;

/** The lookup by value of an encrypted column with `lookup`: `<schema>.<table>_by_<column>(value)`. */
export const lookupFunction = (e: EncryptedPlan): string => `${e.table}_by_${e.column}`;

/** The name of the index on a keyed hash column. */
const hashIndex = (e: EncryptedPlan): string => `${e.table}_${e.hash!}_idx`;

/**
 * The store every encrypted column shares: pgcrypto in `<toolkit>_crypto`, the keys table (RLS forced, no privilege
 * for any app role; a first key made when there is none) and the owner's functions that encrypt, decrypt and hash.
 * Nothing when no column is encrypted.
 *
 * @example
 * emitEncryptionStore(plan); // pgcrypto, encryption_keys, encryption_encrypt(text), encryption_decrypt(text), …
 */
export function emitEncryptionStore(plan: Plan): Statement[] {
  if (plan.encrypted.length === 0) return [];
  const { app } = plan;
  const crypto = sql.identifier(cryptoSchema(app));
  const keys = helperIdent(app, ENCRYPTION.keys);
  const pgcrypto = (name: string) => sql.identifier(cryptoSchema(app), name);
  const current = sql`select k.id, k.secret, k.hash_secret from ${keys} k where k.retired_at is null and k.secret is not null order by k.id desc limit 1`;
  // the owner's functions: nobody else executes them (the definer functions that call them run as the owner)
  const ownerOnly = (name: string, args: string): Statement => ({
    kind: "grant",
    revokes: [`${app.toolkitSchema}.${name}`],
    sql: sql`${lineComment(`encrypted columns: ${name} is the owner's only (it reads the keys)`)}
revoke all on function ${helperIdent(app, name)}(${trusted(args)}) from ${managedRoles(plan)};`,
  });
  const fn = (name: string, args: readonly string[], definer: boolean, volatility: "stable" | "volatile") => ({
    name,
    argTypes: args,
    securityDefiner: definer,
    volatility,
    searchPath: true,
  });
  return [
    {
      kind: "schema",
      sql: sql`${lineComment(`encrypted columns (encrypt()): pgcrypto's OpenPGP functions, in a schema of their own that only the owner uses`)}
create schema if not exists ${crypto};
revoke all on schema ${crypto} from public;
create extension if not exists pgcrypto with schema ${crypto};
${doBlock(sql`begin
  if (select n.nspname from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
       where e.extname = 'pgcrypto') is distinct from ${literal(cryptoSchema(app))} then
    raise exception using errcode = 'feature_not_supported',
      message = ${literal(`gatehouse: pgcrypto is installed in another schema; encrypted columns need it in ${cryptoSchema(app)}: alter extension pgcrypto set schema ${cryptoSchema(app)}`)};
  end if;
end`)}`,
    },
    {
      kind: "table",
      target: `${app.toolkitSchema}.${ENCRYPTION.keys}`,
      sql: sql`${lineComment("encrypted columns (encrypt()): the keys, readable by no app role (row security forced, no grant); the owner's functions read them. Keep them out of dumps: pg_dump --exclude-table-data")}
create table if not exists ${keys} (
  id integer primary key check (id > 0),
  secret bytea check (secret is null or pg_catalog.length(secret) = 32),
  hash_secret bytea check (hash_secret is null or pg_catalog.length(hash_secret) = 32),
  created_at timestamptz not null default pg_catalog.clock_timestamp(),
  retired_at timestamptz,
  check ((retired_at is null) = (secret is not null and hash_secret is not null))
);
alter table ${keys} enable row level security;
alter table ${keys} force row level security;
revoke all on table ${keys} from ${managedRoles(plan)};
${lineComment("the first key, made in the database when there is none (gatehouse keys rotate makes the next); never beside ciphertext whose keys are missing")}
${doBlock(sql`begin
  if not exists (select 1 from ${keys}) and (${sql.join(
    plan.encrypted.map(
      (e) =>
        sql`exists (select 1 from ${tableIdent(app, e.table)} t where t.${sql.identifier(e.column)} ~ ${literal(ENCRYPTION.pattern)})`,
    ),
    " or ",
  )}) then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = ${literal(`gatehouse: encrypted values are stored but ${app.toolkitSchema}.${ENCRYPTION.keys} is empty: restore the keys from their backup before migrating`)};
  end if;
end`)}
insert into ${keys} (id, secret, hash_secret)
  select 1, ${pgcrypto("gen_random_bytes")}(32), ${pgcrypto("gen_random_bytes")}(32)
   where not exists (select 1 from ${keys});`,
    },
    {
      kind: "function",
      fn: fn(ENCRYPTION.encrypt, ["text"], false, "volatile"),
      sql: sql`${lineComment("encrypted columns: a plaintext as gh1:<key id>:<base64 OpenPGP message> under the newest live key (AES-256, MDC); the owner's only")}
create or replace function ${helperIdent(app, ENCRYPTION.encrypt)}(plain text) returns text
  language plpgsql volatile strict
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  live record;
begin
  ${current} into live;
  if live.id is null then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = ${literal(`gatehouse: no live encryption key in ${app.toolkitSchema}.${ENCRYPTION.keys}: restore the keys from their backup, or run gatehouse keys rotate`)};
  end if;
  return ${literal(`${ENCRYPTION.prefix}:`)} || live.id || ':' || pg_catalog.translate(pg_catalog.encode(
    ${pgcrypto("pgp_sym_encrypt")}(plain, pg_catalog.encode(live.secret, 'hex'), ${literal(ENCRYPTION.options)}), 'base64'), pg_catalog.chr(10), '');
end`)};`,
    },
    ownerOnly(ENCRYPTION.encrypt, "text"),
    {
      kind: "function",
      fn: fn(ENCRYPTION.decrypt, ["text"], false, "stable"),
      sql: sql`${lineComment("encrypted columns: the plaintext of a ciphertext under a known key, null for anything else (a plaintext, a forged or altered value); the owner's only")}
create or replace function ${helperIdent(app, ENCRYPTION.decrypt)}(stored text) returns text
  language plpgsql stable strict
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  key_secret bytea;
begin
  if stored !~ ${literal(ENCRYPTION.pattern)} then
    return null;
  end if;
  select k.secret into key_secret from ${keys} k
   where k.id = pg_catalog.split_part(stored, ':', 2)::integer and k.secret is not null;
  if key_secret is null then
    return null;
  end if;
  begin
    return ${pgcrypto("pgp_sym_decrypt")}(pg_catalog.decode(pg_catalog.split_part(stored, ':', 3), 'base64'),
      pg_catalog.encode(key_secret, 'hex'));
  exception when others then
    -- wrong key, corrupt or altered data (the MDC does not match), not an OpenPGP message: not ours
    return null;
  end;
end`)};`,
    },
    ownerOnly(ENCRYPTION.decrypt, "text"),
    {
      kind: "function",
      fn: fn(ENCRYPTION.hash, ["text"], false, "stable"),
      sql: sql`${lineComment("encrypted columns with lookup: the keyed hash (HMAC-SHA-256, hex) of a plaintext under the newest live hash key; the owner's only")}
create or replace function ${helperIdent(app, ENCRYPTION.hash)}(plain text) returns text
  language plpgsql stable strict
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  live record;
begin
  ${current} into live;
  return pg_catalog.encode(${pgcrypto("hmac")}(plain::bytea, live.hash_secret, 'sha256'), 'hex');
end`)};`,
    },
    ownerOnly(ENCRYPTION.hash, "text"),
  ];
}

/**
 * The keyed hash column of each encrypted column with `lookup`, and its index: created with the masked twins, before
 * the grants that name it.
 *
 * @example
 * emitHashColumns(plan); // alter table clinic.patients add column if not exists insurance_number_hash text; …
 */
export function emitHashColumns(plan: Plan): Statement[] {
  return plan.encrypted
    .filter((e) => e.hash)
    .map((e): Statement => ({
      kind: "column",
      target: e.table,
      sql: sql`${lineComment(`${e.table}.${e.hash!}: keyed hash of the encrypted ${e.column} (encrypt(..., { lookup: true })), filled by ${ENCRYPTION.trigger}; what ${lookupFunction(e)} compares`)}
alter table ${tableIdent(plan.app, e.table)} add column if not exists ${sql.identifier(e.hash!)} text;
create index if not exists ${sql.identifier(hashIndex(e))} on ${tableIdent(plan.app, e.table)} (${sql.identifier(e.hash!)});`,
    }));
}

/**
 * Per table with encrypted columns (their twins are ordinary columns, see `emitMaskTwins`):
 * `<toolkit>.encrypt_<table>()`, SECURITY DEFINER (it reads the keys), the function of the BEFORE INSERT OR UPDATE
 * trigger `gatehouse_encrypt` (`enable always`): a new or changed value that is not a ciphertext under a known key is
 * encrypted; a valid ciphertext is kept (a copy, a restore, a rotation's
 * re-encryption); the twin and the hash are computed from the plaintext. Then the rows written before are encrypted.
 *
 * @example
 * emitEncryptedTables(plan); // patients: encrypt_patients(), its revoke, trigger gatehouse_encrypt, the backfill
 */
export function emitEncryptedTables(plan: Plan): Statement[] {
  const { app } = plan;
  const tables = [...new Set(plan.encrypted.map((e) => e.table))].sort();
  return tables.flatMap((table): Statement[] => {
    const columns = plan.encrypted.filter((e) => e.table === table);
    const target = tableIdent(app, table);
    const name = encryptFunction(table);
    const hashes = columns.filter((e) => e.hash);
    const what = columns.map((e) => e.column).join(", ");
    // a row still to encrypt: a value that is no ciphertext, or one whose twin (or hash) is not filled yet
    const pending = sql.join(
      columns.map(
        (e) =>
          sql`(${sql.identifier(e.column)} is not null and (${sql.identifier(e.mask.twin)} is null or ${sql.identifier(e.column)} !~ ${literal(ENCRYPTION.pattern)}${
            e.hash ? sql` or ${sql.identifier(e.hash)} is null` : sql.blank
          }))`,
      ),
      " or ",
    );
    return [
      {
        kind: "function",
        fn: { name, argTypes: [], securityDefiner: true, volatility: "volatile", searchPath: true },
        sql: sql`${lineComment(`encrypt ${table}.${what}: encrypts a new or changed plaintext and fills the masked twin${hashes.length ? " and keyed hash" : ""} from it; trigger only`)}
create or replace function ${helperIdent(app, name)}() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`declare
  plain text;
begin${sql.join(
          columns.map((e) => columnBody(plan, e)),
          "",
        )}
  return new;
end`)};`,
      },
      {
        kind: "grant",
        revokes: [`${app.toolkitSchema}.${name}`],
        sql: sql`${lineComment(`encrypt ${table}.${what}: ${name} runs only as the trigger`)}
revoke all on function ${helperIdent(app, name)}() from public;`,
      },
      {
        kind: "table",
        target: table,
        sql: sql`${lineComment(`encrypt ${table}.${what}: every insert and update, by any role, goes through ${name}`)}
create or replace trigger ${sql.identifier(ENCRYPTION.trigger)} before insert or update on ${target}
  for each row execute function ${helperIdent(app, name)}();
alter table ${target} enable always trigger ${sql.identifier(ENCRYPTION.trigger)};`,
      },
      {
        kind: "table",
        target: table,
        // only when some row needs it: an update of no row would still run the audit trail's statement trigger, which
        // takes the chain head for the rest of the transaction
        sql: sql`${lineComment(`encrypt ${table}.${what}: rows written before are encrypted now (nothing lost; their twins filled)`)}
${doBlock(sql`begin
  if exists (select 1 from ${target} where ${pending}) then
    update ${target} set ${sql.join(
      columns.map((e) => sql`${sql.identifier(e.column)} = ${sql.identifier(e.column)}`),
      ", ",
    )} where ${pending};
  end if;
end`)}`,
      },
    ];
  });
}

/** The trigger's part for one column: keep an unchanged ciphertext, else encrypt a plaintext, then twin and hash. */
function columnBody(plan: Plan, e: EncryptedPlan): SQL {
  const { app } = plan;
  const col = sql`new.${sql.identifier(e.column)}`;
  const twin = sql.identifier(e.mask.twin);
  const hash = e.hash ? sql.identifier(e.hash) : undefined;
  const keep = hash ? sql` and old.${hash} is not null` : sql.blank;
  return sql`
  if tg_op = 'UPDATE' and ${col} is not distinct from old.${sql.identifier(e.column)} and old.${twin} is not null${keep}
     and ${col} ~ ${literal(ENCRYPTION.pattern)} then
    new.${twin} := old.${twin};${hash ? sql`\n    new.${hash} := old.${hash};` : sql.blank}
  elsif ${col} is null then
    new.${twin} := null;${hash ? sql`\n    new.${hash} := null;` : sql.blank}
  else
    plain := ${helperIdent(app, ENCRYPTION.decrypt)}(${col});
    if plain is null then
      plain := ${col};
      ${col} := ${helperIdent(app, ENCRYPTION.encrypt)}(plain);
    end if;
    new.${twin} := ${maskExpression(plan, e.mask, sql.identifier("plain")).expression};${
      hash ? sql`\n    new.${hash} := ${helperIdent(app, ENCRYPTION.hash)}(plain);` : sql.blank
    }
  end if;`;
}

/**
 * Per encrypted column with `lookup`: `<schema>.<table>_by_<column>(value)`, SECURITY INVOKER, the keys of the rows
 * whose value equals `value` among those the caller sees (their row security and grants apply), compared by keyed
 * hash under every live key (a rotation may be half done); and `<toolkit>.encryption_hashes(text)`, SECURITY
 * DEFINER, which returns those hashes and nothing else. Both executable by the roles reading the column's twin.
 *
 * @example
 * emitLookups(plan); // clinic.patients_by_insurance_number(text) returns setof integer
 */
export function emitLookups(plan: Plan): Statement[] {
  const { app } = plan;
  const lookups = plan.encrypted.filter((e) => e.hash);
  if (lookups.length === 0) return [];
  const keys = helperIdent(app, ENCRYPTION.keys);
  const hashes = helperIdent(app, ENCRYPTION.hashes);
  const callers = [...new Set(lookups.flatMap((e) => e.lookupRoles))];
  const grantTo = (roles: readonly string[]) =>
    sql.join(
      roles.map((r) => roleIdent(app, r)),
      ", ",
    );
  return [
    {
      kind: "function",
      fn: { name: ENCRYPTION.hashes, argTypes: ["text"], securityDefiner: true, volatility: "stable", searchPath: true },
      sql: sql`${lineComment("encrypted columns with lookup: the keyed hashes of a value under every live key, for the lookups; reads the keys, returns only hashes")}
create or replace function ${hashes}(plain text) returns text[]
  language sql stable strict security definer
  set search_path = pg_catalog, pg_temp
  return (select pg_catalog.array_agg(pg_catalog.encode(${sql.identifier(cryptoSchema(app), "hmac")}(plain::bytea, k.hash_secret, 'sha256'), 'hex') order by k.id)
            from ${keys} k where k.retired_at is null);`,
    },
    {
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${ENCRYPTION.hashes}`],
      sql: sql`${lineComment(`encrypted columns with lookup: hashing for the lookups, by the roles that read the twins (${callers.join(", ") || "nobody"})`)}
revoke all on function ${hashes}(text) from public;${
        callers.length ? sql`\ngrant execute on function ${hashes}(text) to ${grantTo(callers)};` : sql.blank
      }`,
    },
    ...lookups.flatMap((e): Statement[] => {
      const name = lookupFunction(e);
      const fn = sql.identifier(app.schema, name);
      const key = sql.identifier(e.key);
      return [
        {
          kind: "function",
          fn: { schema: app.schema, name, argTypes: ["text"], securityDefiner: false, volatility: "stable", searchPath: true },
          sql: sql`${lineComment(`encrypt ${e.table}.${e.column} with lookup: the ${e.table} the caller sees whose ${e.column} equals value, by keyed hash`)}
create or replace function ${fn}(value text) returns setof ${trusted(e.keyType)}
  language sql stable strict security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(sql`select t.${key} from ${tableIdent(app, e.table)} t
 where t.${sql.identifier(e.hash!)} = any (${hashes}(value))
 order by t.${key}`)};`,
        },
        {
          kind: "grant",
          revokes: [`${app.schema}.${name}`],
          sql: sql`${lineComment(`encrypt ${e.table}.${e.column} with lookup: for the roles that read ${e.mask.twin} (${e.lookupRoles.join(", ") || "nobody"})`)}
revoke all on function ${fn}(text) from public;${
            e.lookupRoles.length ? sql`\ngrant execute on function ${fn}(text) to ${grantTo(e.lookupRoles)};` : sql.blank
          }`,
        },
      ];
    }),
  ];
}
