import { writesSublinks, type AppDefinition } from "../policy/define";
import type { Scope } from "../policy/scopes";
import { toDdl } from "../sql/ddl";
import { walkScope } from "./walk";

const SELECT = /\bselect\b/i;

/**
 * What `policies: { sublinks: false }` cannot write: a `raw()` predicate with a sub-select in a scope that becomes a
 * policy (a role's rules, a restriction, a masking view's condition). Operations, endings and other functions may
 * keep theirs: they are function bodies, not policies.
 *
 * @example
 * sublinkProblems(app); // ['role nurse (patients): raw predicate "on a ward they staff" has a sub-select, …']
 */
export function sublinkProblems(app: AppDefinition): string[] {
  if (writesSublinks(app)) return [];
  const problems: string[] = [];
  const check = (who: string, scope: Scope | undefined) => {
    if (!scope) return;
    walkScope(scope, (s) => {
      if (s.kind === "raw" && SELECT.test(toDdl(s.sql)))
        problems.push(
          `${who}: raw predicate "${s.description}" has a sub-select, which policies: { sublinks: false } cannot write: ` +
            "compare with a helper function returning an array (column = any (schema.helper())) or use via()",
        );
    });
  };
  for (const role of app.roles)
    for (const [table, rules] of Object.entries(role.tables)) {
      const who = `role ${role.name} (${table})`;
      for (const scope of [rules.select, rules.delete, rules.insert?.check, rules.update?.using, rules.update?.check])
        check(who, scope);
    }
  for (const x of app.restrictions)
    for (const scope of [x.hides, x.unless, ...x.exempt.map(([, s]) => s)]) check(`restriction ${x.name}`, scope);
  for (const v of app.views) check(`view ${v.name}`, v.where);
  for (const p of app.pools) for (const [, scope] of p.claim) check(`public pool of ${p.table}`, scope);
  return problems;
}
