import { sql, toDdl } from "../../sql/ddl";
import { ARM_ORDER, type ScopeKind } from "./kind";

/** `raw(predicate, description)`: a predicate built with the safe SQL builder, without bind values. */
export const raw: ScopeKind<"raw"> = {
  asksWho: false,
  readsParentRows: false,
  holds: false,
  render: (s) => sql`(${s.sql})`,
  describe: (s) => s.description,
  validate: (s, checks) => {
    try {
      toDdl(s.sql);
    } catch {
      checks.problem(
        `${checks.who}: raw predicate "${s.description}" has bind values; build it with sql.identifier and literal(), not sql.value`,
      );
    }
  },
  children: () => [],
  columns: () => [],
  key: (s) => `raw(${toDdl(s.sql)})`,
  order: () => ARM_ORDER.wide,
  knowsUser: () => false,
  fewRows: () => false,
};
