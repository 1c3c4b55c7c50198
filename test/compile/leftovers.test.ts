import { compileAndApply, type AppDefinition } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";

let crm: AppTestDatabase;
beforeAll(async () => (crm = await openCrmDatabase()));
afterAll(() => crm?.close());

const functions = (client: import("pg").PoolClient) =>
  client
    .query<{ fn: string }>(
      "select n.nspname || '.' || p.proname as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('crm', 'gatehouse') order by 1",
    )
    .then((r) => r.rows.map((x) => x.fn));
const triggers = (client: import("pg").PoolClient, table: string) =>
  client
    .query<{ tgname: string }>("select tgname from pg_trigger where tgrelid = $1::regclass and not tgisinternal order by 1", [
      table,
    ])
    .then((r) => r.rows.map((x) => x.tgname));

/** The CRM as compiled here, without its reveal of id_number, its operations and its endings. */
const trimmed = (app: AppDefinition): AppDefinition => ({
  ...app,
  reveals: app.reveals.filter((r) => r.column !== "id_number"),
  operations: [],
  endings: [],
});

test("removing a reveal, the operations and the endings from the definitions drops their functions and triggers; the app's own function stays", async () => {
  await crm.root(async (client) => {
    await client.query("create function crm.own_report() returns int language sql as 'select 1'");
    const before = await functions(client);
    expect(before).toEqual(expect.arrayContaining(["crm.reveal_contacts_id_number", "crm.own_report"]));
    const endingTriggers = (await triggers(client, "crm.contracts")).filter((t) => t.startsWith("gatehouse_end__"));
    expect(endingTriggers).not.toEqual([]);

    await compileAndApply(client, trimmed(crm.app));

    const after = await functions(client);
    expect(after).not.toContain("crm.reveal_contacts_id_number");
    expect(after).toContain("crm.reveal_contacts_phone");
    expect(after).toContain("crm.own_report");
    expect(before.filter((f) => !after.includes(f)).sort()).toEqual(
      [
        "crm.reveal_contacts_id_number",
        ...crm.app.operations.map((o) => `${crm.app.schema}.${o.name}`),
        ...crm.app.endings.map((e) => `gatehouse.end_${e.name}`),
      ].sort(),
    );
    expect((await triggers(client, "crm.contracts")).filter((t) => t.startsWith("gatehouse_end__"))).toEqual([]);

    await compileAndApply(client, crm.app);
    expect(await functions(client)).toEqual(before);
  });
});
