import { literal, sql } from "../../sql/ddl";
import { columnKind, describeValues, valueList } from "./kind";

/** `is(col, …values)` and `isNot(col, …values)`: rows whose column is (or is none of) the values. */
export const attr = columnKind<"attr">({
  render: (s, { column }) => {
    const test =
      s.values.length === 1
        ? sql`${column(s.column)} = ${literal(s.values[0]!)}`
        : sql`${column(s.column)} in (${valueList(s.values)})`;
    return s.op === "in" ? test : sql`(${test}) is not true`;
  },
  describe: (s) =>
    s.op === "in" ? `${s.column} is ${describeValues(s.values)}` : `${s.column} is not ${describeValues(s.values)}`,
  validate: (s, checks) => {
    checks.hasColumn(s.column);
    if (s.values.length === 0) checks.problem(`${checks.who}: ${checks.table.name}.${s.column} is compared with an empty list`);
  },
});
