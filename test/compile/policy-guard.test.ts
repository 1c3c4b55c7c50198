import { compileApp, withRolePrefix } from "../../db";
import { shopCatalog } from "./fixtures/catalog";
import { shop } from "./fixtures/shop";

const { sql } = compileApp(withRolePrefix(shop, "snap_"), shopCatalog());
const guard = '(select "gatehouse"."current_user_id"(current_user)) is not null';

/** The body of one `create policy`, from `using (` or `with check (` to its closing line. */
function clause(policy: string, keyword: "using" | "with check"): string {
  const start = sql.indexOf(`create policy "${policy}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  const statement = sql.slice(start, sql.indexOf(";\n", start));
  const body = statement.split(`\n  ${keyword} (\n`)[1];
  expect(body).toBeDefined();
  return body!.split("\n  )")[0]!.trim();
}

test("clerk's own-or-pool select guards only the pool arm, after it: an owned row never asks for the guard", () => {
  expect(clause("clerk__select", "using")).toBe(
    [
      '("customers"."owner_id" = (select "gatehouse"."current_user_id"(current_user))',
      `      or (("customers"."owner_id" is null) is true and ${guard}))`,
    ].join("\n"),
  );
});

test("clerk's own-only update needs no guard: comparing with the user's id already asks for a known, active user", () => {
  expect(clause("clerk__update", "using")).toBe('"customers"."owner_id" = (select "gatehouse"."current_user_id"(current_user))');
});

test("manager's select keeps the guard in front: beside a unit tree, a guarded arm would make every row test the tree again", () => {
  const using = clause("manager__select", "using");
  expect(using.startsWith(`${guard}\n    and (`)).toBe(true);
  expect(using.split(guard)).toHaveLength(2);
});

test("support's select of every row keeps the guard: all() holds for anyone", () => {
  expect(clause("support__select", "using")).toBe(`${guard}\n    and true`);
});
