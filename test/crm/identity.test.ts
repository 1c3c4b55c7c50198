/**
 * DESIGN.md invariants 4 (identity cannot be forged from inside the database) and 5 (revocation is immediate).
 *
 * Mid-transaction revocations run in one rolled-back superuser transaction (`crm.root`): the persona's
 * statements run after `set local session authorization <authenticator>` and `set local role <app role>`
 * with the request claims — exactly what the server does on its authenticator connection — and the
 * revoking statements after `set local session authorization default`, as the superuser. Nothing is
 * committed, so the demo data never changes under other tests. One test per kind of client also shows a
 * revocation committed by another session reaching an open request or a live login.
 */
import type { Client, ClientBase, PoolClient } from "pg";
import { compile, sql } from "pg-sql2";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { ageRows, asRoot, backToRoot, attempt } from "../../db/testing";
import { column, CRM_TABLES, openCrmDatabase, persona } from "./crm-database";
import { permissionDenied, rows, rowSecurityViolation } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

type Counts = Record<(typeof CRM_TABLES)[number], number | "42501">;

/** How many rows the current role counts in every crm table, or "42501" where the table is refused. */
async function countEveryTable(c: ClientBase): Promise<Counts> {
  const counts: Partial<Counts> = {};
  for (const table of CRM_TABLES) {
    const outcome = await attempt(c, `select count(*)::int as n from crm.${table}`);
    if ("rows" in outcome) counts[table] = outcome.rows[0]!.n as number;
    else if (outcome.code === "42501") counts[table] = "42501";
    else throw new Error(`count ${table}: ${outcome.code} ${outcome.message}`);
  }
  return counts as Counts;
}

/** What a sales rep (or finance, legal…) counts when it has no privilege beyond its own tables. */
const refusedExcept = (visible: Partial<Counts>): Counts =>
  Object.fromEntries(CRM_TABLES.map((t) => [t, visible[t] ?? "42501"])) as Counts;

/** Every table, counted as admin: the seed. */
const SEEDED: Counts = {
  access_grants: 2,
  contacts: 21,
  contracts: 8,
  customers: 22,
  follow_ups: 13,
  org_units: 6,
  partner_shares: 2,
  project_customers: 2,
  project_members: 2,
  projects: 2,
  quotes: 10,
  service_tickets: 5,
  user_roles: 17,
  users: 17,
};

/** Ids of `crm.<table>` the client sees, ascending. */
const ids = async (c: ClientBase, table: string) =>
  (await c.query(`select id::int from crm.${table} order by id`)).rows.map((r) => r.id as number);

describe("frozen users see and change nothing, whatever token they hold", () => {
  test("olga, frozen, counts no row in any crm table she may read, where rita in the same role does", async () => {
    const REP_TABLES = { customers: 0, contacts: 0, follow_ups: 0, quotes: 0, contracts: 0, service_tickets: 0 };
    expect(await crm.as(persona("olga"), countEveryTable)).toEqual(refusedExcept(REP_TABLES));
    expect(await crm.as(persona("rita"), countEveryTable)).toEqual(
      refusedExcept({ customers: 7, contacts: 5, follow_ups: 5, quotes: 5, contracts: 2, service_tickets: 1 }),
    );
    expect(
      await crm.root(async (c) => ({
        customers: await column(c, "select id::int from crm.customers where owner_id = 17 order by id"),
        contacts: await column(c, "select id::int from crm.contacts where customer_id in (19, 20) order by id"),
        follow_ups: await column(c, "select id::int from crm.follow_ups where author_id = 17 order by id"),
      })),
    ).toEqual({ customers: [19, 20], contacts: [19], follow_ups: [12, 13] });
  });

  test("olga, frozen, sees no customer of the unowned pool, whose arm carries the guard after it, where rita sees 16–18", async () => {
    const pool = "select id::int from crm.customers where owner_id is null order by id";
    expect(await crm.as(persona("olga"), (c) => column(c, pool))).toEqual([]);
    expect(await crm.as(persona("rita"), (c) => column(c, pool))).toEqual([16, 17, 18]);
    expect(await crm.root((c) => column(c, pool))).toEqual([16, 17, 18]);
  });

  test("olga with a token naming the admin role counts no row anywhere, where adam counts every seeded row", async () => {
    const nothing = Object.fromEntries(CRM_TABLES.map((t) => [t, 0]));
    expect(await crm.as(persona("olga", { role: "admin" }), countEveryTable)).toEqual(nothing);
    expect(await crm.as(persona("adam"), countEveryTable)).toEqual(SEEDED);
  });

  test("olga cannot add a follow-up on, nor rename, the customer she still owns", async () => {
    await crm.as(persona("olga"), async (c) => {
      const insert = "insert into crm.follow_ups (customer_id, author_id, body) values (19, 17, 'Still here.')";
      expect(await attempt(c, insert)).toEqual(rowSecurityViolation("follow_ups"));
      expect(await attempt(c, "update crm.customers set name = 'Mine' where id = 19")).toEqual({ rowCount: 0, rows: [] });
    });
    expect(await crm.root((c) => rows(c, "select name, owner_id::int from crm.customers where id = 19"))).toEqual([
      { name: "Tidewater Shipping", owner_id: 17 },
    ]);
  });
});

describe("a token naming a role the user does not hold", () => {
  test("rita acting as finance sees no customer and no contract, where fiona sees them", async () => {
    expect(await crm.as(persona("rita", { role: "finance" }), countEveryTable)).toEqual(
      refusedExcept({ customers: 0, contracts: 0 }),
    );
    expect(await crm.as(persona("fiona"), countEveryTable)).toEqual(refusedExcept({ customers: 6, contracts: 8 }));
  });

  test("rita acting as finance cannot mark a contract paid", async () => {
    expect(
      await crm.as(persona("rita", { role: "finance" }), (c) =>
        attempt(c, "update crm.contracts set payment_status = 'paid' where id = 2"),
      ),
    ).toEqual({
      rowCount: 0,
      rows: [],
    });
    expect(await crm.root((c) => column(c, "select payment_status from crm.contracts where id = 2"))).toEqual(["pending"]);
  });

  test("rita acting as admin counts no row anywhere", async () => {
    expect(await crm.as(persona("rita", { role: "admin" }), countEveryTable)).toEqual(
      Object.fromEntries(CRM_TABLES.map((t) => [t, 0])),
    );
  });
});

describe("role-bound logins take their identity from the login mapping", () => {
  let ana: Client;
  beforeAll(async () => {
    ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  });

  const ANA_CUSTOMERS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 19, 20];
  const whoAmI = async (c: ClientBase) =>
    (await c.query("select gatehouse.current_user_id(current_user)::int as id, gatehouse.current_channel() as channel")).rows[0];

  test("ana's login acts as user 14 in the analyst role: her East customers, contracts, masked contacts", async () => {
    expect(await whoAmI(ana)).toEqual({ id: 14, channel: null });
    expect(await ids(ana, "customers")).toEqual(ANA_CUSTOMERS);
    expect(await ids(ana, "contracts")).toEqual([1, 2, 4, 6]);
    await ana.query("begin");
    try {
      expect(await attempt(ana, "select phone from crm.contacts")).toEqual(permissionDenied("contacts"));
    } finally {
      await ana.query("rollback");
    }
  });

  test("ana setting jwt.claims.user_id to dana's id by hand, for her session or her transaction, changes nothing", async () => {
    await ana.query("select set_config('jwt.claims.user_id', '1', false)");
    try {
      expect(await whoAmI(ana)).toEqual({ id: 14, channel: null });
      expect(await ids(ana, "customers")).toEqual(ANA_CUSTOMERS);
      await ana.query("begin");
      await ana.query("select set_config('jwt.claims.user_id', '15', true)");
      expect(await whoAmI(ana)).toEqual({ id: 14, channel: null });
      expect(await ids(ana, "customers")).toEqual(ANA_CUSTOMERS);
      expect(await ids(ana, "contracts")).toEqual([1, 2, 4, 6]);
      await ana.query("rollback");
    } finally {
      await ana.query("reset jwt.claims.user_id");
    }
  });

  test("ana setting jwt.claims.channel by hand changes nothing: the channel stays unknown", async () => {
    await ana.query("select set_config('jwt.claims.channel', 'mobile', false)");
    try {
      expect(await whoAmI(ana)).toEqual({ id: 14, channel: null });
      expect(await ids(ana, "contracts")).toEqual([1, 2, 4, 6]);
    } finally {
      await ana.query("reset jwt.claims.channel");
    }
  });

  test("fiona's login claiming the mobile channel by hand still marks a contract invoiced: the claim is ignored", async () => {
    const fiona = await crm.login({ username: "fiona", userId: 9, role: "finance" });
    await fiona.query("begin");
    try {
      await fiona.query("select set_config('jwt.claims.channel', 'mobile', true)");
      expect(await whoAmI(fiona)).toEqual({ id: 9, channel: null });
      expect(await attempt(fiona, "update crm.contracts set payment_status = 'invoiced' where id = 2")).toEqual({
        rowCount: 1,
        rows: [],
      });
    } finally {
      await fiona.query("rollback");
    }
  });

  test("ana's login cannot become another app role or the authenticator", async () => {
    await ana.query("begin");
    try {
      for (const role of ["director", "admin", "authenticator"]) {
        const target = roleName(crm.app, role);
        expect(await attempt(ana, compile(sql`set role ${sql.identifier(target)}`).text)).toEqual({
          code: "42501",
          message: `permission denied to set role "${target}"`,
        });
      }
    } finally {
      await ana.query("rollback");
    }
  });

  test("a login mapped to rita in the analyst role she does not hold sees nothing, though the role would show rows", async () => {
    const ritaAsAnalyst = await crm.login({ username: "rita", userId: 4, role: "analyst" });
    expect(await whoAmI(ritaAsAnalyst)).toEqual({ id: null, channel: null });
    expect(await ids(ritaAsAnalyst, "customers")).toEqual([]);
    expect(await ids(ritaAsAnalyst, "contacts")).toEqual([]);
  });

  test("a login mapped to olga, frozen, sees nothing, though she owns customers 19 and 20", async () => {
    const olga = await crm.login({ username: "olga", userId: 17, role: "sales_rep" });
    expect(await ids(olga, "customers")).toEqual([]);
    expect(await crm.root((c) => column(c, "select id::int from crm.customers where owner_id = 17 order by id"))).toEqual([
      19, 20,
    ]);
  });
});

describe("the authenticator without a role", () => {
  test("is refused the crm schema itself, so every crm table and view (42501), with or without claims", async () => {
    const relations = await crm.root((c) =>
      column<string>(
        c,
        "select relname from pg_class where relnamespace = 'crm'::regnamespace and relkind in ('r', 'p', 'v', 'm') order by relname",
      ),
    );
    expect(relations).toEqual([...CRM_TABLES.slice(0, 8), "marketing_export", ...CRM_TABLES.slice(8)].sort());
    await asRoot(crm.pool, async (c) => {
      expect((await c.query("select current_user = session_user as plain, current_user as name")).rows).toEqual([
        { plain: true, name: roleName(crm.app, "authenticator") },
      ]);
      for (const claims of [false, true]) {
        if (claims) await c.query("select set_config('jwt.claims.user_id', '15', true)");
        for (const relation of relations) {
          expect([relation, await attempt(c, `select count(*) from crm.${relation}`)]).toEqual([
            relation,
            { code: "42501", message: "permission denied for schema crm" },
          ]);
        }
      }
    });
  });

  test("holds no privilege of its own on any crm table, column or view", async () => {
    const held = await asRoot(crm.pool, (c) =>
      column(
        c,
        `select relname from pg_class
          where relnamespace = 'crm'::regnamespace
            and (has_table_privilege(oid, 'select, insert, update, delete, truncate, references, trigger')
                 or has_any_column_privilege(oid, 'select, insert, update, references'))`,
      ),
    );
    expect(held).toEqual([]);
  });
});

describe("revocation takes effect on the next statement", () => {
  test("rita, once her sales_rep role is removed, sees nothing on her next statement", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("rita"));
      expect(await ids(c, "customers")).toEqual([1, 2, 3, 11, 16, 17, 18]);
      await backToRoot(c);
      expect((await c.query("delete from crm.user_roles where user_id = 4 and role = 'sales_rep'")).rowCount).toBe(1);
      await crm.actAs(c, persona("rita"));
      expect(await ids(c, "customers")).toEqual([]);
      expect(await ids(c, "follow_ups")).toEqual([]);
    });
  });

  test("rita, frozen in the middle of her transaction, sees nothing on her next statement", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("rita"));
      expect(await ids(c, "contacts")).toEqual([1, 2, 3, 4, 12]);
      await backToRoot(c);
      await c.query("update crm.users set status = 'frozen' where id = 4");
      await crm.actAs(c, persona("rita"));
      expect(await ids(c, "contacts")).toEqual([]);
      expect(await ids(c, "customers")).toEqual([]);
    });
  });

  test("rick, once his temporary grant expires, no longer sees customer 8, its follow-up or its quote, which exist", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("rick"));
      expect(await ids(c, "customers")).toEqual([4, 5, 6, 8, 16, 17, 18]);
      expect(await ids(c, "follow_ups")).toEqual([5, 6, 7]);
      expect(await ids(c, "quotes")).toEqual([4, 5, 10]);
      await backToRoot(c);
      expect(
        await ageRows(c, { table: "crm.access_grants", columns: ["expires_at"], by: "31 days", where: { id: 1, row_id: 8 } }),
      ).toBe(1);
      await crm.actAs(c, persona("rick"));
      expect(await ids(c, "customers")).toEqual([4, 5, 6, 16, 17, 18]);
      expect(await ids(c, "follow_ups")).toEqual([5, 6]);
      expect(await ids(c, "quotes")).toEqual([4, 10]);
      await backToRoot(c);
      expect(await column(c, "select id::int from crm.customers where id = 8")).toEqual([8]);
    });
  });

  test("rita, once the open project closes, no longer sees its customer 11, its follow-up or its quote, which exist", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("rita"));
      expect(await ids(c, "customers")).toEqual([1, 2, 3, 11, 16, 17, 18]);
      expect(await ids(c, "follow_ups")).toEqual([1, 2, 3, 4, 9]);
      expect(await ids(c, "quotes")).toEqual([1, 2, 3, 7, 10]);
      await backToRoot(c);
      expect((await c.query("update crm.projects set status = 'closed' where id = 1")).rowCount).toBe(1);
      await crm.actAs(c, persona("rita"));
      expect(await ids(c, "customers")).toEqual([1, 2, 3, 16, 17, 18]);
      expect(await ids(c, "follow_ups")).toEqual([1, 2, 3, 4]);
      expect(await ids(c, "quotes")).toEqual([1, 2, 3, 10]);
      await backToRoot(c);
      expect(await column(c, "select id::int from crm.customers where id = 11")).toEqual([11]);
    });
  });

  test("rita, frozen by another session while her request transaction is open, sees nothing on its next statement", async () => {
    try {
      await crm.as(persona("rita"), async (c) => {
        expect(await ids(c, "customers")).toEqual([1, 2, 3, 11, 16, 17, 18]);
        await crm.db.pool.query("update crm.users set status = 'frozen' where id = 4");
        expect(await ids(c, "customers")).toEqual([]);
      });
    } finally {
      await crm.db.pool.query("update crm.users set status = 'active' where id = 4");
    }
    expect(await crm.as(persona("rita"), (c) => ids(c, "customers"))).toEqual([1, 2, 3, 11, 16, 17, 18]);
  });

  test("ana's open login loses her customers as soon as another session removes her analyst role", async () => {
    const ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
    expect(await ids(ana, "customers")).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 19, 20]);
    try {
      await crm.db.pool.query("delete from crm.user_roles where user_id = 14 and role = 'analyst'");
      expect(await ids(ana, "customers")).toEqual([]);
    } finally {
      await crm.db.pool.query("insert into crm.user_roles (user_id, role) values (14, 'analyst') on conflict do nothing");
    }
    expect(await ids(ana, "customers")).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 19, 20]);
  });
});

describe("a user's unit tree", () => {
  /** The unit tree the helper gives the persona acting in `c`, in order. */
  const unitTree = async (c: PoolClient) =>
    (await column<string>(c, "select unnest(gatehouse.current_unit_tree(current_user)) as id")).map(Number).sort((a, b) => a - b);
  /** Every unit at or below `root`, as a recursive walk of org_units (read as the superuser) gives it. */
  const below = async (c: PoolClient, root: number) =>
    (
      await column<string>(
        c,
        `with recursive tree(id) as (select $1::bigint union select u.id from crm.org_units u join tree on u.parent_id = tree.id)
         select id from tree order by id`,
        [root],
      )
    ).map(Number);
  const unitOf = async (c: PoolClient, username: string) =>
    Number((await column<string>(c, "select unit_id from crm.users where username = $1", [username]))[0]);

  test("sam's and erin's trees are their unit and every unit below it; rita's (a leaf) is her unit alone", async () => {
    await crm.root(async (c) => {
      const expected = {
        sam: await below(c, await unitOf(c, "sam")),
        erin: await below(c, await unitOf(c, "erin")),
        rita: [await unitOf(c, "rita")],
      };
      expect(expected.erin.length).toBeGreaterThan(expected.sam.length);
      for (const username of ["sam", "erin", "rita"] as const) {
        await crm.actAs(c, persona(username));
        expect(await unitTree(c)).toEqual(expected[username]);
        await backToRoot(c);
      }
    });
  });

  test("a cycle in the org tree (erin's unit made the child of a unit below it) ends the walk, each unit listed once", async () => {
    await crm.root(async (c) => {
      const east = await unitOf(c, "erin");
      const tree = await below(c, east);
      const leaf = tree.at(-1)!;
      expect((await c.query("update crm.org_units set parent_id = $1 where id = $2", [leaf, east])).rowCount).toBe(1);
      await crm.actAs(c, persona("erin"));
      expect(await unitTree(c)).toEqual(tree);
    });
  });

  test("West-1 moved under sam's East-1 is in sam's tree on his next statement, with its customers", async () => {
    await crm.root(async (c) => {
      // what a supervisor sees of a unit in their tree: not deleted, and not vip unless their own
      const west1 = await column<number>(
        c,
        "select id::int from crm.customers where unit_id = 6 and deleted_at is null and (tier <> 'vip' or owner_id = 3) order by id",
      );
      await crm.actAs(c, persona("sam"));
      expect(await unitTree(c)).toEqual([4]);
      const before = await column<number>(c, "select id::int from crm.customers where unit_id = 6 order by id");
      expect(before.length).toBeLessThan(west1.length);
      await backToRoot(c);
      expect((await c.query("update crm.org_units set parent_id = 4 where id = 6")).rowCount).toBe(1);
      await crm.actAs(c, persona("sam"));
      expect(await unitTree(c)).toEqual([4, 6]);
      expect(await column<number>(c, "select id::int from crm.customers where unit_id = 6 order by id")).toEqual(west1);
    });
  });

  test("a unit added below East-1 is in sam's and erin's trees at once, and gone once deleted", async () => {
    await crm.root(async (c) => {
      await c.query("insert into crm.org_units (id, parent_id, name) overriding system value values (40, 4, 'East-1a')");
      for (const [username, tree] of [
        ["sam", [4, 40]],
        ["erin", [2, 4, 5, 40]],
      ] as const) {
        await crm.actAs(c, persona(username));
        expect(await unitTree(c)).toEqual(tree);
        await backToRoot(c);
      }
      await c.query("delete from crm.org_units where id = 40");
      await crm.actAs(c, persona("sam"));
      expect(await unitTree(c)).toEqual([4]);
    });
  });

  test("no app role reads or rebuilds the unit tree closure, adam (admin) included, where root reads it", async () => {
    for (const username of ["adam", "sam"]) {
      await crm.as(persona(username), async (c) => {
        expect((await attempt(c, "select * from gatehouse.unit_tree")) as unknown).toMatchObject({ code: "42501" });
        expect((await attempt(c, "select gatehouse.rebuild_unit_tree()")) as unknown).toMatchObject({ code: "42501" });
        expect((await attempt(c, "delete from gatehouse.unit_tree")) as unknown).toMatchObject({ code: "42501" });
      });
    }
    expect(
      await crm.root((c) =>
        column<number>(c, "select unnest(descendants)::int as unit from gatehouse.unit_tree where ancestor = 2"),
      ),
    ).toEqual([2, 4, 5]);
  });

  test("olga, frozen, has no unit tree: an empty array, not her unit", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("olga"));
      expect(await column(c, "select gatehouse.current_unit_tree(current_user) as tree")).toEqual([[]]);
    });
  });
});
