import { sql } from "../../sql/ddl";
import { writesSubSelects } from "../scope-sql";
import { columnKind } from "./kind";

/**
 * `isFuture(col)`: the time in the column is still ahead, by the clock (read once per statement), not the transaction's
 * start; under `policies: { sublinks: false }` the clock is read for each row.
 */
export const future = columnKind<"future">({
  render: (s, { ctx, column }) =>
    writesSubSelects(ctx)
      ? sql`${column(s.column)} > (select pg_catalog.clock_timestamp())`
      : sql`${column(s.column)} > pg_catalog.clock_timestamp()`,
  describe: (s) => `${s.column} is still ahead`,
});
