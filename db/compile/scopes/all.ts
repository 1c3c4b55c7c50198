import { sql } from "../../sql/ddl";
import { ARM_ORDER, type ScopeKind } from "./kind";

/** `all()`: every row. */
export const all: ScopeKind<"all"> = {
  asksWho: false,
  readsParentRows: false,
  holds: false,
  render: () => sql`true`,
  describe: () => "every row",
  validate: () => {},
  children: () => [],
  columns: () => [],
  key: (s) => JSON.stringify(s),
  order: () => ARM_ORDER.row,
  knowsUser: () => false,
  fewRows: () => false,
};
