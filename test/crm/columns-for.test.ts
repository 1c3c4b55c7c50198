/**
 * `gatehouse.columns_for(table)` and `select_for(table)`: what a role that was refused `select *` may
 * write instead, from the database; and `readableColumns`, the same list without a database.
 */
import type { PoolClient } from "pg";
import { readableColumns, roleName } from "../../db";
import { PERSONAS } from "../../db/crm/seed";
import type { AppTestDatabase } from "../../db/testing";
import { column, CRM_TABLES, openCrmDatabase, persona } from "./crm-database";
import { attempt, type Outcome } from "../../db/testing";
import { permissionDenied, rows } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const RELATIONS = [...CRM_TABLES, "marketing_export"] as const;

/** The column names `columns_for(table)` returns for the current role, in order. */
const columnsFor = (c: PoolClient, table: string) =>
  column<string>(c, "select column_name from gatehouse.columns_for($1)", [table]);

/** The statement `select_for(table)` returns for the current role. */
const selectFor = async (c: PoolClient, table: string) =>
  (await c.query("select gatehouse.select_for($1) as statement", [table])).rows[0].statement as string | null;

/** The refusal of calling a toolkit function the role may not execute. */
const functionDenied = (fn: string): Outcome => ({ code: "42501", message: `permission denied for function ${fn}` });

describe("a persona refused select * learns what to write", () => {
  test("rita, a sales rep, lists the 13 customer columns she may read and what she may write; select * is refused for the created_month twin she may not read", async () => {
    const [listed, star, statement] = await crm.as(persona("rita"), async (c) => [
      await rows(c, "select * from gatehouse.columns_for('customers')"),
      await attempt(c, "select * from crm.customers"),
      await selectFor(c, "customers"),
    ]);
    expect(listed).toEqual([
      { column_name: "id", masks: null, privileges: "select" },
      { column_name: "name", masks: null, privileges: "select, insert, update" },
      { column_name: "industry", masks: null, privileges: "select, insert, update" },
      { column_name: "region", masks: null, privileges: "select, insert, update" },
      { column_name: "tier", masks: null, privileges: "select" },
      { column_name: "stage", masks: null, privileges: "select, insert, update" },
      { column_name: "owner_id", masks: null, privileges: "select, insert" },
      { column_name: "unit_id", masks: null, privileges: "select, insert" },
      { column_name: "consent_marketing", masks: null, privileges: "select, insert, update" },
      { column_name: "last_contacted_at", masks: null, privileges: "select, insert, update" },
      { column_name: "archived_at", masks: null, privileges: "select" },
      { column_name: "deleted_at", masks: null, privileges: "select" },
      { column_name: "created_at", masks: null, privileges: "select" },
    ]);
    expect(star).toEqual(permissionDenied("customers"));
    expect(statement).toBe(
      "select id, name, industry, region, tier, stage, owner_id, unit_id, consent_marketing, last_contacted_at, archived_at, deleted_at, created_at from crm.customers",
    );
  });

  test("suki, support, lists contacts' phone, email and id number as their masked twins, each in its column's place, and not the raw columns", async () => {
    const [listed, statement, selected] = await crm.as(persona("suki"), async (c) => {
      const statement = await selectFor(c, "contacts");
      return [
        await rows(c, "select * from gatehouse.columns_for('contacts')"),
        statement,
        await attempt(c, `${statement} order by id limit 1`),
      ];
    });
    expect(listed).toEqual([
      { column_name: "id", masks: null, privileges: "select" },
      { column_name: "customer_id", masks: null, privileges: "select" },
      { column_name: "full_name", masks: null, privileges: "select" },
      { column_name: "phone_masked", masks: "phone", privileges: "select" },
      { column_name: "email_masked", masks: "email", privileges: "select" },
      { column_name: "id_number_masked", masks: "id_number", privileges: "select" },
    ]);
    expect(statement).toBe("select id, customer_id, full_name, phone_masked, email_masked, id_number_masked from crm.contacts");
    expect(selected).toMatchObject({ rowCount: 1, rows: [{ phone_masked: expect.stringMatching(/^\*+\d{4}$/) }] });
  });

  test("mark, marketing, lists the export view's columns, created_month as the mask of created_at", async () => {
    const listed = await crm.as(persona("mark"), (c) => rows(c, "select * from gatehouse.columns_for('marketing_export')"));
    expect(listed).toEqual([
      { column_name: "id", masks: null, privileges: "select" },
      { column_name: "region", masks: null, privileges: "select" },
      { column_name: "industry", masks: null, privileges: "select" },
      { column_name: "tier", masks: null, privileges: "select" },
      { column_name: "stage", masks: null, privileges: "select" },
      { column_name: "created_month", masks: "created_at", privileges: "select" },
    ]);
  });

  test("columns_for of a table rita cannot read returns no columns, and select_for returns null", async () => {
    const [listed, statement] = await crm.as(persona("rita"), async (c) => [
      await rows(c, "select * from gatehouse.columns_for('users')"),
      await selectFor(c, "users"),
    ]);
    expect(listed).toEqual([]);
    expect(statement).toBeNull();
  });

  test("olga, frozen, lists the same customer columns as rita: the list is her role's privileges, it reveals no row", async () => {
    const olga = await crm.as(persona("olga"), (c) => columnsFor(c, "customers"));
    expect(olga).toEqual(await crm.as(persona("rita"), (c) => columnsFor(c, "customers")));
    expect(await crm.as(persona("olga"), (c) => column(c, "select count(*)::int from crm.customers"))).toEqual([0]);
  });

  test("ana's role-bound login lists the analyst's customer columns through the role it inherits; select_for's statement runs, select * is refused", async () => {
    const ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
    const listed = (await ana.query("select column_name from gatehouse.columns_for('customers')")).rows.map((r) => r.column_name);
    expect(listed).toEqual([
      "id",
      "industry",
      "region",
      "tier",
      "stage",
      "unit_id",
      "consent_marketing",
      "last_contacted_at",
      "archived_at",
      "deleted_at",
      "created_at",
    ]);
    const statement = (await ana.query("select gatehouse.select_for('customers') as s")).rows[0].s as string;
    expect((await ana.query(statement)).fields.map((f) => f.name)).toEqual(listed);
    await expect(ana.query("select * from crm.customers")).rejects.toMatchObject({
      code: "42501",
      message: "permission denied for table customers",
    });
  });
});

describe("names columns_for accepts", () => {
  test('crm.customers, Customers and "customers" mean the customers table, like customers', async () => {
    const lists = await crm.as(persona("suki"), async (c) => {
      const out: string[][] = [];
      for (const name of ["customers", "crm.customers", "Customers", '"customers"']) out.push(await columnsFor(c, name));
      return out;
    });
    expect(lists).toEqual(Array(4).fill(["id", "name", "industry", "region", "tier", "stage"]));
  });

  test("columns_for with a misspelled table names the schema and the nearest table; an unknown schema is named too", async () => {
    const outcomes = await crm.as(persona("rita"), async (c) => {
      const out: Outcome[] = [];
      for (const name of ["custmers", "crm.Contcts", "zzz", "nope.customers"]) {
        out.push(await attempt(c, "select * from gatehouse.columns_for($1)", [name]));
      }
      out.push(await attempt(c, "select gatehouse.select_for('custmers')"));
      return out;
    });
    expect(outcomes).toEqual([
      { code: "42P01", message: 'no table "custmers" in schema crm (did you mean "customers"?)' },
      { code: "42P01", message: 'no table "contcts" in schema crm (did you mean "contacts"?)' },
      { code: "42P01", message: 'no table "zzz" in schema crm' },
      { code: "3F000", message: 'no schema "nope"' },
      { code: "42P01", message: 'no table "custmers" in schema crm (did you mean "customers"?)' },
    ]);
  });
});

describe("who may call the helpers", () => {
  test("anonymous cannot execute columns_for, select_for or resolve_table", async () => {
    const outcomes = await crm.as({ role: "anonymous", userId: 4 }, async (c) => [
      await attempt(c, "select * from gatehouse.columns_for('customers')"),
      await attempt(c, "select gatehouse.select_for('customers')"),
      await attempt(c, "select gatehouse.resolve_table('customers')"),
    ]);
    expect(outcomes).toEqual([functionDenied("columns_for"), functionDenied("select_for"), functionDenied("resolve_table")]);
  });

  test("the authenticator, before it sets a role, cannot call columns_for (it reaches the gatehouse schema only to record activity)", async () => {
    await expect(crm.pool.query("select * from gatehouse.columns_for('customers')")).rejects.toMatchObject({
      code: "42501",
      message: "permission denied for function columns_for",
    });
  });

  test("the helpers are security invoker, stable, with a fixed search_path, and executable by the app roles only", async () => {
    const found = await crm.root((c) =>
      rows(
        c,
        `select p.proname::text as name, p.prosecdef as definer, p.provolatile as volatility, p.proconfig as config,
                array(select r.rolname::text from pg_catalog.aclexplode(p.proacl) x join pg_catalog.pg_roles r on r.oid = x.grantee
                       where x.grantee <> p.proowner order by r.rolname) as executors,
                exists (select 1 from pg_catalog.aclexplode(p.proacl) x where x.grantee = 0) as public
           from pg_catalog.pg_proc p
          where p.pronamespace = 'gatehouse'::regnamespace and p.proname in ('columns_for', 'select_for', 'resolve_table')
          order by p.proname`,
      ),
    );
    const executors = crm.compiled.plan.roles.map((r) => roleName(crm.app, r.name)).sort();
    const helper = (name: string) => ({
      name,
      definer: false,
      volatility: "s",
      config: ["search_path=pg_catalog, pg_temp"],
      executors,
      public: false,
    });
    expect(found).toEqual([helper("columns_for"), helper("resolve_table"), helper("select_for")]);
  });
});

describe("readableColumns agrees with the database", () => {
  /** One persona for each app role: the first demo persona holding it. */
  const roles = [...new Set(PERSONAS.map((p) => p.roles[0]!))];

  for (const role of roles) {
    const username = PERSONAS.find((p) => p.roles[0] === role)!.username;
    test(`${username} (${role}): on every table and view, columns_for equals readableColumns, selecting them succeeds, and select * is refused unless they are every column`, async () => {
      const { plan } = crm.compiled;
      const every = await crm.root(async (c) => {
        const out: Record<string, string[]> = {};
        for (const t of RELATIONS) {
          out[t] = await column<string>(
            c,
            "select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum",
            [`crm.${t}`],
          );
        }
        return out;
      });
      const found = await crm.as(persona(username), async (c) => {
        const out: Record<string, unknown> = {};
        for (const t of RELATIONS) {
          const columns = await columnsFor(c, t);
          const list = columns.length
            ? await attempt(c, `select ${columns.map((x) => `"${x}"`).join(", ")} from crm.${t}`)
            : null;
          const star = await attempt(c, `select * from crm.${t}`);
          out[t] = { columns, list: list && ("rows" in list ? "ok" : list), star: "rows" in star ? "ok" : star };
        }
        return out;
      });
      const expected = Object.fromEntries(
        RELATIONS.map((t) => {
          const columns = readableColumns(plan, role, t);
          const all = columns.length === every[t]!.length;
          const denied =
            t === "marketing_export" ? { code: "42501", message: `permission denied for view ${t}` } : permissionDenied(t);
          return [t, { columns, list: columns.length ? "ok" : null, star: all ? "ok" : denied }];
        }),
      );
      expect(found).toEqual(expected);
    });
  }

  test("readableColumns names the nearest table or role when one is unknown, and gives the anonymous role nothing", () => {
    const { plan } = crm.compiled;
    expect(() => readableColumns(plan, "support", "custmers")).toThrow(
      'no table "custmers" in schema crm (did you mean "customers"?)',
    );
    expect(() => readableColumns(plan, "sales_rp", "customers")).toThrow(
      'no role "sales_rp" in the app (did you mean "sales_rep"?)',
    );
    expect(readableColumns(plan, "anonymous", "customers")).toEqual([]);
    expect(readableColumns(plan, "intern", "contacts")).toEqual([
      "id",
      "customer_id",
      "full_name",
      "phone_masked",
      "email_masked",
      "id_number_masked",
    ]);
  });
});
