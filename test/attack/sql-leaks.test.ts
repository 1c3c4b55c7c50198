/**
 * Attack suite, SQL level: a role-bound login tries to read hidden rows or revoked columns sideways — leaky functions
 * and operators in its own predicates, error messages, whole-row references, planner statistics, sequences and
 * EXPLAIN. Every test fails if the attack works; the tests named KNOWN LIMIT pin down exactly what PostgreSQL itself
 * reveals and the toolkit cannot prevent.
 */
import type { Client } from "pg";
import { attempt, type AppTestDatabase } from "../../db/testing";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { ids, notices, refused, rolledBack } from "./sql-support";

let crm: AppTestDatabase;
let rita: Client;
let ana: Client;
const RITA = customerExpectation("rita").ids;
const ANA = customerExpectation("ana").ids;

beforeAll(async () => {
  crm = await openCrmDatabase();
  rita = await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
  ana = await crm.login({ username: "ana", userId: 14, role: "analyst" });
  await crm.db.pool.query("analyze crm.customers");
});
afterAll(() => crm?.close());

/** Names of customers, as root: those rita sees and those she does not. */
const names = async () => {
  const all = await crm.root(async (c) => (await c.query("select id::int, name from crm.customers order by id")).rows);
  return {
    visible: all.filter((r) => RITA.includes(r.id)).map((r) => r.name as string),
    hidden: all.filter((r) => !RITA.includes(r.id)).map((r) => r.name as string),
  };
};

test("S-LEAK-01 rita's leaky plpgsql function (RAISE NOTICE of its argument) in a WHERE over customers is shown only the names of her own rows", async () => {
  const { visible, hidden } = await names();
  expect(hidden).toContain("Iris Optics");
  const { result, messages } = await rolledBack(rita, (c) =>
    notices(c, async () => {
      await c.query(
        `create function pg_temp.leak(text) returns boolean language plpgsql cost 0.0000001 as $$begin raise notice 'seen %', $1; return true; end$$`,
      );
      return ids(c, "select id from crm.customers where pg_temp.leak(name) order by id");
    }),
  );
  expect(result).toEqual(RITA);
  expect(messages.sort()).toEqual(visible.map((n) => `seen ${n}`).sort());
});

test("S-LEAK-02 rita's leaky operator in pg_temp, used in a WHERE over customers, is shown only her own rows' names", async () => {
  const { visible } = await names();
  const { result, messages } = await rolledBack(rita, (c) =>
    notices(c, async () => {
      await c.query(
        `create function pg_temp.peek(text, text) returns boolean language plpgsql cost 0.0000001 as $$begin raise notice 'op %', $1; return true; end$$`,
      );
      await c.query(`create operator pg_temp.<<>> (leftarg = text, rightarg = text, function = pg_temp.peek)`);
      return ids(c, "select id from crm.customers where name operator(pg_temp.<<>>) 'x' order by id");
    }),
  );
  expect(result).toEqual(RITA);
  expect(messages.sort()).toEqual(visible.map((n) => `op ${n}`).sort());
});

test("S-LEAK-03 rita's error-raising predicates aimed at roy's hidden customer 8 (a failing cast, a division by zero) raise nothing and return nothing", async () => {
  expect(
    await crm.root((c) => c.query("select name, length(name) as n from crm.customers where id = 8").then((r) => r.rows)),
  ).toEqual([{ name: "Iris Optics", n: 11 }]);
  await rolledBack(rita, async (c) => {
    expect(await ids(c, "select id from crm.customers where id = 8 and name::int = 0")).toEqual([]);
    expect(await ids(c, "select id from crm.customers where id = 8 and 1 / (length(name) - 11) = 0")).toEqual([]);
    // the same predicates on her own row do raise: the error is about a row she may read
    expect(await refused(c, "select id from crm.customers where id = 2 and name::int = 0")).toEqual({
      code: "22P02",
      message: 'invalid input syntax for type integer: "Bluebird Bakery"',
    });
  });
});

test("S-LEAK-04 ana's login cannot read a customer as a whole row (select c, row_to_json, to_jsonb, select *), which would carry the name and owner she may not read", async () => {
  await rolledBack(ana, async (c) => {
    for (const text of [
      "select c from crm.customers c",
      "select row_to_json(c) from crm.customers c",
      "select to_jsonb(c.*) from crm.customers c",
      "select * from crm.customers",
      "select id from crm.customers c where c is not null",
      "select (c).name from crm.customers c",
    ]) {
      expect(await refused(c, text)).toEqual({ code: "42501", message: "permission denied for table customers" });
    }
    // what she may read: exactly her columns, through her role's select * view
    const view = await c.query("select * from customers order by id");
    expect(view.fields.map((f) => f.name)).toEqual([...customerExpectation("ana").columns]);
    expect(view.rows.map((r) => Number(r.id))).toEqual(ANA);
  });
});

test("S-LEAK-05 ana's login passing a whole row to her own function (pg_temp.leak(c)) is refused before the function runs", async () => {
  const { messages, result } = await rolledBack(ana, (c) =>
    notices(c, async () => {
      await c.query(
        `create function pg_temp.leak(anyelement) returns boolean language plpgsql as $$begin raise notice '%', $1; return true; end$$`,
      );
      return refused(c, "select id from crm.customers c where pg_temp.leak(c)");
    }),
  );
  expect(result).toEqual({ code: "42501", message: "permission denied for table customers" });
  expect(messages).toEqual([]);
});

test("S-LEAK-06 pg_stats shows rita's and ana's logins no statistic of crm.customers (its most common names and owners), which root reads", async () => {
  const rootStats = await crm.root(async (c) =>
    (
      await c.query("select attname::text from pg_stats where schemaname = 'crm' and tablename = 'customers' order by 1")
    ).rows.map((r) => r.attname),
  );
  expect(rootStats).toEqual(expect.arrayContaining(["name", "owner_id", "id"]));
  for (const login of [rita, ana]) {
    const { rows } = await login.query("select attname from pg_stats where schemaname = 'crm' and tablename = 'customers'");
    expect(rows).toEqual([]);
  }
});

test("S-LEAK-07 pg_statistic and pg_statistic_ext_data themselves are refused to a login", async () => {
  await rolledBack(ana, async (c) => {
    expect(await refused(c, "select starelid from pg_statistic")).toEqual({
      code: "42501",
      message: "permission denied for table pg_statistic",
    });
    expect(await refused(c, "select stxoid from pg_statistic_ext_data")).toEqual({
      code: "42501",
      message: "permission denied for table pg_statistic_ext_data",
    });
  });
});

test("S-LEAK-08 rita's login may not read, advance or set the customers' identity sequence; pg_sequences hides its last value", async () => {
  await rolledBack(rita, async (c) => {
    expect(await refused(c, "select last_value from crm.customers_id_seq")).toEqual({
      code: "42501",
      message: "permission denied for sequence customers_id_seq",
    });
    expect(await refused(c, "select nextval('crm.customers_id_seq')")).toEqual({
      code: "42501",
      message: "permission denied for sequence customers_id_seq",
    });
    expect(await refused(c, "select setval('crm.customers_id_seq', 1)")).toEqual({
      code: "42501",
      message: "permission denied for sequence customers_id_seq",
    });
    const { rows } = await c.query(
      "select last_value from pg_sequences where schemaname = 'crm' and sequencename = 'customers_id_seq'",
    );
    expect(rows).toEqual([{ last_value: null }]);
  });
});

test("S-LEAK-09 KNOWN LIMIT: rita's own insert returns the next identity value, 23, so she learns how many customer ids were handed out (22), hidden rows included", async () => {
  await rolledBack(rita, async (c) => {
    const unit = (await c.query("select gatehouse.current_unit_id(current_user)::int as u")).rows[0].u as number;
    const { rows } = await c.query(
      "insert into crm.customers (name, industry, region, owner_id, unit_id) values ('Probe', 'Food', 'East', 4, $1) returning id::int",
      [unit],
    );
    expect(rows).toEqual([{ id: 23 }]);
    // even the value her own insert drew is not hers to read back through the sequence
    expect(await refused(c, "select currval('crm.customers_id_seq')")).toEqual({
      code: "42501",
      message: "permission denied for sequence customers_id_seq",
    });
  });
  expect(await crm.root((c) => ids(c, "select max(id) from crm.customers"))).toEqual([22]);
});

test("S-LEAK-10 KNOWN LIMIT: rita's EXPLAIN ANALYZE counts the rows row security removed: 'Rows Removed by Filter: 15', the 22 customers less her 7", async () => {
  const plan = await rolledBack(rita, async (c) => {
    await c.query("set local enable_indexscan = off");
    await c.query("set local enable_bitmapscan = off");
    const { rows } = await c.query("explain (analyze, costs off, timing off, summary off) select id from crm.customers");
    return rows.map((r) => r["QUERY PLAN"] as string).join("\n");
  });
  expect(plan).toMatch(/Seq Scan on customers \(actual rows=7 loops=1\)/);
  expect(plan).toMatch(/Rows Removed by Filter: 15/);
  expect(RITA.length).toBe(7);
});

test("S-LEAK-11 KNOWN LIMIT: the catalog's estimate pg_class.reltuples of crm.customers (22 after analyze) is readable by any login", async () => {
  expect((await ana.query("select reltuples::int as n from pg_class where oid = 'crm.customers'::regclass")).rows).toEqual([
    { n: 22 },
  ]);
});

test("S-LEAK-12 rita's login cannot read the audit trail, whose rows hold old and new values of every write", async () => {
  await rolledBack(rita, async (c) => {
    expect(await refused(c, "select old_values from gatehouse.audit_log")).toEqual({
      code: "42501",
      message: "permission denied for table audit_log",
    });
  });
});

test("S-LEAK-13 rita's request with a leaky function in a WHERE over contacts is refused the raw column, and over her select * view is shown only her own customers' phones, and her project customer's masked", async () => {
  const { all, mine, project } = await crm.root(async (c) => ({
    all: (await c.query("select phone from crm.contacts order by id")).rows.map((r) => r.phone as string),
    project: (await c.query("select phone from crm.contacts where id = 12")).rows[0].phone as string,
    mine: (
      await c.query(
        "select k.phone from crm.contacts k join crm.customers c on c.id = k.customer_id where c.owner_id = 4 and c.archived_at is null and c.deleted_at is null order by k.id",
      )
    ).rows.map((r) => r.phone as string),
  }));
  expect(all.length).toBeGreaterThan(mine.length);
  const client = await crm.pool.connect();
  try {
    const { result, messages } = await notices(client, async () => {
      await client.query("begin");
      await crm.actAs(client, persona("rita"));
      await client.query(
        `create function pg_temp.leak(text) returns boolean language plpgsql cost 0.0000001 as $$begin raise notice '%', $1; return true; end$$`,
      );
      // the raw column is refused outright; her select * view reads it row by row, raw only on her own customers' contacts
      expect(await attempt(client, "select id from crm.contacts where pg_temp.leak(phone)")).toMatchObject({ code: "42501" });
      const seen = await ids(client, "select id from crm_sales_rep.contacts where pg_temp.leak(phone) order by id");
      await client.query("rollback");
      return seen;
    });
    // and the contact of her open project's customer (12), whose phone she reads masked
    expect(result.length).toBe(mine.length + 1);
    expect(messages.sort()).toEqual([...mine, `*******${project.slice(-4)}`].sort());
  } finally {
    client.release(true);
  }
});

test("S-LEAK-14 ana's login cannot read the text of rita's login's queries in pg_stat_activity, which root can", async () => {
  const ritaLogin = (await rita.query("select session_user::text as u")).rows[0].u as string;
  await rita.query("select id from crm.customers where name = 'Northwind Traders' /* rita-probe */");
  const seenByRoot = await crm.root((c) =>
    c.query("select query from pg_stat_activity where usename = $1", [ritaLogin]).then((r) => r.rows),
  );
  expect(seenByRoot).toEqual([{ query: "select id from crm.customers where name = 'Northwind Traders' /* rita-probe */" }]);
  const { rows } = await ana.query("select query, client_addr from pg_stat_activity where usename = $1", [ritaLogin]);
  expect(rows).toEqual([{ query: "<insufficient privilege>", client_addr: null }]);
});

test("S-LEAK-15 mark's leaky function over the marketing export (a security_barrier view run as its owner) is shown only the exported rows", async () => {
  const exported = customerExpectation("mark").ids;
  expect(await crm.root((c) => ids(c, "select count(*) from crm.customers"))).toEqual([22]);
  const client = await crm.pool.connect();
  try {
    const { result, messages } = await notices(client, async () => {
      await client.query("begin");
      await crm.actAs(client, persona("mark"));
      await client.query(
        `create function pg_temp.leak(bigint) returns boolean language plpgsql cost 0.0000001 as $$begin raise notice '%', $1; return true; end$$`,
      );
      const seen = await ids(client, "select id from crm.marketing_export where pg_temp.leak(id) order by id");
      await client.query("rollback");
      return seen;
    });
    expect(result).toEqual(exported);
    expect(messages.map(Number).sort((a, b) => a - b)).toEqual(exported);
  } finally {
    client.release(true);
  }
});
