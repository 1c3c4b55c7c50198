/**
 * `select *` per role: a BI tool on a role-bound login (a real LOGIN role with a password, not `set role`) runs
 * `select * from customers` and reads its role's generated view in `crm_<role>`: exactly the rows and columns the
 * API gives the same persona, masked columns under their raw names, and no raw personal value where the role sees
 * it masked. The base tables stay the boundary.
 */
import type { Client, PoolClient } from "pg";
import { readableColumns, roleSchemaName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmApi } from "../server/api";
import { column, CRM_TABLES, openCrmDatabase, persona } from "./crm-database";
import { rows } from "./table-access";

let crm: AppTestDatabase;
beforeAll(async () => {
  crm = await openCrmDatabase();
});
afterAll(() => crm?.close());

const SALES = ["contacts", "contracts", "customers", "follow_ups", "quotes", "service_tickets"];

/** The personas whose logins the tests open, the app role each acts in, and the tables it reads (CRM.md, roles.ts). */
const LOGINS = [
  { username: "ana", role: "analyst", tables: ["contacts", "contracts", "customers"] },
  { username: "rita", role: "sales_rep", tables: SALES },
  { username: "sam", role: "supervisor", tables: ["access_grants", ...SALES] },
  { username: "suki", role: "support", tables: ["contacts", "customers", "follow_ups", "service_tickets"] },
  { username: "fiona", role: "finance", tables: ["contracts", "customers"] },
  { username: "paul", role: "partner", tables: ["customers"] },
  { username: "aude", role: "auditor", tables: [...CRM_TABLES] },
];

const logins = new Map<string, Client>();
/** The persona's role-bound login, created with a password and connected as itself (once per file). */
async function loginOf(username: string): Promise<Client> {
  const open = logins.get(username);
  if (open) return open;
  const p = persona(username);
  const client = await crm.login({ username, userId: p.userId, role: p.role });
  logins.set(username, client);
  return client;
}

/** Tables a role reads with select *, by name: those where its compiled grants let it read any column. */
const readableTables = (role: string) => CRM_TABLES.filter((t) => readableColumns(crm.compiled.plan, role, t).length > 0);

/**
 * The select list the API path uses for `table`: the granted columns, each masked twin renamed to its raw column, or
 * where the role reads the column row by row, the row mask function the API's field calls.
 */
function apiSelect(role: string, table: string): { list: string; names: string[] } {
  const { plan } = crm.compiled;
  const twins = new Map(plan.masks.filter((m) => m.table === table).map((m) => [m.twin, m.column]));
  const byRow = new Map(plan.rowMasks.filter((m) => m.table === table && m.role === role).map((m) => [m.twin, m.fn]));
  const names = readableColumns(plan, role, table).map((c) => twins.get(c) ?? c);
  const list = readableColumns(plan, role, table)
    .map((c) =>
      byRow.has(c)
        ? `${plan.app.toolkitSchema}."${byRow.get(c)}"(id) ->> '${twins.get(c)}' as "${twins.get(c)}"`
        : twins.has(c)
          ? `"${c}" as "${twins.get(c)}"`
          : `"${c}"`,
    )
    .join(", ");
  return { list, names };
}

/** Rows in a fixed order: by their JSON text. */
const sorted = (list: readonly Record<string, unknown>[]) =>
  [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));

/** What a statement on a login connection failed with, or its row count. */
async function outcome(client: Client, text: string): Promise<{ error: string; message: string } | { rowCount: number }> {
  try {
    return { rowCount: (await client.query(text)).rowCount ?? 0 };
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { error: code, message };
  }
}

/** The number of attributes of `crm.<table>` (masked twins included), as root. */
const attributeCount = (c: PoolClient, table: string) =>
  column<number>(c, "select count(*)::int from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped", [
    `crm.${table}`,
  ]);

describe.each(LOGINS)("$username's login ($role) with select *", ({ username, role, tables }) => {
  test(`${username} reads ${tables.length === CRM_TABLES.length ? "every table" : tables.join(", ")} with select *: exactly the API's rows and columns`, async () => {
    const login = await loginOf(username);
    expect(readableTables(role)).toEqual(tables);
    let seen = 0;
    for (const table of tables) {
      const { list, names } = apiSelect(role, table);
      const star = await login.query(`select * from ${table}`);
      const api = await crm.as(persona(username), (c) => rows(c, `select ${list} from crm.${table}`));
      expect({ table, columns: star.fields.map((f) => f.name) }).toEqual({ table, columns: names });
      expect({ table, rows: sorted(star.rows) }).toEqual({ table, rows: sorted(api) });
      seen += star.rows.length;
    }
    expect(seen).toBeGreaterThan(0);
  });

  test(`${username} is refused select * on a base table where ${role} holds only some columns`, async () => {
    const login = await loginOf(username);
    const partial = await crm.root(async (c) => {
      const out: string[] = [];
      for (const table of readableTables(role))
        if (readableColumns(crm.compiled.plan, role, table).length < (await attributeCount(c, table))[0]!) out.push(table);
      return out;
    });
    expect(partial.length).toBeGreaterThan(0);
    for (const table of partial) {
      expect({ table, outcome: await outcome(login, `select * from crm.${table}`) }).toEqual({
        table,
        outcome: { error: "42501", message: `permission denied for table ${table}` },
      });
    }
  });

  test(`${username}'s information_schema.columns and pg_attribute show ${role}'s schema with exactly the readable columns, and no other role schema`, async () => {
    const login = await loginOf(username);
    const schema = roleSchemaName(crm.app, role);
    const expected = readableTables(role).flatMap((table) => apiSelect(role, table).names.map((name) => ({ table, name })));
    const listed = await login.query(
      `select table_name::text as table, column_name::text as name from information_schema.columns
        where table_schema = $1 order by table_name, ordinal_position`,
      [schema],
    );
    expect(listed.rows).toEqual(expected);
    const attributes = await login.query(
      `select c.relname::text as table, a.attname::text as name from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = $1::regnamespace and a.attnum > 0 and not a.attisdropped order by c.relname, a.attnum`,
      [schema],
    );
    expect(attributes.rows).toEqual(expected);
    const otherSchemas = await login.query(
      `select distinct table_schema::text from information_schema.columns
        where table_schema like 'crm\\_%' and table_schema <> $1`,
      [schema],
    );
    expect(otherSchemas.rows).toEqual([]);
  });
});

describe.each(
  LOGINS.filter((l) => l.tables.length < CRM_TABLES.length).map((l) => ({
    ...l,
    hidden: CRM_TABLES.filter((t) => !l.tables.includes(t)),
  })),
)("$username's login ($role) on tables it may not read", ({ username, role, hidden }) => {
  test(`${username} cannot select * from ${hidden.join(", ")} (there is no view), though their rows exist`, async () => {
    const login = await loginOf(username);
    const schema = roleSchemaName(crm.app, role);
    for (const table of hidden) {
      expect({ table, outcome: await outcome(login, `select * from ${table}`) }).toEqual({
        table,
        outcome: { error: "42501", message: `permission denied for table ${table}` },
      });
      expect({ table, outcome: await outcome(login, `select * from ${schema}.${table}`) }).toEqual({
        table,
        outcome: { error: "42P01", message: `relation "${schema}.${table}" does not exist` },
      });
    }
    const counts = await crm.root(async (c) => {
      const out: Record<string, number> = {};
      for (const table of hidden) out[table] = (await column<number>(c, `select count(*)::int from crm.${table}`))[0]!;
      return out;
    });
    for (const table of hidden) expect({ table, rows: counts[table]! > 0 }).toEqual({ table, rows: true });
  });
});

describe("ana, an analyst, with select *", () => {
  test("ana's views are customers, contracts and contacts with phone, email and id_number masked under their raw names", async () => {
    const ana = await loginOf("ana");
    const listed = await ana.query(
      `select table_name::text as table, string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) as columns
         from information_schema.columns where table_schema = 'crm_analyst' group by table_name order by table_name`,
    );
    expect(listed.rows).toEqual([
      { table: "contacts", columns: "id bigint, customer_id bigint, phone text, email text, id_number text" },
      {
        table: "contracts",
        columns: "id bigint, customer_id bigint, amount numeric, stage text, payment_status text, legal_status text",
      },
      {
        table: "customers",
        columns:
          "id bigint, industry text, region text, tier text, stage text, unit_id bigint, consent_marketing boolean, last_contacted_at timestamp with time zone, archived_at timestamp with time zone, deleted_at timestamp with time zone, created_at timestamp with time zone",
      },
    ]);
    expect((await ana.query("show search_path")).rows).toEqual([{ search_path: "crm_analyst, crm" }]);
  });

  test("ana joins two of her views: contract amounts per region of her unit tree, as the API path sums them", async () => {
    const ana = await loginOf("ana");
    const query = (schema: string) =>
      `select c.region, count(*)::int as contracts, sum(k.amount)::text as total
         from ${schema}customers c join ${schema}contracts k on k.customer_id = c.id group by c.region order by c.region`;
    const joined = (await ana.query(query(""))).rows;
    expect(joined.length).toBeGreaterThan(0);
    expect(joined).toEqual(await crm.as(persona("ana"), (c) => rows(c, query("crm."))));
  });

  test("no raw phone, email or id number of any contact appears anywhere in ana's select * output, though her contacts are there", async () => {
    const ana = await loginOf("ana");
    const raw = await crm.root((c) =>
      column<string>(
        c,
        `select v from crm.contacts, lateral (values (phone), (email), (id_number)) as x(v) where v is not null and v <> ''`,
      ),
    );
    expect(raw.length).toBeGreaterThan(10);
    let output = "";
    for (const table of readableTables("analyst")) output += JSON.stringify((await ana.query(`select * from ${table}`)).rows);
    const contacts = (await ana.query("select * from contacts")).rows;
    expect(contacts.length).toBeGreaterThan(0);
    expect(contacts.every((r) => typeof r.phone === "string" && r.phone.includes("*"))).toBe(true);
    expect(raw.filter((value) => output.includes(value))).toEqual([]);
  });

  test("ana's select * from contacts equals what the GraphQL API returns for ana's token", async () => {
    const ana = await loginOf("ana");
    const star = (await ana.query("select * from contacts")).rows;
    const api = await openCrmApi({ crm });
    try {
      const { data, errors } = await api.query<{
        allContacts: {
          nodes: { rowId: string; customerId: string; phoneMasked: string; emailMasked: string; idNumberMasked: string }[];
        };
      }>("{ allContacts { nodes { rowId customerId phoneMasked emailMasked idNumberMasked } } }", {
        token: await api.token("ana"),
      });
      expect(errors).toBeUndefined();
      const graphql = data!.allContacts.nodes.map((n) => ({
        id: n.rowId,
        customer_id: n.customerId,
        phone: n.phoneMasked,
        email: n.emailMasked,
        id_number: n.idNumberMasked,
      }));
      expect(graphql.length).toBeGreaterThan(0);
      expect(sorted(star)).toEqual(sorted(graphql));
    } finally {
      await api.close();
    }
  });
});

describe("roles that read no table", () => {
  test("mark, marketing, gets no select * schema: select * from customers falls through to crm.customers and is refused; the anonymous role has none either", async () => {
    const mark = await loginOf("mark");
    expect((await mark.query("show search_path")).rows).toEqual([{ search_path: "crm_marketing, crm" }]);
    expect(await outcome(mark, "select * from customers")).toEqual({
      error: "42501",
      message: "permission denied for table customers",
    });
    const schemas = await crm.root((c) =>
      column<string>(
        c,
        "select nspname::text from pg_namespace where nspname in ('crm_marketing', 'crm_anonymous', 'crm_analyst') order by 1",
      ),
    );
    expect(schemas).toEqual(["crm_analyst"]);
    expect(await crm.root((c) => column<number>(c, "select count(*)::int from crm.customers"))).not.toEqual([0]);
  });
});
