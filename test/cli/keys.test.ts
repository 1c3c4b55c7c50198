import { Client } from "pg";
import { rotateKeys, withClient } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase } from "../crm/crm-database";
import { runCli } from "./cli";

// `gatehouse keys status` and `gatehouse keys rotate` as the DBA runs them on the CRM's encrypted contacts.id_number
// (20 values in the seed). A rotation commits batch by batch, so these tests change the database for good and run
// in order on a database of their own; the superuser's decrypt is the check that nothing was lost.

let crm: AppTestDatabase;
let before: string[];
beforeAll(async () => {
  crm = await openCrmDatabase();
  before = await plaintexts();
});
afterAll(() => crm?.close());

/** Every contact's id number, decrypted by the superuser, in id order. */
const plaintexts = () =>
  crm.root((c) =>
    column<string>(c, "select coalesce(gatehouse.encryption_decrypt(id_number), '-') from crm.contacts order by id"),
  );

const keys = (...args: string[]) => runCli(["keys", ...args], { DATABASE_URL: crm.db.url });

test("the DBA sees one key encrypting the 20 seeded id numbers", async () => {
  const status = await keys("status");
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^key 1 \(current\): 20 values, created \S+\n$/);
  expect(before.filter((v) => v !== "-")).toHaveLength(20);
});

test("the DBA rotates in batches of 6: plain progress lines without a terminal, key 1 retired, every value as it was", async () => {
  const rotated = await keys("rotate", "--batch", "6");
  expect(rotated).toEqual({
    code: 0,
    stdout: "rotated to key 2: 20 values re-encrypted; retired key 1\n",
    stderr: [6, 12, 18, 20].map((n) => `keys rotate: ${n}/20 values re-encrypted (contacts.id_number)\n`).join(""),
  });
  expect(await plaintexts()).toEqual(before);
  expect(await crm.root((c) => column(c, "select count(*)::int from crm.contacts where id_number like 'gh1:2:%'"))).toEqual([20]);
  expect(
    await crm.root((c) => column(c, "select distinct id_number_masked from crm.contacts where id_number is not null")),
  ).toEqual(["[redacted]"]);
  const status = await keys("status");
  expect(status.stdout.split("\n").map((l) => l.replace(/, created .*$/, ""))).toEqual([
    "key 1: 0 values",
    "key 2 (current): 20 values",
    "",
  ]);
  expect(await crm.root((c) => column(c, "select secret is null from gatehouse.encryption_keys where id = 1"))).toEqual([true]);
});

test("an interrupted rotation keeps both keys live; running it again resumes with the same key and loses nothing", async () => {
  const stop = new AbortController();
  const first = await withClient(crm.db.url, (c) =>
    rotateKeys(c, crm.app, { batch: 5, signal: stop.signal, onProgress: () => stop.abort() }),
  );
  expect(first).toEqual({ key: 3, resumed: false, reencrypted: 5, retired: [], interrupted: true });
  expect(await plaintexts()).toEqual(before);
  const half = await keys("status");
  expect(half.stdout.split("\n").map((l) => l.replace(/, created .*$/, ""))).toEqual([
    "key 1: 0 values",
    "key 2: 15 values",
    "key 3 (current): 5 values",
    "",
  ]);
  const resumed = await keys("rotate", "--batch", "7");
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toBe("resumed the rotation to key 3: 15 values re-encrypted; retired key 2\n");
  expect(await plaintexts()).toEqual(before);
});

test("a new value written during a half-done rotation is encrypted with the new key", async () => {
  const stop = new AbortController();
  await withClient(crm.db.url, (c) => rotateKeys(c, crm.app, { batch: 3, signal: stop.signal, onProgress: () => stop.abort() }));
  const key = await crm.root(async (c) => {
    await c.query("update crm.contacts set id_number = 'ID-123123' where id = 20");
    return column(c, "select split_part(id_number, ':', 2) from crm.contacts where id = 20");
  });
  expect(key).toEqual(["4"]);
  expect((await keys("rotate")).stdout).toMatch(/^resumed the rotation to key 4: \d+ values re-encrypted; retired key 3\n$/);
  expect(await plaintexts()).toEqual(before);
});

test("an app role's connection may not rotate: the authenticator is refused, naming the connection to use", async () => {
  const refused = await runCli(["keys", "rotate"], { DATABASE_URL: crm.authenticatorUrl });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("gatehouse keys needs the owner's connection (a superuser or a role with BYPASSRLS");
  const client = new Client({ connectionString: crm.db.url });
  await client.connect();
  try {
    expect(
      (await client.query("select count(*)::int as n from gatehouse.encryption_keys where retired_at is null")).rows,
    ).toEqual([{ n: 1 }]);
  } finally {
    await client.end();
  }
});
