import { sql } from "../../sql/ddl";
import { columnKind } from "./kind";

/** `pool(col)`: the unowned pool, rows whose column is null. */
export const pool = columnKind<"pool">({
  holds: true,
  render: (s, r) => sql`${r.column(s.column)} is null`,
  describe: (s) => `the unowned pool (${s.column} is null)`,
});
