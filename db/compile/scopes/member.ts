import { sql, trusted } from "../../sql/ddl";
import { memberHelper } from "../names";
import { ARM_ORDER, columnKind } from "./kind";

/** `member(col, set)`: rows whose column is in a membership set of the caller's. */
export const member = columnKind<"member">({
  order: () => ARM_ORDER.borrowed,
  asksWho: true,
  knowsUser: () => true,
  fewRows: () => true,
  render: (s, { ctx, column, once }) =>
    sql`${column(s.column)} = any (${once(memberHelper(s.set.name))}::${trusted(ctx.arrayTypes.member(s.set.name))}[])`,
  describe: (s) => `rows in ${s.set.name.replace(/_/g, " ")} they belong to`,
  validate: (s, checks) => {
    checks.hasColumn(s.column);
    checks.checkMemberSet(s.set);
  },
  key: (s) => `member(${s.column},${s.set.name})`,
});
