import { sql } from "../../sql/ddl";
import { columnKind } from "./kind";

/** `isNull(col)` and `isNotNull(col)`. */
export const isNull = columnKind<"isNull">({
  render: (s, { column }) => (s.negate ? sql`${column(s.column)} is not null` : sql`${column(s.column)} is null`),
  describe: (s) => (s.negate ? `${s.column} is set` : `${s.column} is empty`),
});
