import { sql } from "../../sql/ddl";
import { columnKind } from "./kind";

/**
 * `pool(col)`: the unowned pool, rows whose column is null. Written `(col is null) is true` (the same rows) so that
 * only the pool's support indexes, whose predicate it is, serve the arm: see `supportIndexes` in plan-table.ts.
 */
export const pool = columnKind<"pool">({
  holds: true,
  render: (s, r) => sql`(${r.column(s.column)} is null) is true`,
  describe: (s) => `the unowned pool (${s.column} is null)`,
});
