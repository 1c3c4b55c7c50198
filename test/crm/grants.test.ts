/**
 * Temporary grants as an operation (CRM.md, Lifecycle): supervisors and above grant select or update on a customer
 * they can see to a user of their subtree, for at most 30 days, with a reason; admin anywhere. crm.grant_access and
 * crm.revoke_access run with the caller's own rights; a trigger on crm.access_grants checks every rule, however the
 * row is written. Each test is one rolled-back transaction; a "cannot" is paired with a root check.
 */
import type { PoolClient } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { attempt, refusal, backToRoot } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
  // rick also supervises, in sam's own unit East-1: sam's peer, not above him
  await crm.db.pool.query("insert into crm.user_roles (user_id, role) values (5, 'supervisor')");
});
afterAll(() => crm?.close());

const SAM = persona("sam");
const RITA = 4;
const RICKS_CUSTOMER = 5; // East-1, sam's team; rita cannot see it
const WENDYS_CUSTOMER = 12; // West-1: sam cannot see it
const WEST_POOL_CUSTOMER = 18; // the pool: sam sees it, but may not edit it (not his unit)
const VIP_CUSTOMER = 1; // rita's VIP customer: hidden from sam by the vip restriction
const ERINS_GRANT = 1; // seed: erin let rick see roy's customer 8

/** Runs `fn` as `username` in a transaction that is rolled back. */
const as = <T>(username: string, fn: (c: PoolClient) => Promise<T>, role?: string): Promise<T> =>
  crm.root(async (c) => {
    await crm.actAs(c, persona(username, role ? { role } : {}));
    return fn(c);
  });

interface Grant {
  table: string;
  row: number;
  grantee: number;
  privilege: string;
  /** An interval from now, e.g. `7 days`. */
  lasts: string;
  reason: string | null;
}

const week = (row: number, privilege = "update", grantee = RITA): Grant => ({
  table: "customers",
  row,
  grantee,
  privilege,
  lasts: "7 days",
  reason: "covering while rick is on leave",
});

/** The call of crm.grant_access for `g`: text and values. */
const grantQuery = (g: Grant): [string, unknown[]] => [
  `select id::int, "table", row_id::int, grantee_id::int, privilege, granted_by::int, reason,
          expires_at > clock_timestamp() + $5::interval - interval '1 minute' as lasts_as_asked
     from crm.grant_access($1, $2, $3, $4, clock_timestamp() + $5::interval, $6)`,
  [g.table, g.row, g.grantee, g.privilege, g.lasts, g.reason],
];

/** Calls crm.grant_access; returns the grant as made. */
const grantAccess = async (c: PoolClient, g: Grant) => (await c.query(...grantQuery(g))).rows[0] as Record<string, unknown>;

const sees = (c: PoolClient, id: number) => column<number>(c, "select id::int from crm.customers where id = $1", [id]);
const liveGrants = (row: number) =>
  crm.root((c) =>
    column<number>(c, "select id::int from crm.access_grants where row_id = $1 and expires_at > clock_timestamp() order by id", [
      row,
    ]),
  );
const customerExists = (id: number) =>
  crm.root((c) => column<number>(c, "select id::int from crm.customers where id = $1", [id]));

describe("granting", () => {
  test("sam grants rita update on rick's customer 5 for a week: her next statement sees and edits it", async () => {
    const result = await as("rita", async (c) => {
      const before = await sees(c, RICKS_CUSTOMER);
      await crm.actAs(c, persona("sam"));
      const made = await grantAccess(c, week(RICKS_CUSTOMER));
      await crm.actAs(c, persona("rita"));
      const after = await sees(c, RICKS_CUSTOMER);
      const renamed = await column(c, "update crm.customers set stage = 'qualified' where id = $1 returning stage", [
        RICKS_CUSTOMER,
      ]);
      return { before, made, after, renamed };
    });
    expect(result).toEqual({
      before: [],
      made: {
        id: expect.any(Number),
        table: "customers",
        row_id: RICKS_CUSTOMER,
        grantee_id: RITA,
        privilege: "update",
        granted_by: 3,
        reason: "covering while rick is on leave",
        lasts_as_asked: true,
      },
      after: [RICKS_CUSTOMER],
      renamed: ["qualified"],
    });
  });

  test("erin (regional manager) grants roy, in East-2 below her, a look at rita's customer 2", async () => {
    const seen = await as("erin", async (c) => {
      await grantAccess(c, week(2, "select", 6));
      await crm.actAs(c, persona("roy"));
      return sees(c, 2);
    });
    expect(seen).toEqual([2]);
  });

  test("adam (admin) grants wendy, in West-1, select on rick's customer 5: admin grants anywhere", async () => {
    const seen = await as("adam", async (c) => {
      const made = await grantAccess(c, week(RICKS_CUSTOMER, "select", 7));
      await crm.actAs(c, persona("wendy"));
      return { granted_by: made.granted_by, seen: await sees(c, RICKS_CUSTOMER) };
    });
    expect(seen).toEqual({ granted_by: 15, seen: [RICKS_CUSTOMER] });
  });

  test("a grant that expires in one second works, and stops working in the same transaction's next statement after the clock passes it", async () => {
    const result = await as("sam", async (c) => {
      const { id } = await grantAccess(c, { ...week(RICKS_CUSTOMER, "select"), lasts: "1 second" });
      await crm.actAs(c, persona("rita"));
      const during = await sees(c, RICKS_CUSTOMER);
      await c.query("select pg_sleep(1.5)");
      const after = await sees(c, RICKS_CUSTOMER);
      // measured by the transaction's start (now()), the grant would still be live
      await crm.actAs(c, persona("sam"));
      const stillLiveByNow = await column<boolean>(c, "select expires_at > now() from crm.access_grants where id = $1", [id]);
      return { during, after, stillLiveByNow };
    });
    expect(result).toEqual({ during: [RICKS_CUSTOMER], after: [], stillLiveByNow: [true] });
    expect(await customerExists(RICKS_CUSTOMER)).toEqual([RICKS_CUSTOMER]);
  });
});

describe("what a granter cannot grant", () => {
  test("sam cannot grant a customer he cannot see himself (wendy's, West-1): FORBIDDEN, no grant", async () => {
    const refused = await crm.as(SAM, (c) => refusal(c, ...grantQuery(week(WENDYS_CUSTOMER, "select"))));
    expect(refused).toEqual({
      code: "42501",
      message:
        "gatehouse: you cannot see row 12 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
    });
    expect(await customerExists(WENDYS_CUSTOMER)).toEqual([WENDYS_CUSTOMER]);
    expect(await liveGrants(WENDYS_CUSTOMER)).toEqual([]);
  });

  test("sam cannot grant rita's VIP customer, which the vip restriction hides from him", async () => {
    const refused = await crm.as(SAM, (c) => refusal(c, ...grantQuery(week(VIP_CUSTOMER, "select", 5))));
    expect(refused?.message).toBe(
      "gatehouse: you cannot see row 1 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
    );
    expect(await customerExists(VIP_CUSTOMER)).toEqual([VIP_CUSTOMER]);
  });

  test("sam cannot pass on a grant he holds: he sees wendy's customer through it, and still may not grant it", async () => {
    const result = await crm.root(async (c) => {
      await c.query(
        `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason)
         values (3, 'customers', $1, 'update', now() + interval '1 day', 1, 'covering West-1')`,
        [WENDYS_CUSTOMER],
      );
      await crm.actAs(c, persona("sam"));
      const seen = await sees(c, WENDYS_CUSTOMER);
      const refused = await refusal(c, ...grantQuery(week(WENDYS_CUSTOMER, "select")));
      return { seen, refused };
    });
    expect(result).toEqual({
      seen: [WENDYS_CUSTOMER],
      refused: {
        code: "42501",
        message:
          "gatehouse: you cannot see row 12 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
      },
    });
  });

  test("sam cannot grant update on the West-1 pool customer he sees but may not edit himself", async () => {
    const result = await crm.as(SAM, async (c) => ({
      seen: await sees(c, WEST_POOL_CUSTOMER),
      refused: await refusal(c, ...grantQuery(week(WEST_POOL_CUSTOMER, "update", 5))),
      select: (await grantAccess(c, week(WEST_POOL_CUSTOMER, "select", 5))).privilege,
    }));
    expect(result).toEqual({
      seen: [WEST_POOL_CUSTOMER],
      refused: {
        code: "42501",
        message:
          "gatehouse: you cannot edit row 18 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
      },
      select: "select",
    });
  });

  test("sam cannot grant for longer than 30 days", async () => {
    const refused = await crm.as(SAM, (c) => refusal(c, ...grantQuery({ ...week(RICKS_CUSTOMER), lasts: "31 days" })));
    expect(refused).toEqual({
      code: "22023",
      message: "gatehouse: a temporary grant may last at most 30 days from now: choose an earlier expires_at",
    });
    expect(await customerExists(RICKS_CUSTOMER)).toEqual([RICKS_CUSTOMER]);
  });

  test("sam cannot grant to wendy, who is not in his unit or its sub-units", async () => {
    const refused = await crm.as(SAM, (c) => refusal(c, ...grantQuery(week(RICKS_CUSTOMER, "select", 7))));
    expect(refused).toEqual({
      code: "42501",
      message: "gatehouse: user 7 is not in your unit or its sub-units: you may grant only to them",
    });
    expect(await crm.root((c) => column(c, "select status from crm.users where id = 7"))).toEqual(["active"]);
  });

  test("sam cannot grant to olga, in his unit but frozen", async () => {
    const refused = await crm.as(SAM, (c) => refusal(c, ...grantQuery(week(RICKS_CUSTOMER, "select", 17))));
    expect(refused).toEqual({
      code: "42501",
      message: "gatehouse: user 17 is not an active user: only active users may hold a grant",
    });
    expect(await crm.root((c) => column(c, "select unit_id::int from crm.users where id = 17"))).toEqual([4]);
  });

  test("sam's grant needs a reason, an end in the future, a listed table and privilege, and another user than himself", async () => {
    const refusals = await crm.as(SAM, async (c) => [
      await refusal(c, ...grantQuery({ ...week(RICKS_CUSTOMER), reason: "  " })),
      await refusal(c, ...grantQuery({ ...week(RICKS_CUSTOMER), lasts: "-1 hour" })),
      await refusal(c, ...grantQuery({ ...week(RICKS_CUSTOMER), table: "contracts" })),
      await refusal(c, ...grantQuery(week(RICKS_CUSTOMER, "delete"))),
      await refusal(c, ...grantQuery(week(RICKS_CUSTOMER, "select", 3))),
    ]);
    expect(refusals).toEqual([
      { code: "22023", message: "gatehouse: a temporary grant needs a reason" },
      { code: "22023", message: "gatehouse: a temporary grant must end in the future (expires_at)" },
      { code: "22023", message: "gatehouse: temporary grants are for rows of customers only, not of 'contracts'" },
      { code: "22023", message: "gatehouse: a temporary grant gives select or update, not 'delete'" },
      { code: "22023", message: "gatehouse: you cannot grant access to yourself" },
    ]);
  });

  const INSERT_GRANT = `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, reason)
     values (4, 'customers', $1, 'select', now() + interval '1 day', 'direct') returning granted_by::int`;

  test("an insert into crm.access_grants meets the same rules as grant_access, and records the caller as the grantor", async () => {
    const result = await crm.as(SAM, async (c) => {
      const insert = (row: number) => c.query(INSERT_GRANT, [row]);
      return {
        refused: await refusal(c, INSERT_GRANT, [WENDYS_CUSTOMER]),
        posing: await refusal(
          c,
          `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, reason, granted_by)
                   values (4, 'customers', 5, 'select', now() + interval '1 day', 'as dana', 1)`,
        ),
        made: (await insert(RICKS_CUSTOMER)).rows,
      };
    });
    expect(result).toEqual({
      refused: {
        code: "42501",
        message:
          "gatehouse: you cannot see row 12 of customers yourself (access through a grant or a membership does not count), so you cannot grant it",
      },
      posing: { code: "42501", message: "permission denied for table access_grants" },
      made: [{ granted_by: 3 }],
    });
  });
});

describe("who may not grant", () => {
  test.each([
    ["rita", "sales_rep"],
    ["fiona", "finance"],
  ])("%s (%s) may not call grant_access nor write crm.access_grants", async (username) => {
    const refused = await crm.as(persona(username), async (c) => ({
      call: await refusal(c, ...grantQuery(week(RICKS_CUSTOMER, "select", 5))),
      insert: await refusal(
        c,
        `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, reason)
                 values (5, 'customers', 5, 'select', now() + interval '1 day', 'no')`,
      ),
    }));
    expect(refused).toEqual({
      call: { code: "42501", message: "permission denied for function grant_access" },
      insert: { code: "42501", message: "permission denied for table access_grants" },
    });
    expect(await customerExists(RICKS_CUSTOMER)).toEqual([RICKS_CUSTOMER]);
  });
});

describe("revoking", () => {
  /** sam grants rita update on customer 5; `revoker` then revokes it; rita's next statement is asked. */
  const revokedBy = (username: string, role?: string) =>
    as("sam", async (c) => {
      const { id } = await grantAccess(c, week(RICKS_CUSTOMER));
      await crm.actAs(c, persona(username, role ? { role } : {}));
      const revoke = await attempt(c, "select id::int, expires_at <= clock_timestamp() as ended from crm.revoke_access($1)", [
        id,
      ]);
      await crm.actAs(c, persona("rita"));
      const seen = await sees(c, RICKS_CUSTOMER);
      await backToRoot(c);
      const live = await column<boolean>(c, "select expires_at > clock_timestamp() from crm.access_grants where id = $1", [id]);
      return { id, revoke, seen, live };
    });

  test.each([
    ["sam, the grantor", "sam"],
    ["erin, above sam (East)", "erin"],
    ["dana, above erin (Acme)", "dana"],
    ["adam, admin", "adam"],
  ])("%s revokes sam's grant: rita's next statement no longer sees the customer", async (_, username) => {
    const { id, revoke, seen, live } = await revokedBy(username);
    expect({ revoke, seen, live }).toEqual({ revoke: { rowCount: 1, rows: [{ id, ended: true }] }, seen: [], live: [false] });
  });

  test("rick, a supervisor in sam's own unit (a peer), may not revoke sam's grant, which stays live", async () => {
    const { id, revoke, seen, live } = await revokedBy("rick", "supervisor");
    expect({ revoke, seen, live }).toEqual({
      revoke: {
        code: "42501",
        message: `gatehouse: you may not revoke grant ${id}: only its grantor, a granting role above the grantor in the unit tree, or admin may`,
      },
      seen: [RICKS_CUSTOMER],
      live: [true],
    });
  });

  test("sam may not revoke erin's grant to rick (she is above him); the grant stays live", async () => {
    const refused = await crm.as(SAM, (c) => refusal(c, "select crm.revoke_access($1)", [ERINS_GRANT]));
    expect(refused).toEqual({
      code: "42501",
      message:
        "gatehouse: you may not revoke grant 1: only its grantor, a granting role above the grantor in the unit tree, or admin may",
    });
    expect(await liveGrants(8)).toEqual([ERINS_GRANT]);
  });

  test("rita (sales rep) may not call revoke_access; erin's grant stays live", async () => {
    const refused = await crm.as(persona("rita"), (c) => refusal(c, "select crm.revoke_access($1)", [ERINS_GRANT]));
    expect(refused).toEqual({ code: "42501", message: "permission denied for function revoke_access" });
    expect(await liveGrants(8)).toEqual([ERINS_GRANT]);
  });

  test("revoking a grant that has already ended says so", async () => {
    const refused = await crm.as(persona("erin"), (c) => refusal(c, "select crm.revoke_access(2)"));
    expect(refused).toEqual({ code: "22023", message: "gatehouse: grant 2 has already ended" });
  });

  test("sam may not extend or change his grant, only end it, and an end he backdates is recorded as now", async () => {
    const result = await crm.as(SAM, async (c) => {
      const { id } = await grantAccess(c, week(RICKS_CUSTOMER));
      const refused = [
        await refusal(c, "update crm.access_grants set expires_at = now() + interval '20 days' where id = $1", [id]),
        await refusal(c, "update crm.access_grants set row_id = 4 where id = $1", [id]),
      ];
      const ended = await column<boolean>(
        c,
        `update crm.access_grants set expires_at = '2000-01-01' where id = $1
         returning expires_at between statement_timestamp() and clock_timestamp()`,
        [id],
      );
      const again = await refusal(c, "update crm.access_grants set expires_at = now() where id = $1", [id]);
      return { id, refused, ended, again };
    });
    expect(result).toEqual({
      id: result.id,
      refused: [
        {
          code: "42501",
          message:
            "gatehouse: a temporary grant cannot be changed or extended, only ended now: call crm.revoke_access(id), then grant again",
        },
        { code: "42501", message: "permission denied for table access_grants" },
      ],
      ended: [true],
      again: { code: "22023", message: `gatehouse: grant ${result.id} has already ended` },
    });
  });

  test("sam sees only the grants he made; erin sees hers and sam's, made below her unit", async () => {
    const seen = await as("sam", async (c) => {
      const { id } = await grantAccess(c, week(RICKS_CUSTOMER));
      const sam = await column<number>(c, "select id::int from crm.access_grants order by id");
      await crm.actAs(c, persona("erin"));
      const erin = await column<number>(c, "select id::int from crm.access_grants order by id");
      return { made: id, sam, erin };
    });
    expect(seen).toEqual({ made: seen.made, sam: [seen.made], erin: [1, 2, seen.made] });
    expect(await crm.root((c) => column<number>(c, "select granted_by::int from crm.access_grants where id in (1, 2)"))).toEqual([
      2, 2,
    ]);
  });
});

test("the operations run with the caller's rights, with a fixed search_path, and only granting roles may call them", async () => {
  const rows = await crm.root(
    async (c) =>
      (
        await c.query(
          `select p.proname, p.prosecdef, p.proconfig,
                array(select r.rolname::text from pg_roles r
                       where starts_with(r.rolname, $1) and has_function_privilege(r.oid, p.oid, 'execute')
                         and not r.rolname like '%authenticator' order by r.rolname) as callers
           from pg_proc p where p.pronamespace = 'crm'::regnamespace and p.proname in ('grant_access', 'revoke_access')
          order by p.proname`,
          [crm.app.rolePrefix],
        )
      ).rows,
  );
  // and the raw readers of supervisors and regional managers, members of those roles that only their row mask functions
  // run as (no request or login can act as one)
  const callers = ["admin", "director", "raw_regional_manager", "raw_supervisor", "regional_manager", "supervisor"].map((r) =>
    roleName(crm.app, r),
  );
  expect(rows).toEqual([
    { proname: "grant_access", prosecdef: false, proconfig: ["search_path=pg_catalog, pg_temp"], callers },
    { proname: "revoke_access", prosecdef: false, proconfig: ["search_path=pg_catalog, pg_temp"], callers },
  ]);
});
