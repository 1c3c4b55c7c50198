/**
 * The store chain: a second app, unlike the CRM in every name (schema shop, staff / staff_roles /
 * regions with their own key and status columns, role prefix shop_), compiled and enforced by the same
 * toolkit. Personas and rows: test/apps/store-chain/seed.ts.
 */
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { refusal, ageRows, expectRowSecurityEverywhere, backToRoot } from "../../db/testing";
import { column, openStoreChainDatabase, persona } from "./store-chain/database";
import { ALL_MEMBERS, ALL_PURCHASES, ALL_STORES, ANDY_PURCHASE_STATS, VISIBILITY } from "./store-chain/expectations";

let shop: AppTestDatabase;
beforeAll(async () => {
  shop = await openStoreChainDatabase();
});
afterAll(() => shop?.close());

const without = (all: readonly number[], visible: readonly number[]) => all.filter((id) => !visible.includes(id));

/** The columns of `shop.<table>` the current role holds `privilege` on, in table order. */
const columnsWith = (privilege: "select" | "insert" | "update", table: string) =>
  `select attname::text from pg_catalog.pg_attribute
    where attrelid = 'shop.${table}'::regclass and attnum > 0 and not attisdropped
      and has_column_privilege(attrelid, attnum, '${privilege}')
    order by attnum`;

const RLS_VIOLATION = { code: "42501", message: 'new row violates row-level security policy for table "purchases"' };
const denied = (table: string) => ({ code: "42501", message: `permission denied for table ${table}` });

describe("who sees which stores, members and purchases", () => {
  test.each(VISIBILITY)("$name", async ({ login, stores, members, purchases }) => {
    const seen = await shop.as(persona(login), async (c) => ({
      stores: await column<number>(c, "select store_id from shop.stores order by store_id"),
      members: await column<number>(c, "select id from shop.members order by id"),
      purchases: await column<number>(c, "select id from shop.purchases order by id"),
    }));
    expect(seen).toEqual({ stores, members, purchases });

    const hidden = {
      stores: without(ALL_STORES, stores),
      members: without(ALL_MEMBERS, members),
      purchases: without(ALL_PURCHASES, purchases),
    };
    const existing = await shop.root(async (c) => ({
      stores: await column<number>(c, "select store_id from shop.stores where store_id = any ($1) order by store_id", [
        hidden.stores,
      ]),
      members: await column<number>(c, "select id from shop.members where id = any ($1) order by id", [hidden.members]),
      purchases: await column<number>(c, "select id from shop.purchases where id = any ($1) order by id", [hidden.purchases]),
    }));
    expect(existing).toEqual(hidden);
  });

  test("mia (member service, North) sees North's stores and members, and may not read purchases at all", async () => {
    const seen = await shop.as(persona("mia"), async (c) => ({
      stores: await column<number>(c, "select store_id from shop.stores order by store_id"),
      members: await column<number>(c, "select id from shop.members order by id"),
    }));
    expect(seen).toEqual({ stores: [1, 2], members: [1, 2, 3, 4, 5] });
    expect(await shop.as(persona("mia"), (c) => refusal(c, "select id from shop.purchases"))).toEqual(denied("purchases"));
    expect(await shop.root((c) => column<number>(c, "select store_id from shop.stores where store_id = 3"))).toEqual([3]);
    expect(await shop.root((c) => column<number>(c, "select id from shop.members where id = 6"))).toEqual([6]);
    expect(await shop.root((c) => column<number>(c, "select id from shop.purchases order by id"))).toEqual([...ALL_PURCHASES]);
  });

  test("carl (cashier) cannot read the staff list or the region tree", async () => {
    expect(await shop.as(persona("carl"), (c) => refusal(c, "select staff_id from shop.staff"))).toEqual(denied("staff"));
    expect(await shop.as(persona("carl"), (c) => refusal(c, "select region_id from shop.regions"))).toEqual(denied("regions"));
    expect(await shop.root((c) => column<number>(c, "select count(*)::int from shop.staff"))).toEqual([11]);
  });
});

describe("columns and masks", () => {
  test("each persona may read exactly these member columns", async () => {
    const read = async (login: string) => shop.as(persona(login), (c) => column<string>(c, columnsWith("select", "members")));
    // removed_at, removed_by, removal_reason: soft delete's marks (who and why only for hq, who sees removed members)
    expect(await read("hannah")).toEqual([
      "id",
      "store_id",
      "full_name",
      "email",
      "phone_masked",
      "card_number_masked",
      "removed_at",
      "removed_by",
      "removal_reason",
    ]);
    expect(await read("nora")).toEqual(["id", "store_id", "full_name", "phone", "email", "card_number_masked", "removed_at"]);
    expect(await read("mike")).toEqual(["id", "store_id", "full_name", "phone", "email", "card_number_masked", "removed_at"]);
    expect(await read("carl")).toEqual(["id", "store_id", "full_name", "phone", "card_number_masked"]);
    expect(await read("mia")).toEqual(["id", "store_id", "full_name", "phone", "email", "card_number", "removed_at"]);
    expect(await read("andy")).toEqual([]);
  });

  test("carl may set only member, store, cashier and amount of a new purchase; mike may change only a store's opening hours", async () => {
    expect(await shop.as(persona("carl"), (c) => column<string>(c, columnsWith("insert", "purchases")))).toEqual([
      "member_id",
      "store_id",
      "cashier_id",
      "amount",
    ]);
    expect(await shop.as(persona("carl"), (c) => column<string>(c, columnsWith("update", "purchases")))).toEqual([]);
    expect(await shop.as(persona("mike"), (c) => column<string>(c, columnsWith("update", "stores")))).toEqual(["opening_hours"]);
    expect(await shop.as(persona("mike"), (c) => column<string>(c, columnsWith("insert", "stores")))).toEqual([]);
  });

  test("carl reads Northgate's members with card numbers masked to the last four digits", async () => {
    const rows = await shop.as(
      persona("carl"),
      async (c) => (await c.query("select id, full_name, phone, card_number_masked from shop.members order by id")).rows,
    );
    expect(rows).toEqual([
      { id: 1, full_name: "Alice Archer", phone: "07700900001", card_number_masked: "************1111" },
      { id: 2, full_name: "Ben Brook", phone: "07700900002", card_number_masked: "************2222" },
      { id: 3, full_name: "Cleo Cross", phone: "07700900003", card_number_masked: "************3333" },
    ]);
  });

  test("carl cannot read a raw card number, nor a member's email", async () => {
    expect(await shop.as(persona("carl"), (c) => refusal(c, "select card_number from shop.members"))).toEqual(denied("members"));
    expect(await shop.as(persona("carl"), (c) => refusal(c, "select email from shop.members"))).toEqual(denied("members"));
    expect(
      await shop.root((c) => c.query("select card_number, email from shop.members where id = 1").then((r) => r.rows)),
    ).toEqual([{ card_number: "4000000000001111", email: "alice@example.org" }]);
  });

  test("hannah (hq) reads every member's phone masked to its first five digits, never the raw phone", async () => {
    const rows = await shop.as(
      persona("hannah"),
      async (c) => (await c.query("select id, phone_masked from shop.members order by id")).rows,
    );
    expect(rows).toEqual([1, 2, 3, 4, 5, 6].map((id) => ({ id, phone_masked: "07700******" })));
    expect(await shop.as(persona("hannah"), (c) => refusal(c, "select phone from shop.members"))).toEqual(denied("members"));
    expect(await shop.root((c) => column<string>(c, "select phone from shop.members where id = 6"))).toEqual(["07700900006"]);
  });
});

describe("the purchase_stats masking view", () => {
  test("andy (analyst, North) reads store, month and amount range of North's purchases, none of Harbor's", async () => {
    const rows = await shop.as(
      persona("andy"),
      async (c) =>
        (
          await c.query(
            "select store_id, month::text, amount_range from shop.purchase_stats order by store_id, month, amount_range",
          )
        ).rows,
    );
    expect(rows).toEqual(ANDY_PURCHASE_STATS);
    // the superuser has no app identity, so it reads no row of the view, which runs as its owner: the rows are in the table
    expect(await shop.root((c) => column<number>(c, "select count(*)::int from shop.purchase_stats"))).toEqual([0]);
    const harbor = await shop.root(
      async (c) =>
        (await c.query("select store_id, month::text, amount_range from shop.purchases where store_id = 3 order by month")).rows,
    );
    expect(harbor).toEqual([
      { store_id: 3, month: "2025-01-01", amount_range: "0-99" },
      { store_id: 3, month: "2025-02-01", amount_range: "1200-1299" },
    ]);
  });

  test("andy cannot select from shop.purchases at all: not the view's columns, no exact amount, member or cashier", async () => {
    for (const col of ["store_id", "month", "amount_range", "amount", "member_id", "cashier_id", "id"]) {
      expect(await shop.as(persona("andy"), (c) => refusal(c, `select ${col} from shop.purchases`))).toEqual(denied("purchases"));
    }
    expect(await shop.root((c) => column<string>(c, "select amount::text from shop.purchases where id = 2"))).toEqual(["750.00"]);
  });

  test("the view runs as its own owner, which reads stores through via() only as the analyst may", async () => {
    const owner = `${shop.app.rolePrefix}view_purchase_stats`;
    const held = await shop.root(async (c) => ({
      columns: await column<string>(
        c,
        "select distinct table_name || '.' || column_name from information_schema.column_privileges where grantee = $1 and table_name <> 'purchase_stats' order by 1",
        [owner],
      ),
      policies: (
        await c.query(
          "select tablename, policyname, permissive from pg_policies where schemaname = 'shop' and $1 = any (roles) order by 1, 2",
          [owner],
        )
      ).rows,
      analyst: await column<string>(
        c,
        "select table_name from information_schema.role_table_grants where grantee = $1 and table_name in ('purchases', 'purchase_stats') union select table_name from information_schema.column_privileges where grantee = $1 and table_name = 'purchases' order by 1",
        [`${shop.app.rolePrefix}analyst`],
      ),
    }));
    expect(held).toEqual({
      columns: ["purchases.amount_range", "purchases.month", "purchases.store_id", "stores.store_id"],
      policies: [
        { tablename: "purchases", policyname: "view_purchase_stats__select", permissive: "PERMISSIVE" },
        { tablename: "stores", policyname: "view_purchase_stats__select", permissive: "PERMISSIVE" },
      ],
      analyst: ["purchase_stats"],
    });
  });

  test("nora (regional manager) cannot read purchase_stats: it is for analysts", async () => {
    expect(await shop.as(persona("nora"), (c) => refusal(c, "select * from shop.purchase_stats"))).toEqual({
      code: "42501",
      message: "permission denied for view purchase_stats",
    });
    expect(await shop.root((c) => column<number>(c, "select count(*)::int from shop.purchases"))).toEqual([9]);
  });

  test("andy's role-bound login reads the same rows and cannot pose as hannah by setting claims", async () => {
    const login = await shop.login({ username: "andy", userId: persona("andy").userId, role: "analyst" });
    const stats = "select store_id, month::text, amount_range from shop.purchase_stats order by store_id, month, amount_range";
    expect((await login.query(stats)).rows).toEqual(ANDY_PURCHASE_STATS);
    await login.query("select set_config('jwt.claims.user_id', $1, false)", [String(persona("hannah").userId)]);
    expect((await login.query(stats)).rows).toEqual(ANDY_PURCHASE_STATS);
    expect((await login.query("select store_id from shop.stores order by store_id")).rows.map((r) => r.store_id)).toEqual([1, 2]);
  });
});

describe("cashiers ring up purchases in their own store only", () => {
  const ringUp = "insert into shop.purchases (member_id, store_id, cashier_id, amount) values ($1, $2, $3, $4)";

  test("carl rings up a 12.50 purchase for Ben at Northgate and sees it", async () => {
    const { inserted, visible } = await shop.as(persona("carl"), async (c) => {
      const { rows } = await c.query(`${ringUp} returning id, member_id, store_id, cashier_id, amount::text`, [2, 1, 5, "12.50"]);
      return { inserted: rows, visible: await column<number>(c, "select id from shop.purchases order by id") };
    });
    expect(inserted).toHaveLength(1);
    const { id, ...row } = inserted[0];
    expect(row).toEqual({ member_id: 2, store_id: 1, cashier_id: 5, amount: "12.50" });
    expect(visible).toEqual([1, 3, 4, id]);
  });

  test("carl rings up a 900.00 purchase and still sees it: the large-purchase rule keeps what he rang up", async () => {
    const large = await shop.as(persona("carl"), async (c) => {
      await c.query(ringUp, [null, 1, 5, "900.00"]);
      return (await c.query("select amount::text, cashier_id from shop.purchases where amount >= 500 order by amount")).rows;
    });
    expect(large).toEqual([
      { amount: "620.00", cashier_id: 5 },
      { amount: "900.00", cashier_id: 5 },
    ]);
  });

  test("carl cannot ring up a purchase at Harbor: row-security violation", async () => {
    expect(await shop.as(persona("carl"), (c) => refusal(c, ringUp, [null, 3, 5, "10.00"]))).toEqual(RLS_VIOLATION);
    expect(await shop.root((c) => column<string>(c, "select name from shop.stores where store_id = 3"))).toEqual(["Harbor"]);
  });

  test("carl cannot ring up a purchase in cara's name", async () => {
    expect(await shop.as(persona("carl"), (c) => refusal(c, ringUp, [null, 1, 6, "10.00"]))).toEqual(RLS_VIOLATION);
  });

  test("carl cannot ring up a Northgate purchase for Harbor's member Finn", async () => {
    expect(await shop.as(persona("carl"), (c) => refusal(c, ringUp, [6, 1, 5, "10.00"]))).toEqual(RLS_VIOLATION);
    expect(await shop.root((c) => c.query("select id, store_id from shop.members where id = 6").then((r) => r.rows))).toEqual([
      { id: 6, store_id: 3 },
    ]);
  });

  test("leo, who left, cannot ring up a purchase at Northgate any more", async () => {
    expect(await shop.as(persona("leo"), (c) => refusal(c, ringUp, [null, 1, 7, "10.00"]))).toEqual(RLS_VIOLATION);
  });

  test("carl cannot change or delete a purchase, not even his own", async () => {
    expect(await shop.as(persona("carl"), (c) => refusal(c, "update shop.purchases set amount = 1 where id = 1"))).toEqual(
      denied("purchases"),
    );
    expect(await shop.as(persona("carl"), (c) => refusal(c, "delete from shop.purchases where id = 1"))).toEqual(
      denied("purchases"),
    );
    expect(await shop.root((c) => column<string>(c, "select amount::text from shop.purchases where id = 1"))).toEqual(["25.00"]);
  });
});

describe("member service writes members of its region", () => {
  const signUp = "insert into shop.members (store_id, full_name, card_number) values ($1, $2, $3) returning store_id, full_name";

  test("mia signs up a member at Lakeside and updates Alice's email at Northgate", async () => {
    const result = await shop.as(persona("mia"), async (c) => ({
      inserted: (await c.query(signUp, [2, "Gus Green", "4000000000007777"])).rows,
      updated: (await c.query("update shop.members set email = 'alice@example.net' where id = 1")).rowCount,
    }));
    expect(result).toEqual({ inserted: [{ store_id: 2, full_name: "Gus Green" }], updated: 1 });
  });

  test("mia cannot sign up a member at Harbor, in the South", async () => {
    expect(await shop.as(persona("mia"), (c) => refusal(c, signUp, [3, "Hal Hunt", "4000000000008888"]))).toEqual({
      code: "42501",
      message: 'new row violates row-level security policy for table "members"',
    });
  });

  test("mia cannot update Harbor's member Finn: no row matches", async () => {
    expect(
      await shop.as(
        persona("mia"),
        async (c) => (await c.query("update shop.members set email = 'x@example.org' where id = 6")).rowCount,
      ),
    ).toBe(0);
    expect(await shop.root((c) => column<string>(c, "select email from shop.members where id = 6"))).toEqual([
      "finn@example.org",
    ]);
  });
});

describe("the region tree and revocation are read live", () => {
  const stores = "select store_id from shop.stores order by store_id";

  test("nora sees Harbor from the statement after it moves under North, and loses Lakeside when it moves South", async () => {
    const seen = await shop.root(async (c) => {
      await shop.actAs(c, persona("nora"));
      const before = await column<number>(c, stores);
      await backToRoot(c);
      await c.query("update shop.regions set parent_region_id = 2 where region_id = 31");
      await shop.actAs(c, persona("nora"));
      const harborMoved = {
        stores: await column<number>(c, stores),
        purchases: await column<number>(c, "select id from shop.purchases order by id"),
      };
      await backToRoot(c);
      await c.query("update shop.regions set parent_region_id = 3 where region_id = 12");
      await shop.actAs(c, persona("nora"));
      const lakesideMoved = await column<number>(c, stores);
      return { before, harborMoved, lakesideMoved };
    });
    expect(seen).toEqual({
      before: [1, 2],
      harborMoved: { stores: [1, 2, 3], purchases: [...ALL_PURCHASES] },
      lakesideMoved: [1, 3],
    });
  });

  test("mike sees nothing from the statement after his store_manager role is removed", async () => {
    const seen = await shop.root(async (c) => {
      await shop.actAs(c, persona("mike"));
      const before = await column<number>(c, stores);
      await backToRoot(c);
      await c.query("delete from shop.staff_roles where staff_id = 4");
      await shop.actAs(c, persona("mike"));
      return {
        before,
        after: { stores: await column<number>(c, stores), purchases: await column<number>(c, "select id from shop.purchases") },
      };
    });
    expect(seen).toEqual({ before: [1], after: { stores: [], purchases: [] } });
  });

  test("carl sees nothing from the statement after he leaves", async () => {
    const seen = await shop.root(async (c) => {
      await shop.actAs(c, persona("carl"));
      const before = await column<number>(c, "select id from shop.members order by id");
      await backToRoot(c);
      await c.query("update shop.staff set state = 'left' where staff_id = 5");
      await shop.actAs(c, persona("carl"));
      return {
        before,
        after: { stores: await column<number>(c, stores), members: await column<number>(c, "select id from shop.members") },
      };
    });
    expect(seen).toEqual({ before: [1, 2, 3], after: { stores: [], members: [] } });
  });
});

describe("temporary grants (staff passes)", () => {
  test("nora (regional manager, North) lets carl (cashier, Northgate) look up Lakeside's member 4 for a shift; not Harbor's, not for a day", async () => {
    const seen = await shop.root(async (c) => {
      await shop.actAs(c, persona("carl"));
      const before = await column<number>(c, "select id from shop.members where id = 4");
      await shop.actAs(c, persona("nora"));
      const pass =
        "select issued_by, holder_id, target_id from shop.grant_access('members', $1, 5, 'select', clock_timestamp() + $2::interval, 'member at the till')";
      const made = (await c.query(pass, [4, "8 hours"])).rows;
      const harbor = await refusal(c, pass, [6, "8 hours"]);
      const day = await refusal(c, pass, [4, "1 day"]);
      await shop.actAs(c, persona("carl"));
      const after = await column<number>(c, "select id from shop.members where id = 4");
      return { before, made, harbor, day, after };
    });
    expect(seen).toEqual({
      before: [],
      made: [{ issued_by: 2, holder_id: 5, target_id: 4 }],
      harbor: {
        code: "42501",
        message:
          "gatehouse: you cannot see row 6 of members yourself (access through a grant or a membership does not count), so you cannot grant it",
      },
      day: {
        code: "22023",
        message: "gatehouse: a temporary grant may last at most 12 hours from now: choose an earlier expires_at",
      },
      after: [4],
    });
    expect(await shop.root((c) => column<number>(c, "select id from shop.members where id in (4, 6) order by id"))).toEqual([
      4, 6,
    ]);
  });
});

describe("soft delete of members", () => {
  test("mia (member service) removes Ben (member 2): marked with who and why, gone for mike, kept for hannah (hq), who restores him intact; only the owner's purge after 30 days removes him, keeping his purchase", async () => {
    const seen = await shop.root(async (c) => {
      const row = async () => (await c.query("select to_jsonb(m) as row from shop.members m where id = 2")).rows[0]?.row;
      const before = await row();
      await shop.actAs(c, persona("mia"));
      const deleted = (await c.query("select gatehouse.delete_members(2, 'cancelled the card')")).rowCount;
      await shop.actAs(c, persona("mike"));
      const mike = await column<number>(c, "select id from shop.members where id = 2");
      const mikeRestores = await refusal(c, "select shop.restore_members(2)");
      await shop.actAs(c, persona("hannah"));
      const hannah = (await c.query("select id, removed_by, removal_reason from shop.members where id = 2")).rows;
      await c.query("select shop.restore_members(2)");
      await backToRoot(c);
      const restored = JSON.stringify(await row()) === JSON.stringify(before);
      await c.query("delete from shop.members where id = 2");
      await ageRows(c, { table: "shop.members", columns: ["removed_at"], by: "31 days", where: { id: 2 } });
      const purged = await column<number>(c, "select gatehouse.purge_members()::int");
      return {
        deleted,
        mike,
        mikeRestores,
        hannah,
        restored,
        purged,
        left: await column<number>(c, "select id from shop.members where id = 2"),
        purchase: (await c.query("select id, member_id from shop.purchases where id = 2")).rows,
      };
    });
    expect(seen).toEqual({
      deleted: 1,
      mike: [],
      mikeRestores: { code: "42501", message: "permission denied for function restore_members" },
      hannah: [{ id: 2, removed_by: 10, removal_reason: "cancelled the card" }],
      restored: true,
      purged: [1],
      left: [],
      purchase: [{ id: 2, member_id: null }],
    });
  });
});

describe("the audit trail", () => {
  /** mike sets Northgate's opening hours (and tries Harbor's); returns the audit rows hannah then reads. */
  const auditOfOpeningHours = () =>
    shop.root(async (c) => {
      const [after] = await column<number>(c, "select coalesce(max(id), 0)::int from gatehouse.audit_log");
      await shop.actAs(c, persona("mike"));
      const northgate = (await c.query("update shop.stores set opening_hours = '08:00-20:00' where store_id = 1")).rowCount;
      const harbor = (await c.query("update shop.stores set opening_hours = '00:00-23:59' where store_id = 3")).rowCount;
      await backToRoot(c);
      await shop.actAs(c, persona("hannah"));
      const { rows } = await c.query(
        "select user_id, acting_role::text, table_name, operation, row_key, new_values from gatehouse.audit_log where id > $1 order by id",
        [after],
      );
      return { northgate, harbor, rows };
    });

  test("mike changes Northgate's opening hours, not Harbor's; hannah (hq) reads who did it", async () => {
    const { northgate, harbor, rows } = await auditOfOpeningHours();
    expect({ northgate, harbor }).toEqual({ northgate: 1, harbor: 0 });
    expect(rows.map(({ row_key: _key, ...row }) => row)).toEqual([
      {
        user_id: 4,
        acting_role: roleName(shop.app, "store_manager"),
        table_name: "stores",
        operation: "update",
        new_values: { opening_hours: "08:00-20:00" },
      },
    ]);
    expect(await shop.root((c) => column<string>(c, "select opening_hours from shop.stores where store_id = 3"))).toEqual([
      "09:00-18:00",
    ]);
  });

  test("mike (store manager) and carl (cashier) cannot read the audit trail", async () => {
    for (const login of ["mike", "carl"]) {
      expect(await shop.as(persona(login), (c) => refusal(c, "select id from gatehouse.audit_log"))).toEqual(denied("audit_log"));
    }
  });

  test("the audit row names the changed store by its primary key (store_id)", async () => {
    const { rows } = await auditOfOpeningHours();
    expect(rows.map((r) => r.row_key)).toEqual([{ store_id: 1 }]);
  });
});

describe("the generated SQL is the shop's, not the CRM's", () => {
  test("it mentions neither crm nor customers, and neither does the access matrix", () => {
    expect(shop.compiled.sql).not.toMatch(/crm/i);
    expect(shop.compiled.sql).not.toMatch(/customers/i);
    expect(shop.compiled.matrix).not.toMatch(/crm|customers/i);
  });

  test("the identity helpers read shop.staff, shop.staff_roles and shop.regions by their own column names and types", async () => {
    const helpers = await shop.root(
      async (c) =>
        (
          await c.query(
            `select p.proname::text as name, pg_catalog.pg_get_function_result(p.oid) as returns, pg_catalog.pg_get_functiondef(p.oid) as body
             from pg_catalog.pg_proc p
            where p.pronamespace = 'gatehouse'::regnamespace and p.proname in ('current_user_id', 'current_unit_id', 'current_unit_tree', 'granted_rows', 'rebuild_unit_tree')
            order by p.proname`,
          )
        ).rows,
    );
    expect(helpers.map((h) => [h.name, h.returns])).toEqual([
      ["current_unit_id", "integer"],
      ["current_unit_tree", "integer[]"],
      ["current_user_id", "integer"],
      ["granted_rows", "integer[]"],
      ["rebuild_unit_tree", "void"],
    ]);
    const body = (name: string) => helpers.find((h) => h.name === name)!.body as string;
    for (const fragment of [
      '"shop"."staff" u',
      '"shop"."staff_roles" r',
      'r."staff_id" = u."staff_id"',
      "u.\"state\" = 'employed'",
      'r."role_name" = app_role',
    ]) {
      expect(body("current_user_id")).toContain(fragment);
    }
    expect(body("current_unit_id")).toContain('select u."region_id" into result');
    expect(body("current_unit_tree")).toContain('join "gatehouse"."unit_tree" tree on tree.ancestor = u."region_id"');
    expect(body("rebuild_unit_tree")).toContain(
      'select u."region_id", u."region_id" from "shop"."regions" u\n    union\n    select walk.ancestor, child."region_id" from walk join "shop"."regions" child on child."parent_region_id" = walk.descendant',
    );
    for (const h of helpers) expect(h.body).not.toMatch(/"users"|"user_roles"|"org_units"|"unit_id"|"status"/);
  });

  test("every generated role is named <test prefix>shop_<role>", async () => {
    const prefix = shop.app.rolePrefix;
    const roles = await shop.root((c) =>
      column<string>(
        c,
        "select rolname::text from pg_catalog.pg_roles where starts_with(rolname, $1) and not starts_with(rolname, $2) order by rolname",
        [shop.db.rolePrefix, `${prefix}login_`],
      ),
    );
    expect(prefix).toBe(`${shop.db.rolePrefix}shop_`);
    expect(roles).toEqual(
      [
        "analyst",
        "anonymous",
        "authenticator",
        "cashier",
        "hq",
        "member_service",
        "regional_manager",
        "store_manager",
        "view_purchase_stats",
      ].map((r) => `${prefix}${r}`),
    );
  });

  test("every shop table, identity tables included, has row level security enabled and forced", async () => {
    const tables = await shop.root((c) =>
      column<string>(
        c,
        "select relname::text from pg_catalog.pg_class where relnamespace = 'shop'::regnamespace and relkind = 'r' order by relname",
      ),
    );
    expect(tables).toEqual(["members", "purchases", "regions", "staff", "staff_passes", "staff_roles", "stores"]);
    await shop.root((c) => expectRowSecurityEverywhere(c, "shop"));
  });
});
