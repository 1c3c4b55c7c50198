/**
 * Whom a caller may grant to (CRM.md, Lifecycle: supervisors and above grant to a user of their subtree, admin
 * anywhere): crm.grantable_users() lists the id and username of each active user crm.grant_access would accept as
 * the grantee, rendered from the same rules as the grant trigger. Each test is one rolled-back transaction; a
 * "cannot see" is paired with a root check that the user exists.
 */
import type { PoolClient } from "pg";
import type { AppTestDatabase } from "../../db/testing";
import { attempt, refusal } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { rows } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const RICKS_CUSTOMER = 5; // East-1: sam sees and edits it
const LIST = "select id::int, username from crm.grantable_users()";

/** The usernames the acting user may grant to, in the order the function gives them. */
const usernames = (c: PoolClient) => column<string>(c, "select username from crm.grantable_users()");

/** A user as the owner reads them: unit name and status. */
const userAtRoot = (username: string) =>
  crm.root((c) =>
    rows(
      c,
      `select u.username, o.name as unit, u.status from crm.users u left join crm.org_units o on o.id = u.unit_id
        where u.username = $1`,
      [username],
    ),
  );

/** Every active user but `except`, by username, as the owner reads them. */
const activeUsersBut = (except: string) =>
  crm.root((c) =>
    column<string>(c, "select username from crm.users where status = 'active' and username <> $1 order by username", [except]),
  );

describe("who sam (supervisor, East-1) may grant to", () => {
  test("sam gets exactly the active users of East-1 other than himself, by username, with id and username only", async () => {
    const listed = await crm.as(persona("sam"), (c) => rows(c, LIST));
    expect(listed).toEqual([
      { id: 8, username: "ian" },
      { id: 5, username: "rick" },
      { id: 4, username: "rita" },
    ]);
    const columns = await crm.root((c) =>
      column<string>(
        c,
        `select a.attname from pg_proc p, unnest(p.proargnames, p.proargmodes) as a(attname, mode)
          where p.oid = 'crm.grantable_users()'::regprocedure and a.mode = 't'`,
      ),
    );
    expect(columns).toEqual(["id", "username"]);
  });

  test("sam cannot see wendy (West-1) nor roy (East-2) in his list; both exist and are active", async () => {
    const listed = await crm.as(persona("sam"), usernames);
    expect(listed.filter((u) => u === "wendy" || u === "roy")).toEqual([]);
    expect(await userAtRoot("wendy")).toEqual([{ username: "wendy", unit: "West-1", status: "active" }]);
    expect(await userAtRoot("roy")).toEqual([{ username: "roy", unit: "East-2", status: "active" }]);
  });

  test("sam cannot see olga, in East-1 but frozen, in his list; she exists", async () => {
    expect(await crm.as(persona("sam"), usernames)).not.toContain("olga");
    expect(await userAtRoot("olga")).toEqual([{ username: "olga", unit: "East-1", status: "frozen" }]);
  });

  test("every user sam's list names is one grant_access accepts from him, and every other user is refused by it", async () => {
    const outcome = await crm.as(persona("sam"), async (c) => {
      const listed = await column<number>(c, "select id::int from crm.grantable_users()");
      const everyone = await crm.root((r) => column<number>(r, "select id::int from crm.users order by id"));
      const accepted: number[] = [];
      const refused: Record<number, string> = {};
      for (const id of everyone) {
        const made = await attempt(
          c,
          `select grantee_id::int from crm.grant_access('customers', $1, $2, 'select', clock_timestamp() + interval '1 day', 'covering')`,
          [RICKS_CUSTOMER, id],
        );
        if ("code" in made) refused[id] = made.message;
        else accepted.push(id);
      }
      return { listed: [...listed].sort((a, b) => a - b), accepted, refused, everyone };
    });
    expect(outcome.accepted).toEqual(outcome.listed);
    expect(Object.keys(outcome.refused).map(Number)).toEqual(outcome.everyone.filter((id) => !outcome.listed.includes(id)));
    expect(outcome.refused[3]).toBe("gatehouse: you cannot grant access to yourself");
    expect(outcome.refused[7]).toBe("gatehouse: user 7 is not in your unit or its sub-units: you may grant only to them");
    expect(outcome.refused[17]).toBe("gatehouse: user 17 is not an active user: only active users may hold a grant");
  });
});

describe("who else may list", () => {
  test("erin (regional manager, East) gets the active users of East, East-1 and East-2 other than herself", async () => {
    expect(await crm.as(persona("erin"), usernames)).toEqual(["ana", "ian", "rick", "rita", "roy", "sam"]);
  });

  test("adam (admin) gets every active user but himself, paul (no unit) included, and not frozen olga", async () => {
    const listed = await crm.as(persona("adam"), usernames);
    expect(listed).toEqual(await activeUsersBut("adam"));
    expect(listed).toContain("paul");
    expect(listed).not.toContain("olga");
    expect(await userAtRoot("olga")).toEqual([{ username: "olga", unit: "East-1", status: "frozen" }]);
  });

  test.each([
    ["rita", "sales_rep"],
    ["fiona", "finance"],
  ])("%s (%s) may not call grantable_users: permission denied", async (username) => {
    const refused = await crm.as(persona(username), (c) => refusal(c, LIST));
    expect(refused).toEqual({ code: "42501", message: "permission denied for function grantable_users" });
    expect(await activeUsersBut(username)).toContain("rick");
  });

  test("olga, frozen, gets nothing even acting in a supervisor role she is given; the users she would list exist", async () => {
    const listed = await crm.root(async (c) => {
      await c.query("insert into crm.user_roles (user_id, role) values (17, 'supervisor')");
      await crm.actAs(c, persona("olga", { role: "supervisor" }));
      return rows(c, LIST);
    });
    expect(listed).toEqual([]);
    expect(await userAtRoot("rita")).toEqual([{ username: "rita", unit: "East-1", status: "active" }]);
  });

  test("sam acting as admin, a role he does not hold, gets nothing; as supervisor he gets his list", async () => {
    const listed = await crm.root(async (c) => {
      await crm.actAs(c, persona("sam", { role: "admin" }));
      const posing = await rows(c, LIST);
      await crm.actAs(c, persona("sam"));
      return { posing, own: await usernames(c) };
    });
    expect(listed).toEqual({ posing: [], own: ["ian", "rick", "rita"] });
  });
});

test("grantable_users is SECURITY DEFINER with a fixed search_path, callable by exactly the roles that may call grant_access", async () => {
  const callers = await crm.root((c) =>
    rows(
      c,
      `select p.proname, p.prosecdef, p.provolatile, p.proconfig,
              array(select r.rolname::text from pg_roles r
                     where starts_with(r.rolname, $1) and has_function_privilege(r.oid, p.oid, 'execute')
                       and not r.rolname like '%authenticator' order by r.rolname) as callers
         from pg_proc p where p.pronamespace = 'crm'::regnamespace and p.proname in ('grant_access', 'grantable_users')
        order by p.proname`,
      [crm.app.rolePrefix],
    ),
  );
  expect(callers.map((r) => r.proname)).toEqual(["grant_access", "grantable_users"]);
  expect(callers[1]).toEqual({
    proname: "grantable_users",
    prosecdef: true,
    provolatile: "s",
    proconfig: ["search_path=pg_catalog, pg_temp"],
    callers: callers[0]!.callers,
  });
});
