import { sql, trusted } from "../../sql/ddl";
import { HELPERS } from "../names";
import { ARM_ORDER, columnKind } from "./kind";

/** `userInTree(col)`: rows whose column holds a user of the caller's unit or one below it. */
export const userInTree = columnKind<"userInTree">({
  order: () => ARM_ORDER.wide,
  asksWho: true,
  knowsUser: () => true,
  holds: true,
  render: (s, r) => sql`${r.column(s.column)} = any (${r.once(HELPERS.treeUsers)}::${trusted(r.ctx.arrayTypes.user)}[])`,
  describe: (s) => `${s.column} is a user of their unit or its sub-units`,
});
