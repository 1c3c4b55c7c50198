/**
 * Row-dependent masks (CRM.md, contacts): a rep reads the phone and email of their own customers' contacts in full and
 * those of the contacts of customers granted to them or in their open projects masked (the id number is encrypted,
 * masked for every reader); supervisors and above in full
 * across the subtree they manage; support, analyst and intern masked everywhere. The roles that read row by row hold
 * no privilege on the raw columns (invariant 2): they read them through their row mask functions, which their
 * `select *` views call per row and the API a page at a time.
 */
import type { ClientBase } from "pg";
import { rawReader, roleName, toDdl } from "../../db";
import { attempt, backToRoot } from "../../db/testing";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { permissionDenied, rows } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

/**
 * Contacts 1–21 as stored (root), for the pairs of every "cannot see": phone and email raw; the id number is encrypted
 * at rest, so every reader sees its twin and so does this.
 */
const RAW: Record<number, { phone: string | null; email: string; id_number: string | null }> = {};
beforeAll(async () => {
  const all = await crm.root((c) =>
    rows(c, "select id::int, phone, email, id_number_masked as id_number from crm.contacts order by id"),
  );
  for (const r of all) RAW[r.id as number] = r as never;
});

const masked = (id: number) => ({
  id,
  phone: RAW[id]!.phone === null ? null : `*******${RAW[id]!.phone!.slice(-4)}`,
  email: `***@${RAW[id]!.email.split("@")[1]}`,
  id_number: RAW[id]!.id_number,
});
const full = (id: number) => ({ id, ...RAW[id]! });

/** What a persona reads with `select *` in their role's schema, for the personal columns. */
const starRows = (c: ClientBase, schema: string) =>
  rows(c, `select id::int, phone, email, id_number from ${schema}.contacts order by id`);

describe("per persona, raw or masked row by row", () => {
  test("rita reads her own customers' contacts in full and the contact of her open project's customer masked", async () => {
    expect(await crm.as(persona("rita"), (c) => starRows(c, "crm_sales_rep"))).toEqual([
      full(1),
      full(2),
      full(3),
      full(4),
      masked(12),
    ]);
  });

  test("rick reads his own customers' contacts in full and the contact of the customer granted to him masked", async () => {
    expect(await crm.as(persona("rick"), (c) => starRows(c, "crm_sales_rep"))).toEqual([full(5), full(6), full(7), masked(9)]);
  });

  test("rick cannot see the contact of the customer whose grant to him expired, which exists", async () => {
    expect(await crm.as(persona("rick"), (c) => column(c, "select id::int from crm_sales_rep.contacts where id = 11"))).toEqual(
      [],
    );
    expect(await crm.root((c) => column(c, "select customer_id::int from crm.contacts where id = 11"))).toEqual([10]);
  });

  test("sam reads every contact of his East-1 subtree in full", async () => {
    expect(await crm.as(persona("sam"), (c) => starRows(c, "crm_supervisor"))).toEqual([3, 4, 5, 6, 7, 15, 16, 19, 21].map(full));
  });

  test("erin reads every contact of her East subtree in full", async () => {
    expect(await crm.as(persona("erin"), (c) => starRows(c, "crm_regional_manager"))).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 19, 21].map(full),
    );
  });

  test("dana, director, reads the raw columns of every contact she sees, with no row mask", async () => {
    expect(
      await crm.as(persona("dana"), (c) =>
        rows(c, "select id::int, phone, email, id_number_masked as id_number from crm.contacts where id in (9, 12) order by id"),
      ),
    ).toEqual([full(9), full(12)]);
  });

  test("suki reads every contact masked, her own rows included: support has no raw rows", async () => {
    expect(await crm.as(persona("suki"), (c) => starRows(c, "crm_support"))).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map(masked),
    );
  });

  test("ian, intern, reads his own customer's contact masked", async () => {
    expect(await crm.as(persona("ian"), (c) => starRows(c, "crm_intern"))).toEqual([masked(15)]);
  });

  test("rita's one-row calls, as a SQL user writes them, give the same values as her select * view", async () => {
    const page = await crm.as(persona("rita"), (c) =>
      rows(c, "select id::int, gatehouse.row_mask_contacts__sales_rep(id) as personal from crm.contacts order by id"),
    );
    const personal = (r: ReturnType<typeof full>) => ({ id: r.id, phone: r.phone, email: r.email });
    expect(page.map((r) => ({ id: r.id, ...(r.personal as object) }))).toEqual(
      [full(1), full(2), full(3), full(4), masked(12)].map(personal),
    );
  });
});

describe("a page of rows in one call", () => {
  /** The masks of some contacts as `persona` reads them through `fn`, the many-row form, in one statement. */
  const page = (c: ClientBase, fn: string, ids: readonly number[]) =>
    rows(c, `select row_key::int as id, masks from gatehouse.${fn}($1) order by row_key`, [ids]);
  const personal = (r: ReturnType<typeof full>) => ({ id: r.id, masks: { phone: r.phone, email: r.email } });

  test("rita's page: her own customers' contacts in full, her project customer's masked, rick's customer's left out", async () => {
    expect(
      await crm.as(persona("rita"), (c) => page(c, "row_masks_contacts__sales_rep", [1, 2, 3, 4, 5, 12, 12, 999999])),
    ).toEqual([full(1), full(2), full(3), full(4), masked(12)].map(personal));
    expect(await crm.root((c) => column(c, "select id::int from crm.contacts where id in (5, 999999)"))).toEqual([5]);
  });

  test("sam's page leaves out the VIP contact of his subtree, which the VIP restriction hides from him", async () => {
    expect(await crm.as(persona("sam"), (c) => page(c, "row_masks_contacts__supervisor", [1, 3, 4]))).toEqual(
      [full(3), full(4)].map(personal),
    );
    expect(await crm.root((c) => column(c, "select id::int from crm.contacts where id = 1"))).toEqual([1]);
  });

  test("rick's page of an empty or null list of keys is empty", async () => {
    await crm.as(persona("rick"), async (c) => {
      expect(await page(c, "row_masks_contacts__sales_rep", [])).toEqual([]);
      expect(await rows(c, "select * from gatehouse.row_masks_contacts__sales_rep(null)")).toEqual([]);
    });
  });

  test("the one-row form is the many-row form on one key: the same values for each of rita's contacts", async () => {
    const [one, many] = await crm.as(persona("rita"), async (c) => [
      await rows(c, "select id::int, gatehouse.row_mask_contacts__sales_rep(id) as masks from crm.contacts order by id"),
      await rows(
        c,
        "select row_key::int as id, masks from gatehouse.row_masks_contacts__sales_rep(array(select id from crm.contacts)) order by row_key",
      ),
    ]);
    expect(one).toEqual(many);
    expect(one.map((r) => r.id)).toEqual([1, 2, 3, 4, 12]);
  });
});

describe("no raw value outside the rows of the scope", () => {
  test("rita is refused the raw phone of her project customer's contact: she holds no privilege on the raw column", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "select phone from crm.contacts where id = 12")).toEqual(permissionDenied("contacts"));
      expect(await attempt(c, "select id from crm.contacts where phone like '+1-555-01%'")).toEqual(permissionDenied("contacts"));
      expect(await attempt(c, "select c from crm.contacts c")).toEqual(permissionDenied("contacts"));
    });
  });

  test("rita's row mask function gives nothing for rick's customer's contact, which exists", async () => {
    expect(
      await crm.as(persona("rita"), (c) => rows(c, "select (gatehouse.row_mask_contacts__sales_rep(5) ->> 'phone') as phone")),
    ).toEqual([{ phone: null }]);
    expect(await crm.root((c) => column(c, "select phone from crm.contacts where id = 5"))).toEqual([RAW[5]!.phone]);
  });

  test("sam's row mask function gives nothing for the VIP contact in his subtree, which the VIP restriction hides from him", async () => {
    expect(
      await crm.as(persona("sam"), (c) => rows(c, "select (gatehouse.row_mask_contacts__supervisor(1) ->> 'phone') as phone")),
    ).toEqual([{ phone: null }]);
    expect(await crm.root((c) => column(c, "select phone from crm.contacts where id = 1"))).toEqual([RAW[1]!.phone]);
  });

  test("rita cannot call the supervisor's row mask function, nor act as her raw reader", async () => {
    await crm.as(persona("rita"), async (c) => {
      const denied = await attempt(c, "select (gatehouse.row_mask_contacts__supervisor(4) ->> 'phone')");
      expect(denied).toMatchObject({ code: "42501" });
      const deniedPage = await attempt(c, "select * from gatehouse.row_masks_contacts__supervisor(array[4])");
      expect(deniedPage).toMatchObject({ code: "42501" });
      expect(await attempt(c, `set local role ${roleName(crm.compiled.plan.app, rawReader("sales_rep"))}`)).toMatchObject({
        code: "42501",
      });
    });
  });

  test("frozen olga's row mask function gives nothing for her former customer's contact, which exists", async () => {
    expect(
      await crm.as(persona("olga"), (c) => rows(c, "select (gatehouse.row_mask_contacts__sales_rep(19) ->> 'phone') as phone")),
    ).toEqual([{ phone: null }]);
    expect(
      await crm.as(persona("olga"), (c) => rows(c, "select * from gatehouse.row_masks_contacts__sales_rep(array[19])")),
    ).toEqual([]);
    expect(await crm.root((c) => column(c, "select phone from crm.contacts where id = 19"))).toEqual([RAW[19]!.phone]);
  });

  test("claims set by hand in a superuser session give the row mask function no identity", async () => {
    expect(
      await crm.root(async (c) => {
        await c.query("select set_config('jwt.claims.user_id', '4', true)");
        await c.query(`set local role ${roleName(crm.compiled.plan.app, "sales_rep")}`);
        return rows(c, "select (gatehouse.row_mask_contacts__sales_rep(4) ->> 'phone') as phone");
      }),
    ).toEqual([{ phone: null }]);
    expect(
      await crm.root(async (c) => {
        await c.query("select set_config('jwt.claims.user_id', '4', true)");
        await c.query(`set local role ${roleName(crm.compiled.plan.app, "sales_rep")}`);
        return rows(c, "select * from gatehouse.row_masks_contacts__sales_rep(array[1, 2, 3, 4])");
      }),
    ).toEqual([]);
  });

  test("rita's project customer's contact disappears on her very next statement once the project closes", async () => {
    await crm.root(async (c) => {
      await crm.actAs(c, persona("rita"));
      expect(await rows(c, "select id::int, phone from crm_sales_rep.contacts where id = 12")).toEqual([
        { id: 12, phone: masked(12).phone },
      ]);
      await backToRoot(c);
      await c.query("update crm.projects set status = 'closed' where id = 1");
      await crm.actAs(c, persona("rita"));
      expect(await rows(c, "select (gatehouse.row_mask_contacts__sales_rep(12) ->> 'phone') as phone")).toEqual([
        { phone: null },
      ]);
      expect(await rows(c, "select row_key::int from gatehouse.row_masks_contacts__sales_rep(array[3, 12])")).toEqual([
        { row_key: 3 },
      ]);
      expect(await column(c, "select id::int from crm_sales_rep.contacts where id = 12")).toEqual([]);
      await backToRoot(c);
      expect(await column(c, "select phone from crm.contacts where id = 12")).toEqual([RAW[12]!.phone]);
    });
  });
});

describe("role-bound logins", () => {
  test("rita's BI login reads select * from contacts: her own in full, her project customer's contact masked", async () => {
    const p = persona("rita");
    const login = await crm.login({ username: "rita", userId: p.userId, role: p.role });
    try {
      expect(await rows(login, "select id::int, phone, email, id_number from contacts order by id")).toEqual([
        full(1),
        full(2),
        full(3),
        full(4),
        masked(12),
      ]);
      await login.query("begin");
      expect(await attempt(login, "select phone from crm.contacts")).toEqual(permissionDenied("contacts"));
      await login.query("rollback");
    } finally {
      await login.end();
    }
  });
});

describe("writes", () => {
  test("rita writes the phone of her own customer's contact and reads it back in full; the twin follows", async () => {
    await crm.as(persona("rita"), async (c) => {
      await c.query("update crm.contacts set phone = '+1-555-0777' where id = 3");
      expect(
        await rows(c, "select c.phone, t.phone_masked from crm_sales_rep.contacts c join crm.contacts t using (id) where id = 3"),
      ).toEqual([{ phone: "+1-555-0777", phone_masked: "*******0777" }]);
    });
  });

  test("rita cannot change the contact of her project customer, which she sees masked", async () => {
    await crm.as(persona("rita"), async (c) => {
      expect(await attempt(c, "update crm.contacts set phone = '+1-555-0777' where id = 12")).toEqual({ rowCount: 0, rows: [] });
    });
    expect(await crm.root((c) => column(c, "select phone from crm.contacts where id = 12"))).toEqual([RAW[12]!.phone]);
  });
});

describe("upgrading", () => {
  test("rita's one-row function of the earlier form (a definer function her raw reader owns) becomes an invoker function of the migration's owner", async () => {
    const app = crm.compiled.plan.app;
    const fn = "gatehouse.row_mask_contacts__sales_rep(bigint)";
    const statement = crm.compiled.statements.find((s) => s.fn?.name === "row_mask_contacts__sales_rep")!;
    const state = (c: ClientBase) =>
      rows(
        c,
        `select p.prosecdef as definer, r.rolname as owner from pg_proc p join pg_roles r on r.oid = p.proowner where p.oid = '${fn}'::regprocedure`,
      );
    const after = await crm.root(async (c) => {
      await c.query(`alter function ${fn} security definer`);
      await c.query(`alter function ${fn} owner to ${roleName(app, rawReader("sales_rep"))}`);
      expect(await state(c)).toEqual([{ definer: true, owner: roleName(app, rawReader("sales_rep")) }]);
      await c.query(toDdl(statement.sql));
      return { state: await state(c), me: (await rows(c, "select current_user::text as me"))[0]!.me };
    });
    expect(after.state).toEqual([{ definer: false, owner: after.me }]);
  });
});
