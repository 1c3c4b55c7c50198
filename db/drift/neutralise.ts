import { doBlock, literal, sql, type SQL } from "../sql/ddl";
import type { DriftScope } from "./scope";

const textArray = (values: readonly string[]): SQL =>
  sql`array[${sql.join(
    values.map((v) => literal(v)),
    ", ",
  )}]::text[]`;

/**
 * What the check runs before the generated SQL, inside its rolled-back transaction, so that drift the generation
 * would leave in place shows as a difference: every privilege PUBLIC or a generated role holds on a relation of the
 * managed schemas and on those schemas (PUBLIC's on the app schema excepted: the app may own that schema's defaults),
 * EXECUTE of generated roles on every function there (and PUBLIC's on SECURITY DEFINER ones), and every policy on a
 * toolkit table. The generation grants back exactly what the definitions say.
 *
 * @example
 * await applyStatements(client, [neutralise(scope)]);
 */
export function neutralise(scope: DriftScope): SQL {
  const generated = (column: SQL) =>
    sql`(${column} = any (${textArray(scope.roles)}) or (${literal(scope.prefix)} <> '' and pg_catalog.starts_with(${column}, ${literal(scope.prefix)})))`;
  const schemas = textArray(scope.schemas);
  const grantee = sql`case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(g.rolname) end`;
  const holder = sql`pg_catalog.pg_roles g on g.oid = a.grantee`;
  return doBlock(sql`declare
  r record;
begin
  for r in
    select distinct n.nspname, c.relname, c.relkind = 'S' as seq, ${grantee} as grantee
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      cross join lateral (
        select x.grantee from pg_catalog.aclexplode(c.relacl) x
        union all
        select x.grantee from pg_catalog.pg_attribute att cross join lateral pg_catalog.aclexplode(att.attacl) x
         where att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped) a
      left join ${holder}
     where n.nspname = any (${schemas}) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
       and a.grantee <> c.relowner and (a.grantee = 0 or ${generated(sql`g.rolname::text`)})
     order by 1, 2, 4
  loop
    execute pg_catalog.format('revoke all on %s %I.%I from %s', case when r.seq then 'sequence' else 'table' end, r.nspname, r.relname, r.grantee);
  end loop;
  for r in
    select distinct n.nspname, ${grantee} as grantee
      from pg_catalog.pg_namespace n
      cross join lateral pg_catalog.aclexplode(n.nspacl) a
      left join ${holder}
     where n.nspname = any (${schemas}) and a.grantee <> n.nspowner
       and ((a.grantee = 0 and n.nspname <> ${literal(scope.appSchema)}) or ${generated(sql`g.rolname::text`)})
     order by 1, 2
  loop
    execute pg_catalog.format('revoke all on schema %I from %s', r.nspname, r.grantee);
  end loop;
  for r in
    select distinct n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) as args, ${grantee} as grantee
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      cross join lateral pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
      left join ${holder}
     where n.nspname = any (${schemas}) and p.prokind in ('f', 'p') and a.grantee <> p.proowner
       and ((a.grantee = 0 and p.prosecdef) or ${generated(sql`g.rolname::text`)})
     order by 1, 2, 3, 4
  loop
    execute pg_catalog.format('revoke all on function %I.%I(%s) from %s', r.nspname, r.proname, r.args, r.grantee);
  end loop;
  for r in
    select schemaname, tablename, policyname from pg_catalog.pg_policies
     where schemaname = ${literal(scope.toolkitSchema)}
     order by 1, 2, 3
  loop
    execute pg_catalog.format('drop policy %I on %I.%I', r.policyname, r.schemaname, r.tablename);
  end loop;
end`);
}
