import { roleName } from "../../db/compile/names";
import type { AppTestDatabase } from "../../db/testing/app-database";
import { column, openCrmDatabase } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const memberships = (login: string) =>
  crm.root((c) =>
    column(
      c,
      `select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles l on l.oid = m.member
        where l.rolname = $1 order by 1`,
      [login],
    ),
  );

test("ana's login, remapped from analyst to finance, holds only the finance role and acts as it", async () => {
  const analyst = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  const login = (await analyst.query("select session_user as login")).rows[0].login as string;
  expect(await memberships(login)).toEqual([roleName(crm.app, "analyst")]);
  expect(await crm.root((c) => column(c, "select role from gatehouse.logins where login = $1", [login]))).toEqual(["analyst"]);

  const finance = await crm.login({ username: "ana", userId: 9, role: "finance" });
  expect(await memberships(login)).toEqual([roleName(crm.app, "finance")]);
  const seen = await finance.query("select id::int from crm.customers order by id");
  expect(seen.rows.map((r) => r.id)).toEqual(customerExpectation("fiona").ids);
  expect(await crm.root((c) => column(c, "select user_id::int from gatehouse.logins where login = $1", [login]))).toEqual([9]);
});
