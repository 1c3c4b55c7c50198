import type { AppDefinition } from "../../policy/define";
import { doBlock, lineComment, literal, sql, toDdl, trusted } from "../../sql/ddl";
import type { Statement } from "../statement";

/**
 * The comment every generated function carries, which marks it as the generation's to drop once no definition
 * produces it: a smart tag (`@gatehouse …`), which PostGraphile keeps out of the API's descriptions.
 */
export const GENERATED_FUNCTION = "@gatehouse generated from the definitions";

/**
 * The last statement of a generation: drops the functions an earlier generation made that no definition produces
 * any more (a removed operation, ending, pool or reveal), with the triggers that call them, and marks every
 * function of this generation with {@link GENERATED_FUNCTION}. Only marked functions are ever dropped, so a
 * function of the app's own in the app schema is never touched.
 *
 * @example
 * emitLeftoverCleanup(app, statements); // do $gh$ … drop function %s cascade … $gh$;
 */
export function emitLeftoverCleanup(app: AppDefinition, statements: readonly Statement[]): Statement[] {
  const signatures = statements
    .flatMap((s) => (s.fn ? [s.fn] : []))
    .map((fn) =>
      literal(toDdl(sql`${sql.identifier(fn.schema ?? app.toolkitSchema, fn.name)}(${trusted(fn.argTypes.join(", "))})`)),
    );
  const schemas = [app.toolkitSchema, app.schema].map((s) => literal(toDdl(sql.identifier(s))));
  return [
    {
      kind: "function",
      sql: sql`${lineComment("functions no definition produces any more are dropped, with the triggers that call them; the others are marked as generated")}
${doBlock(sql`declare
  generated regprocedure[] := array[
    ${sql.join(signatures, ",\n    ")}
  ]::regprocedure[];
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure
      from pg_catalog.pg_proc p
     where p.pronamespace in (${sql.join(
       schemas.map((s) => sql`${s}::regnamespace`),
       ", ",
     )})
       and pg_catalog.obj_description(p.oid, 'pg_proc') = ${literal(GENERATED_FUNCTION)}
       and p.oid <> all (generated)
     order by p.oid::regprocedure::text
  loop
    raise notice 'gatehouse: dropping %, which no definition produces any more', f;
    execute pg_catalog.format('drop function %s cascade', f);
  end loop;
  foreach f in array generated loop
    execute pg_catalog.format('comment on function %s is %L', f, ${literal(GENERATED_FUNCTION)});
  end loop;
end`)}`,
    },
  ];
}
