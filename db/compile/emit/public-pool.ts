import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { renderScope, type ScopeContext } from "../scope-sql";
import { ACTING_ROLE, HELPERS, helperIdent, roleIdent, roleName, tableIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

export const POOL_CLAIMS_TABLE = "pool_claims";

/**
 * Public pools (`publicPool()`): a claims log in the toolkit schema, and per pool `claim_<name>(row_id)` and
 * `release_<name>(row_id)` in the app schema, SECURITY DEFINER (the caller may not write the owner column
 * themselves) and executable only by the roles that may claim (each listed role and every role extending it).
 * A claim checks, for the caller's role, the pool rows it may claim (its scope, with the caller's identity),
 * counts the caller's claims of the day under a per-user lock against the daily limit, and takes the row only
 * if it is still unowned — `update … where owner is null`: of concurrent claims on one row exactly one wins.
 * Release hands back a row the caller owns. Both are logged in the claims table (and in the audit trail).
 */
export function emitPublicPools(
  plan: Plan,
  ctxFor: (table: string) => ScopeContext,
  keyOf: (table: string) => { readonly key: string; readonly type: string },
): Statement[] {
  const { app } = plan;
  if (app.pools.length === 0) return [];
  const log = helperIdent(app, POOL_CLAIMS_TABLE);
  const userId = trusted(plan.types.userId);
  const out: Statement[] = [
    {
      kind: "table",
      target: `${app.toolkitSchema}.${POOL_CLAIMS_TABLE}`,
      sql: sql`${lineComment("public pools: every claim and release, counted against the daily claim limit; written only by the claim functions")}
create table if not exists ${log} (
  id bigint generated always as identity primary key,
  table_name text not null,
  row_key text not null,
  user_id ${userId} not null,
  action text not null check (action in ('claim', 'release')),
  at timestamptz not null default pg_catalog.clock_timestamp()
);
create index if not exists pool_claims_user_day on ${log} (user_id, table_name, at);
alter table ${log} enable row level security;
alter table ${log} force row level security;
revoke all on table ${log} from public;`,
    },
  ];
  for (const pool of app.pools) {
    const { key, type } = keyOf(pool.table);
    const keyType = trusted(type);
    const table = tableIdent(app, pool.table);
    const alias = sql.identifier(pool.table);
    const owner = sql.identifier(pool.owner);
    const claimers = plan.privileges.pools[pool.name]!;
    const ctx: ScopeContext = { ...ctxFor(pool.table), row: pool.table, actor: sql.identifier("caller") };
    const mayClaim = sql`case caller ${sql.join(
      claimers.map((c) => sql`when ${literal(roleName(app, c.role))} then ${renderScope(c.scope, ctx)}`),
      " ",
    )} else false end`;
    const roles = sql`array[${sql.join(
      claimers.map((c) => literal(roleName(app, c.role))),
      ", ",
    )}]::name[]`;
    const claim = sql.identifier(app.schema, `claim_${pool.name}`);
    const release = sql.identifier(app.schema, `release_${pool.name}`);
    const who = claimers.map((c) => c.role).join(", ");
    const refuse = sql`if uid is null or not (caller = any (${roles})) then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: only ${who} may claim or release ${pool.table} of the public pool`)};
  end if;`;
    const fnStatement = (name: string, why: string, body: SQL): Statement => ({
      kind: "function",
      fn: { schema: app.schema, name, argTypes: [type], securityDefiner: true, volatility: "volatile", searchPath: true },
      sql: sql`${lineComment(why)}
create or replace function ${sql.identifier(app.schema, name)}(row_id ${keyType}) returns ${keyType}
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(body)};`,
    });
    out.push(
      fnStatement(
        `claim_${pool.name}`,
        `public pool of ${pool.table}: ${who} claim an unowned row they may claim, at most ${pool.dailyLimit} a day`,
        sql`declare
  caller name := ${ACTING_ROLE};
  uid ${userId} := ${helperIdent(app, HELPERS.userId)}(caller);
  today bigint;
  done ${keyType};
begin
  ${refuse}
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(${literal(`${app.schema}.${pool.table} claims`)}), pg_catalog.hashtext(uid::text));
  select count(*) into today from ${log} l
   where l.user_id = uid and l.table_name = ${literal(pool.table)} and l.action = 'claim'
     and l.at >= pg_catalog.date_trunc('day', pg_catalog.clock_timestamp());
  if today >= ${literal(pool.dailyLimit)} then
    raise exception using errcode = 'insufficient_privilege',
      message = ${literal(`gatehouse: you have claimed ${pool.dailyLimit} ${pool.table} today, the daily limit: claim again tomorrow`)};
  end if;
  update ${table} as ${alias} set ${owner} = uid
   where ${alias}.${sql.identifier(key)} = row_id and ${alias}.${owner} is null and ${mayClaim}
  returning ${alias}.${sql.identifier(key)} into done;
  if done is null then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format(${literal(`gatehouse: ${pool.table} %s is not in the pool for you: claimed already, or not one you may claim`)}, row_id);
  end if;
  insert into ${log} (table_name, row_key, user_id, action) values (${literal(pool.table)}, done::text, uid, 'claim');
  return done;
end`,
      ),
      fnStatement(
        `release_${pool.name}`,
        `public pool of ${pool.table}: ${who} hand a row they own back to the pool`,
        sql`declare
  caller name := ${ACTING_ROLE};
  uid ${userId} := ${helperIdent(app, HELPERS.userId)}(caller);
  done ${keyType};
begin
  ${refuse}
  update ${table} as ${alias} set ${owner} = null
   where ${alias}.${sql.identifier(key)} = row_id and ${alias}.${owner} = uid
  returning ${alias}.${sql.identifier(key)} into done;
  if done is null then
    raise exception using errcode = 'insufficient_privilege',
      message = pg_catalog.format(${literal(`gatehouse: ${pool.table} %s is not yours to release`)}, row_id);
  end if;
  insert into ${log} (table_name, row_key, user_id, action) values (${literal(pool.table)}, done::text, uid, 'release');
  return done;
end`,
      ),
      {
        kind: "grant",
        revokes: [`claim_${pool.name}`, `release_${pool.name}`].map((name) => `${app.schema}.${name}`),
        sql: sql`revoke all on function ${claim}(${keyType}) from public;
revoke all on function ${release}(${keyType}) from public;
grant execute on function ${claim}(${keyType}), ${release}(${keyType}) to ${sql.join(
          claimers.map((c) => roleIdent(app, c.role)),
          ", ",
        )};`,
      },
    );
  }
  return out;
}
