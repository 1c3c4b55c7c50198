import { sql, trusted } from "../../sql/ddl";
import { HELPERS } from "../names";
import { ARM_ORDER, columnKind } from "./kind";

/** `unitTree(col)`: rows whose column is the caller's unit or one below it. */
export const unitTree = columnKind<"unitTree">({
  order: () => ARM_ORDER.wide,
  asksWho: true,
  knowsUser: () => true,
  holds: true,
  render: (s, r) => sql`${r.column(s.column)} = any (${r.once(HELPERS.unitTree)}::${trusted(r.ctx.arrayTypes.unit)}[])`,
  describe: (s) => `rows of their unit and its sub-units (${s.column})`,
});
