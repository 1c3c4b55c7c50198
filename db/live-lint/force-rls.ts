import { sql, toDdl } from "../sql/ddl";
import type { LiveLint } from "./lint";

/**
 * `force-rls`: every table of the app schema, and every table of the toolkit schema (the login mapping, the audit
 * trail, approvals, exports: all hold data), has row level security enabled and forced. Without ENABLE no policy
 * applies; without FORCE the table's owner bypasses them.
 */
export const forceRls: LiveLint = {
  name: "force-rls",
  description: "a table of the app or toolkit schema without ENABLE or FORCE row level security",
  run: async ({ client, app }) => {
    const { rows } = await client.query<{ schema: string; name: string; enabled: boolean; forced: boolean }>(
      `select n.nspname::text as schema, c.relname::text as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
         from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p') and not (c.relrowsecurity and c.relforcerowsecurity)
        order by n.nspname, c.relname`,
      [[app.schema, app.toolkitSchema]],
    );
    return rows.map((t) => {
      const table = toDdl(sql.identifier(t.schema, t.name));
      const missing = [...(t.enabled ? [] : ["enable"]), ...(t.forced ? [] : ["force"])];
      const why = t.enabled ? "its owner bypasses its policies" : "no policy applies to it";
      return {
        lint: "force-rls",
        level: "error" as const,
        object: `table ${t.schema}.${t.name}`,
        message: `row level security is not ${missing.map((m) => `${m}d`).join(" or ")}: ${why}; ${missing
          .map((m) => `alter table ${table} ${m} row level security`)
          .join("; ")}`,
      };
    });
  },
};
