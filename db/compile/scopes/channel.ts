import { sql } from "../../sql/ddl";
import { HELPERS, helperIdent } from "../names";
import { writesSubSelects } from "../scope-sql";
import { ARM_ORDER, valueList, type ScopeKind } from "./kind";

/** `channelIs(…)` and `channelIsNot(…)`: the request came (or did not come) through one of the channels. */
export const channel: ScopeKind<"channel"> = {
  asksWho: true,
  readsParentRows: false,
  holds: false,
  render: (s, { ctx }) => {
    const call = sql`${helperIdent(ctx.app, HELPERS.channel)}()`;
    const current = writesSubSelects(ctx) ? sql`(select ${call})` : call;
    return s.op === "in"
      ? sql`${current} in (${valueList(s.values)})`
      : sql`(${current} in (${valueList(s.values)})) is not true`;
  },
  describe: (s) =>
    s.op === "in" ? `requests through ${s.values.join(" or ")}` : `requests not through ${s.values.join(" or ")}`,
  validate: () => {},
  children: () => [],
  columns: () => [],
  key: (s) => JSON.stringify(s),
  order: () => ARM_ORDER.row,
  knowsUser: () => false,
  fewRows: () => false,
};
