import { sql } from "../../sql/ddl";
import { HELPERS } from "../names";
import { ARM_ORDER, columnKind } from "./kind";

/** `unit(col)`: rows whose column is the caller's org unit. */
export const unit = columnKind<"unit">({
  order: () => ARM_ORDER.wide,
  asksWho: true,
  knowsUser: () => true,
  holds: true,
  render: (s, r) => sql`${r.column(s.column)} = ${r.once(HELPERS.unitId)}`,
  describe: (s) => `rows of their unit (${s.column})`,
});
