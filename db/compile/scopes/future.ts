import { sql } from "../../sql/ddl";
import { columnKind } from "./kind";

/** `isFuture(col)`: the time in the column is still ahead, by the clock (read once per statement), not the transaction's start. */
export const future = columnKind<"future">({
  render: (s, { column }) => sql`${column(s.column)} > (select pg_catalog.clock_timestamp())`,
  describe: (s) => `${s.column} is still ahead`,
});
