import { literal, sql, trusted } from "../../sql/ddl";
import { HELPERS } from "../names";
import { grantPrivileges } from "../scope-sql";
import { ARM_ORDER, columnKind } from "./kind";

/** `granted(col)`: rows a live temporary grant for this table and command gives the caller. */
export const granted = columnKind<"granted">({
  order: () => ARM_ORDER.borrowed,
  asksWho: true,
  knowsUser: () => true,
  fewRows: () => true,
  render: (s, { ctx, column, once }) => {
    const privileges = sql.join(
      grantPrivileges(ctx.command).map((p) => literal(p)),
      ", ",
    );
    const helper = once(HELPERS.granted, literal(ctx.table), sql`array[${privileges}]`);
    return sql`${column(s.column)} = any (${helper}::${trusted(ctx.arrayTypes.grantRow)}[])`;
  },
  describe: () => "rows granted to them by a live temporary grant",
  validate: (s, checks) => {
    checks.hasColumn(s.column);
    if (!checks.app.identity.grants)
      checks.problem(`${checks.who}: granted() needs identity.grants (where temporary grants are kept) in defineApp`);
  },
});
