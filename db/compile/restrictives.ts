import type { AppDefinition } from "../policy/define";
import { COMMANDS, type Command } from "../policy/roles";
import type { RestrictionDefinition } from "../policy/restrict";
import type { MemberSet, Scope } from "../policy/scopes";
import { restrictiveName } from "./names";
import type { RestrictiveNode, RestrictivePolicy } from "./plan";
import { anyOf } from "./simplify";
import { memberSetsOf } from "./walk";

/**
 * The policies a restriction becomes for one role: one for all commands (`restrict__<x>__<role>`), or one per
 * command (`…__<command>`); an update policy of a restriction hiding every row is a ban.
 *
 * @example
 * restrictivePolicies("mobile_read_only", "doctor", ["insert", "update"], all())
 * // [{ name: "restrict__mobile_read_only__doctor__insert", command: "insert", ban: false }, { …__update, ban: true }]
 */
export function restrictivePolicies(
  restriction: string,
  role: string,
  commands: readonly Command[],
  hides: Scope,
): RestrictivePolicy[] {
  const allCommands = commands.length === COMMANDS.length;
  const name = restrictiveName(restriction, role);
  return (allCommands ? (["all"] as const) : commands).map((command) =>
    Object.freeze({
      name: allCommands ? name : `${name}__${command}`,
      command,
      ban: hides.kind === "all" && command === "update",
    }),
  );
}

/** The app's restrictions on `table`, in definition order (indexed once per app: the plan asks per role and table). */
function restrictionsOn(app: AppDefinition, table: string): readonly RestrictionDefinition[] {
  let byTable = restrictionsByTable.get(app);
  if (!byTable) {
    byTable = new Map();
    for (const x of app.restrictions) byTable.set(x.table, [...(byTable.get(x.table) ?? []), x]);
    restrictionsByTable.set(app, byTable);
  }
  return byTable.get(table) ?? [];
}

const restrictionsByTable = new WeakMap<AppDefinition, Map<string, readonly RestrictionDefinition[]>>();

/**
 * The restrictive policies a role gets on a table: one per restriction it is not wholly exempt from and that
 * covers a command it holds, keeping the restriction's `unless` or'd with `exemptions(restriction)`. Member sets
 * the kept scopes use are added to `memberSets`.
 *
 * @example
 * restrictivesFor(clinic, "patients", "doctor", (x) => exemptionsOf(x, doctor), new Set(["select"]), sets)
 */
export function restrictivesFor(
  app: AppDefinition,
  table: string,
  role: string,
  exemptions: (restriction: RestrictionDefinition) => Scope[],
  held: ReadonlySet<Command>,
  memberSets: Map<string, MemberSet>,
): RestrictiveNode[] {
  const out: RestrictiveNode[] = [];
  for (const restriction of restrictionsOn(app, table)) {
    const keeps = anyOf([...(restriction.unless ? [restriction.unless] : []), ...exemptions(restriction)]);
    if (keeps?.kind === "all") continue;
    if (!restriction.commands.some((c) => held.has(c))) continue;
    const commands =
      restriction.commands.length === COMMANDS.length ? restriction.commands : restriction.commands.filter((c) => held.has(c));
    if (keeps) memberSetsOf(keeps, memberSets);
    out.push(
      Object.freeze({
        table,
        role,
        restriction: restriction.name,
        commands: Object.freeze(commands),
        hides: restriction.hides,
        ...(keeps ? { keeps } : {}),
        policies: Object.freeze(restrictivePolicies(restriction.name, role, commands, restriction.hides)),
      }),
    );
  }
  return out;
}
