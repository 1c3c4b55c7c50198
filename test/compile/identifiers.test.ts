import { escapeIdentifier, type PoolClient } from "pg";
import { applySql, compileAgainst, withRolePrefix } from "../../db";
import { createAppDatabase, type AppTestDatabase } from "../../db/testing";
import { CUSTOMERS, DIRECTORY, NAME, ORDERS, OWNER, WEIRD_SCHEMA, WEIRD_SCHEMA_FILE, seedWeird, weird } from "./fixtures/weird";

const q = (...names: string[]) => names.map(escapeIdentifier).join(".");
const customers = q(WEIRD_SCHEMA, CUSTOMERS);

let app: AppTestDatabase;
beforeAll(async () => {
  app = await createAppDatabase({ app: weird, migrations: [WEIRD_SCHEMA_FILE], seed: seedWeird });
});
afterAll(() => app?.close());

const ids = async (client: PoolClient, text: string) => (await client.query(text)).rows.map((r) => Number(r.id));

test("after compiling and applying, every table of the weird schema and public.x is still there with its rows", async () => {
  const tables = await app.root(async (c) =>
    (
      await c.query("select relname from pg_class where relnamespace = $1::regnamespace and relkind = 'r' order by relname", [
        escapeIdentifier(WEIRD_SCHEMA),
      ])
    ).rows.map((r) => r.relname),
  );
  expect(tables).toEqual(['cüstömers"; drop table x; --', "user roles", "x", "örders */ --", 'ørg"units', "üsers"].sort());
  expect(await app.root((c) => ids(c, `select id from ${customers} order by id`))).toEqual([1, 2, 3, 4, 5]);
  expect(await app.root((c) => ids(c, `select id from ${q(WEIRD_SCHEMA, "x")}`))).toEqual([1]);
  expect(await app.root((c) => ids(c, "select id from public.x"))).toEqual([1]);
});

test("the literal it's is written as 'it''s' in the policy and the view", () => {
  expect(app.compiled.sql).toContain(`"${CUSTOMERS.replace(/"/g, '""')}"."stage" = 'it''s'`);
  expect(app.compiled.sql).toContain(`"stage" in ('it''s', 'won')`);
});

test("alice, a clerk, sees her own customer and bob's at stage it's, not her won customer", async () => {
  expect(await app.as({ role: "clerk", userId: 1 }, (c) => ids(c, `select id from ${customers} order by id`))).toEqual([1, 3]);
  const hidden = await app.root((c) => c.query(`select ${q(OWNER)} as owner, stage from ${customers} where id = 5`));
  expect(hidden.rows).toEqual([{ owner: "1", stage: "won" }]);
});

test("bob, a clerk, sees his two customers", async () => {
  expect(await app.as({ role: "clerk", userId: 2 }, (c) => ids(c, `select id from ${customers} order by id`))).toEqual([2, 3]);
});

test("alice sees the orders of the customers she sees, through the quoted foreign key", async () => {
  expect(
    await app.as({ role: "clerk", userId: 1 }, (c) => ids(c, `select id from ${q(WEIRD_SCHEMA, ORDERS)} order by id`)),
  ).toEqual([10, 12]);
});

test("sue, support, reads every customer's name only through its masked twin", async () => {
  const rows = await app.as(
    { role: "support", userId: 3 },
    async (c) => (await c.query(`select id::int, ${q(`${NAME}_masked`)} as masked from ${customers} order by id`)).rows,
  );
  expect(rows).toEqual([
    { id: 1, masked: "A***" },
    { id: 2, masked: "B***" },
    { id: 3, masked: "C***" },
    { id: 4, masked: "D***" },
    { id: 5, masked: "E***" },
  ]);
  await expect(
    app.as({ role: "support", userId: 3 }, (c) => c.query(`select ${q(NAME)} from ${customers}`)),
  ).rejects.toMatchObject({ code: "42501" });
});

test("sue reads the directory view of customers at stage it's or won", async () => {
  const rows = await app.as(
    { role: "support", userId: 3 },
    async (c) =>
      (await c.query(`select id::int, ${q(`${NAME}_masked`)} as masked from ${q(WEIRD_SCHEMA, DIRECTORY)} order by id`)).rows,
  );
  expect(rows).toEqual([
    { id: 3, masked: "C***" },
    { id: 4, masked: "D***" },
    { id: 5, masked: "E***" },
  ]);
});

test("sue's columns_for on the quoted customers table lists nâme's masked twin in its place, and select_for's statement runs", async () => {
  const [listed, statement, selected] = await app.as({ role: "support", userId: 3 }, async (c) => {
    const listed = (await c.query("select column_name, masks from gatehouse.columns_for($1)", [CUSTOMERS])).rows;
    const statement = (await c.query("select gatehouse.select_for($1) as s", [CUSTOMERS])).rows[0].s as string;
    return [listed, statement, (await c.query(`${statement} order by id`)).rows.map((r) => r[`${NAME}_masked`])];
  });
  expect(listed).toEqual([
    { column_name: "id", masks: null },
    { column_name: OWNER, masks: null },
    { column_name: `${NAME}_masked`, masks: NAME },
    { column_name: "stage", masks: null },
  ]);
  expect(statement).toBe(`select id, ${q(OWNER)}, ${q(`${NAME}_masked`)}, stage from ${customers}`);
  expect(selected).toEqual(["A***", "B***", "C***", "D***", "E***"]);
});

test("alice, a clerk, cannot read the directory view", async () => {
  await expect(
    app.as({ role: "clerk", userId: 1 }, (c) => c.query(`select id from ${q(WEIRD_SCHEMA, DIRECTORY)}`)),
  ).rejects.toMatchObject({ code: "42501" });
});

test("compiling the weird app again gives the same text, and applying it again leaves the rows", async () => {
  await app.root(async (c) => {
    const again = await compileAgainst(c, app.app);
    expect(again.sql).toBe(app.compiled.sql);
    await applySql(c, again.sql);
    expect(await ids(c, `select id from ${customers} order by id`)).toEqual([1, 2, 3, 4, 5]);
    expect(await ids(c, "select id from public.x")).toEqual([1]);
  });
});

test("a toolkit schema named with a quote compiles and applies too", async () => {
  await app.root(async (c) => {
    const result = await compileAgainst(c, withRolePrefix({ ...app.app, toolkitSchema: 'gäte"house; --' }, app.app.rolePrefix));
    await applySql(c, result.sql);
    expect(await ids(c, `select id from ${customers} order by id`)).toEqual([1, 2, 3, 4, 5]);
  });
});
