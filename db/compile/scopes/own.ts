import { sql } from "../../sql/ddl";
import { HELPERS } from "../names";
import { columnKind } from "./kind";

/** `own(col)`: rows whose column holds the caller's user id. */
export const own = columnKind<"own">({
  asksWho: true,
  knowsUser: () => true,
  fewRows: () => true,
  holds: true,
  render: (s, r) => sql`${r.column(s.column)} = ${r.once(HELPERS.userId)}`,
  describe: (s) => `rows they own (${s.column})`,
});
