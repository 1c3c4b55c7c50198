import { dollarQuoted, lineComment, literal, sql, trusted, type SQL } from "../../sql/ddl";
import { COLUMN_HELPERS, helperIdent, roleIdent } from "../names";
import type { Plan } from "../plan";
import type { Statement } from "../statement";

/** Relation kinds a name may mean: tables, partitioned tables, views, materialized views, foreign tables. */
const RELATION_KINDS = trusted("('r', 'p', 'v', 'm', 'f')");

/** An invoker helper taking one table name: stable, fixed search_path, reads only the catalog. */
function invoker(plan: Plan, name: string, returns: SQL, language: "sql" | "plpgsql", body: SQL, why: string): Statement {
  return {
    kind: "function",
    fn: { name, argTypes: ["text"], securityDefiner: false, volatility: "stable", searchPath: true },
    sql: sql`${lineComment(why)}
create or replace function ${helperIdent(plan.app, name)}(table_name text) returns ${returns}
  language ${trusted(language)} stable security invoker
  set search_path = pg_catalog, pg_temp
as ${dollarQuoted(body)};`,
  };
}

/**
 * Masked twins as (relation, twin, masked column): each mask on its table, and each masking view
 * column that is a twin of its base table. A relation with no twins gets an empty, typed set.
 */
function twinRows(plan: Plan): SQL {
  const rows: [string, string, string][] = plan.masks.map((m) => [m.table, m.twin, m.column]);
  for (const v of plan.views) {
    for (const m of plan.masks) if (m.table === v.from && v.columns.includes(m.twin)) rows.push([v.name, m.twin, m.column]);
  }
  if (rows.length === 0) return sql`(select null::text, null::text, null::text where false)`;
  return sql`(values\n${sql.join(
    rows.map((row) => sql`          (${sql.join(row.map(literal), ", ")})`),
    ",\n",
  )})`;
}

/**
 * `columns_for(table)`: the columns of a table or view the calling role may select, for the user
 * whose `select *` was refused; `select_for(table)`: the same as a ready statement; and
 * `resolve_table(table)`, which both use to find the relation (in the app schema unless qualified)
 * or fail naming the schema and the nearest name. SECURITY INVOKER, so they report only the
 * caller's own privileges (`has_column_privilege(current_user, …)`, which counts the app role a
 * role-bound login inherits) and read only the catalog, never a row. Executable by the app roles.
 */
export function emitColumnHelpers(plan: Plan): Statement[] {
  const { app } = plan;
  const schema = literal(app.schema);
  const resolve = helperIdent(app, COLUMN_HELPERS.resolve);
  const columnsFor = helperIdent(app, COLUMN_HELPERS.columnsFor);
  const out: Statement[] = [
    invoker(
      plan,
      COLUMN_HELPERS.resolve,
      sql`regclass`,
      "plpgsql",
      sql`declare
  parts text[];
  schema_name text := ${schema};
  wanted text := table_name;
  schema_oid oid;
  rel oid;
  candidate text;
  best integer;
  suggestion text := '';
  prev integer[];
  cur integer[];
begin
  select c.oid into rel
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = schema_name and c.relname = table_name and c.relkind in ${RELATION_KINDS};
  if rel is not null then
    return rel;
  end if;
  begin
    parts := pg_catalog.parse_ident(table_name);
  exception when invalid_parameter_value then
    parts := array[table_name];
  end;
  if pg_catalog.array_length(parts, 1) = 2 then
    schema_name := parts[1];
    wanted := parts[2];
  elsif pg_catalog.array_length(parts, 1) = 1 then
    wanted := parts[1];
  end if;
  select n.oid into schema_oid from pg_catalog.pg_namespace n where n.nspname = schema_name;
  if schema_oid is null then
    raise exception 'no schema "%"', schema_name using errcode = 'invalid_schema_name';
  end if;
  select c.oid into rel
    from pg_catalog.pg_class c
   where c.relnamespace = schema_oid and c.relname = wanted and c.relkind in ${RELATION_KINDS};
  if rel is not null then
    return rel;
  end if;
  -- the nearest name by edit distance, ignoring case, within a third of the name's length (at least 2)
  best := greatest(2, pg_catalog.length(wanted) / 3) + 1;
  for candidate in
    select c.relname::text from pg_catalog.pg_class c
     where c.relnamespace = schema_oid and c.relkind in ${RELATION_KINDS}
     order by c.relname
  loop
    prev := array(select pg_catalog.generate_series(0, pg_catalog.length(candidate)));
    for i in 1 .. pg_catalog.length(wanted) loop
      cur := array[i];
      for j in 1 .. pg_catalog.length(candidate) loop
        cur := cur || least(prev[j + 1] + 1, cur[j] + 1, prev[j] + case
          when pg_catalog.lower(pg_catalog.substr(wanted, i, 1)) = pg_catalog.lower(pg_catalog.substr(candidate, j, 1)) then 0
          else 1 end);
      end loop;
      prev := cur;
    end loop;
    if prev[pg_catalog.length(candidate) + 1] < best then
      best := prev[pg_catalog.length(candidate) + 1];
      suggestion := pg_catalog.format(' (did you mean "%s"?)', candidate);
    end if;
  end loop;
  raise exception 'no table "%" in schema %', wanted, schema_name || suggestion using errcode = 'undefined_table';
end`,
      "which table or view columns_for and select_for mean: a name in the app schema, or schema-qualified; an unknown one fails naming the schema and the nearest name",
    ),
    invoker(
      plan,
      COLUMN_HELPERS.columnsFor,
      sql`table (column_name name, masks name, privileges text)`,
      "sql",
      sql`  with t as materialized (select ${resolve}(table_name) as rel)
  select a.attname,
         m.masked::name,
         pg_catalog.concat_ws(', ', 'select',
           case when pg_catalog.has_column_privilege(current_user, a.attrelid, a.attnum, 'insert') then 'insert' end,
           case when pg_catalog.has_column_privilege(current_user, a.attrelid, a.attnum, 'update') then 'update' end)
    from t
    join pg_catalog.pg_class c on c.oid = t.rel
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    left join ${twinRows(plan)} as m (relation, twin, masked)
      on n.nspname = ${schema} and m.relation = c.relname and m.twin = a.attname
    left join pg_catalog.pg_attribute r on r.attrelid = c.oid and r.attname = m.masked and not r.attisdropped
   where pg_catalog.has_column_privilege(current_user, a.attrelid, a.attnum, 'select')
   order by coalesce(r.attnum, a.attnum), a.attnum`,
      "the columns of a table or view the calling role may select, a masked twin in the place of the column it masks: what to write when select * is refused",
    ),
    invoker(
      plan,
      COLUMN_HELPERS.selectFor,
      sql`text`,
      "sql",
      sql`  select 'select ' || pg_catalog.string_agg(pg_catalog.quote_ident(f.column_name), ', ' order by f.ordinal)
         || ' from ' || ${resolve}(table_name)::text
    from ${columnsFor}(table_name) with ordinality as f (column_name, masks, privileges, ordinal)`,
      `a select of exactly the columns of a table or view the calling role may read (null if none); in psql, select ${app.toolkitSchema}.select_for('<table>') \\gexec runs it`,
    ),
  ];
  const roles = plan.roles.map((r) => roleIdent(app, r.name));
  for (const name of Object.values(COLUMN_HELPERS)) {
    out.push({
      kind: "grant",
      revokes: [`${app.toolkitSchema}.${name}`],
      sql: sql`revoke all on function ${helperIdent(app, name)}(text) from public;
grant execute on function ${helperIdent(app, name)}(text) to ${sql.join(roles, ", ")};`,
    });
  }
  return out;
}
