/**
 * Attack suite, SQL level: a role-bound login (a BI tool's connection, with a password) and a request on the
 * authenticator's connection try to become someone else — another role, the authenticator, a superuser, another
 * user — or to switch row security off. Every test fails if the attack works.
 */
import type { Client } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { ids, refused, rolledBack } from "./sql-support";

let crm: AppTestDatabase;
let rita: Client;
let ana: Client;
const RITA = customerExpectation("rita").ids;
const ANA = customerExpectation("ana").ids;
const DANA = customerExpectation("dana").ids;

beforeAll(async () => {
  crm = await openCrmDatabase();
  rita = await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
  ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
});
afterAll(() => crm?.close());

const customers = (c: Client) => ids(c, "select id from crm.customers order by id");
const role = (r: string) => roleName(crm.app, r);
const setRole = (target: string) => `set role "${target}"`;

describe("a login cannot become another role", () => {
  test("S-SESSION-01 rita's login cannot become the director with SET ROLE, nor with set_config('role')", async () => {
    await rolledBack(rita, async (c) => {
      expect(await refused(c, setRole(role("director")))).toEqual({
        code: "42501",
        message: `permission denied to set role "${role("director")}"`,
      });
      expect(await refused(c, "select set_config('role', $1, false)", [role("director")])).toEqual({
        code: "42501",
        message: `permission denied to set role "${role("director")}"`,
      });
      expect(await customers(c)).toEqual(RITA);
    });
    // the director's rows exist: dana sees them
    expect(await crm.as(persona("dana"), (c) => ids(c, "select id from crm.customers order by id"))).toEqual(DANA);
  });

  test("S-SESSION-02 rita's login cannot become the authenticator, which is a member of every app role", async () => {
    await rolledBack(rita, async (c) => {
      expect(await refused(c, setRole(role("authenticator")))).toEqual({
        code: "42501",
        message: `permission denied to set role "${role("authenticator")}"`,
      });
    });
  });

  test("S-SESSION-03 rita's login cannot become a superuser with SET ROLE postgres", async () => {
    const superuser = await crm.root(async (c) => (await c.query("select current_user as u")).rows[0].u as string);
    await rolledBack(rita, async (c) => {
      expect(await refused(c, `set role "${superuser}"`)).toEqual({
        code: "42501",
        message: `permission denied to set role "${superuser}"`,
      });
    });
  });

  test("S-SESSION-04 rita's login cannot SET SESSION AUTHORIZATION to ana's login, the authenticator or a superuser", async () => {
    const anaLogin = (await ana.query("select session_user as u")).rows[0].u as string;
    const superuser = await crm.root(async (c) => (await c.query("select current_user as u")).rows[0].u as string);
    await rolledBack(rita, async (c) => {
      for (const target of [anaLogin, role("authenticator"), superuser]) {
        expect(await refused(c, `set session authorization "${target}"`)).toEqual({
          code: "42501",
          message: expect.stringMatching(/^permission denied to set session authorization/),
        });
      }
      expect((await c.query("select session_user::text as s, current_user::text as u")).rows).toEqual([
        { s: `${role("login_rita")}`, u: `${role("login_rita")}` },
      ]);
    });
  });

  test("S-SESSION-05 RESET ROLE, SET ROLE NONE and SET ROLE to her own app role leave rita exactly rita", async () => {
    await rolledBack(rita, async (c) => {
      await c.query("reset role");
      expect(await customers(c)).toEqual(RITA);
      await c.query(setRole(role("sales_rep")));
      expect(await customers(c)).toEqual(RITA);
      expect((await c.query("select gatehouse.current_user_id(current_user)::int as id")).rows).toEqual([{ id: 4 }]);
      await c.query("set role none");
      expect(await customers(c)).toEqual(RITA);
    });
  });

  test("S-SESSION-06 ana's login cannot grant herself the director role, nor alter her login to bypass row security", async () => {
    await rolledBack(ana, async (c) => {
      expect(await refused(c, `grant "${role("director")}" to current_user`)).toMatchObject({ code: "42501" });
      expect(await refused(c, "alter role current_user bypassrls")).toMatchObject({ code: "42501" });
      expect(await refused(c, "alter role current_user superuser")).toMatchObject({ code: "42501" });
      expect(await customers(c)).toEqual(ANA);
    });
  });
});

describe("a login cannot switch row security off or forge its identity", () => {
  test("S-SESSION-07 ana's login with row_security = off is refused the query, not shown fewer or more rows", async () => {
    await rolledBack(ana, async (c) => {
      await c.query("set local row_security = off");
      expect(await refused(c, "select id from crm.customers")).toEqual({
        code: "42501",
        message: 'query would be affected by row-level security policy for table "customers"',
      });
    });
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers"))).toEqual([22]);
  });

  test("S-SESSION-08 rita's login setting every claim the helpers read (user id, channel) to dana's, for her session and her transaction, changes nothing", async () => {
    await rolledBack(rita, async (c) => {
      await c.query("select set_config('jwt.claims.user_id', '1', false), set_config('jwt.claims.channel', 'web', false)");
      expect(await customers(c)).toEqual(RITA);
      await c.query("select set_config('jwt.claims.user_id', '1', true), set_config('jwt.claims.role', $1, true)", [
        role("director"),
      ]);
      expect(await customers(c)).toEqual(RITA);
      expect(
        (
          await c.query(
            "select gatehouse.current_user_id(current_user)::int as me, gatehouse.current_user_id($1)::int as as_director, gatehouse.current_channel() as channel",
            [role("director")],
          )
        ).rows,
      ).toEqual([{ me: 4, as_director: 4, channel: null }]);
    });
    await rita.query("reset all");
  });

  test("S-SESSION-09 ana's login calling the unit-tree helpers with the director's role name gets her own East tree, not the company", async () => {
    await rolledBack(ana, async (c) => {
      const { rows } = await c.query(
        "select gatehouse.current_unit_tree($1)::int[] as tree, gatehouse.current_unit_id($1)::int as unit",
        [role("director")],
      );
      const east = await crm.root((r) =>
        ids(r, "select id from crm.org_units where name in ('East', 'East-1', 'East-2') order by id"),
      );
      const acme = await crm.root((r) => ids(r, "select id from crm.org_units where name = 'Acme'"));
      expect(rows).toEqual([{ tree: east, unit: east[0] }]);
      expect(east).not.toContain(acme[0]);
    });
  });

  test("S-SESSION-10 rita's login setting the toolkit's own switches (borrowed access on, audit paused for her transaction) gains nothing: her committed update is audited", async () => {
    await rita.query("begin");
    try {
      await rita.query("select set_config('gatehouse.borrowed_access', 'on', true)");
      expect(await customers(rita)).toEqual(RITA);
      await rita.query("select set_config('gatehouse.audit_paused', pg_current_xact_id()::text, true)");
      expect(await refused(rita, "select gatehouse.audit_pause('hide my update')")).toEqual({
        code: "42501",
        message: "permission denied for function audit_pause",
      });
      expect((await rita.query("update crm.customers set industry = 'Bakery' where id = 2")).rowCount).toBe(1);
      await rita.query("commit");
    } catch (error) {
      await rita.query("rollback");
      throw error;
    }
    try {
      const last = await crm.root(
        async (c) =>
          (
            await c.query(
              "select login::text, operation, row_key, new_values from gatehouse.audit_log where table_name = 'customers' order by id desc limit 1",
            )
          ).rows,
      );
      expect(last).toEqual([
        { login: role("login_rita"), operation: "update", row_key: { id: 2 }, new_values: { industry: "Bakery" } },
      ]);
    } finally {
      await crm.db.pool.query("update crm.customers set industry = 'Food' where id = 2");
    }
  });
});

test("S-SESSION-15 rita's login cannot switch triggers off (session_replication_role, disable trigger) to skip the audit trail and the ownership guards", async () => {
  await rolledBack(rita, async (c) => {
    expect(await refused(c, "set session_replication_role = replica")).toEqual({
      code: "42501",
      message: 'permission denied to set parameter "session_replication_role"',
    });
    expect(await refused(c, "alter table crm.customers disable trigger all")).toEqual({
      code: "42501",
      message: "must be owner of table customers",
    });
  });
  expect(
    await crm.root((c) =>
      ids(c, "select count(*) from pg_trigger where tgrelid = 'crm.customers'::regclass and tgenabled = 'D'"),
    ),
  ).toEqual([0]);
});

describe("a request on the authenticator's connection", () => {
  test("S-SESSION-14 rita's request calling the helpers with the director's role name, or for another user's grants, learns nothing of theirs", async () => {
    const asked = await crm.as(persona("rita"), async (c) => ({
      helpers: (
        await c.query(
          `select gatehouse.current_user_id($1) as id, gatehouse.current_unit_tree($1)::int[] as tree,
                  gatehouse.granted_rows($2, 'customers', array['select', 'update'])::int[] as granted`,
          [role("director"), role("sales_rep")],
        )
      ).rows,
      active: await refused(c, "select gatehouse.is_active_user($1, 5)", [role("sales_rep")]),
      subunit: await refused(c, "select gatehouse.current_subunit_users($1)", [role("director")]),
    }));
    expect(asked).toEqual({
      helpers: [{ id: null, tree: [], granted: [] }],
      active: { code: "42501", message: "permission denied for function is_active_user" },
      subunit: { code: "42501", message: "permission denied for function current_subunit_users" },
    });
    // rick's live grant exists, and only rick's own request reads it
    expect(
      await crm.as(persona("rick"), (c) =>
        ids(c, "select unnest(gatehouse.granted_rows($1, 'customers', array['select']))", [role("sales_rep")]),
      ),
    ).toEqual([8]);
  });

  test("S-SESSION-11 rita's request switching itself to the director role with SET ROLE sees no customer: the helpers ask whether rita holds it", async () => {
    // SET ROLE is checked against the session user, the authenticator, a member of every app role: PostgreSQL allows it
    await crm.as(persona("rita"), async (c) => {
      await c.query(setRole(role("director")));
      expect((await c.query("select current_user::text as u, gatehouse.current_user_id(current_user) as id")).rows).toEqual([
        { u: role("director"), id: null },
      ]);
      expect(await ids(c, "select id from crm.customers")).toEqual([]);
    });
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers"))).toEqual([22]);
  });

  test("S-SESSION-12 rita's request with a token naming the director role sees nothing: she does not hold it", async () => {
    expect(await crm.as(persona("rita", { role: "director" }), (c) => ids(c, "select id from crm.customers"))).toEqual([]);
    expect((await crm.as(persona("dana"), (c) => ids(c, "select id from crm.customers order by id"))).length).toBe(DANA.length);
  });

  test("S-SESSION-13 KNOWN LIMIT: SQL on the authenticator's connection is trusted — RESET ROLE returns to the authenticator, which holds nothing on crm", async () => {
    await crm.as(persona("rita"), async (c) => {
      await c.query("reset role");
      expect((await c.query("select current_user::text as u")).rows).toEqual([{ u: role("authenticator") }]);
      expect(await refused(c, "select id from crm.customers")).toEqual({
        code: "42501",
        message: "permission denied for schema crm",
      });
    });
  });
});
