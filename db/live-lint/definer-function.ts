import { sql, toDdl } from "../sql/ddl";
import type { LiveLintFinding } from "./finding";
import type { LiveLint } from "./lint";

/**
 * `definer-function`: every SECURITY DEFINER function or procedure in the app, toolkit and `select *` schemas, and in
 * any other schema an app role may use (`public` included, unless revoked), has `search_path` fixed in its settings
 * (else a caller's own objects earlier on the path run with the owner's rights) and is not executable by PUBLIC
 * (PUBLIC includes every role of the cluster). Two findings when both fail.
 */
export const definerFunction: LiveLint = {
  name: "definer-function",
  description: "a SECURITY DEFINER function without a fixed search_path, or executable by PUBLIC",
  run: async ({ client, app, requestRoles, roleSchemas }) => {
    const { rows } = await client.query<{ schema: string; name: string; args: string; fixed: boolean; public: boolean }>(
      `select n.nspname::text as schema, p.proname::text as name, pg_catalog.pg_get_function_identity_arguments(p.oid) as args,
              coalesce(exists (select 1 from pg_catalog.unnest(p.proconfig) s where s like 'search_path=%'), false) as fixed,
              p.proacl is null or exists (select 1 from pg_catalog.aclexplode(p.proacl) a
                                          where a.grantee = 0 and a.privilege_type = 'EXECUTE') as public
         from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
          and (n.nspname = any ($1::text[])
               or exists (select 1 from pg_catalog.pg_roles r
                           where r.rolname = any ($2::text[]) and pg_catalog.has_schema_privilege(r.oid, n.oid, 'usage')))
        order by n.nspname, p.proname, 3`,
      [[app.schema, app.toolkitSchema, ...roleSchemas], requestRoles],
    );
    return rows.flatMap((f): LiveLintFinding[] => {
      const object = `function ${f.schema}.${f.name}(${f.args})`;
      const ident = `${toDdl(sql.identifier(f.schema, f.name))}(${f.args})`;
      return [
        ...(f.fixed
          ? []
          : [
              {
                lint: "definer-function",
                level: "error" as const,
                object,
                message: `is security definer without a fixed search_path: a caller's objects earlier on the path would run as its owner; alter function ${ident} set search_path = pg_catalog, pg_temp`,
              },
            ]),
        ...(f.public
          ? [
              {
                lint: "definer-function",
                level: "error" as const,
                object,
                message: `is security definer and executable by public (every role of the cluster); revoke execute on function ${ident} from public, then grant it to the roles that need it`,
              },
            ]
          : []),
      ];
    });
  },
};
