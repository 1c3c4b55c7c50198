import {
  all,
  CompileError,
  compileAndApply,
  defineApp,
  encrypt,
  is,
  keepLast,
  mask,
  own,
  readableColumns,
  redact,
  reveal,
  role,
  rotateKeys,
  unit,
  validate,
  type AppDefinition,
  type RoleDefinition,
} from "../../db";
import { createAppDatabase, type AppTestDatabase } from "../../db/testing";
import { catalogOf, catalogTable } from "./fixtures/catalog";

// encrypt() on the clinic of the `gatehouse init` template: patients.phone encrypted, with a keyed-hash lookup.
// First what validation refuses (each problem names its fix, and nothing is applied), then the clinic on a real
// database: dr_ada reveals, nurse_ben reads the mask and looks patients up by phone within his ward.

const CLINIC_SCHEMA = "db/cli/template/migrations/committed/000001-clinic-schema.sql";

const doctor = role("doctor", {
  description: "their own patients; writes their notes and phone numbers",
  tables: {
    patients: {
      select: own("doctor_id"),
      update: { using: own("doctor_id") },
      columns: { default: "read", phone: "write", notes: "write" },
    },
  },
});
const nurse = role("nurse", {
  description: "every patient of their ward, phone masked, no notes",
  tables: { patients: { select: unit("ward_id"), columns: { default: "read", phone: "masked", notes: "hidden" } } },
});

const identity = {
  users: { table: "staff", id: "id", unit: "ward_id", status: "status", activeStatus: "active", username: "username" },
  userRoles: { table: "staff_roles", user: "staff_id", role: "role" },
  units: { table: "wards", id: "id", parent: "parent_id" },
} as const;

/** The clinic with `encrypted`, and the masks and roles given (the phone's mask by default). */
const clinicWith = (
  encrypted: AppDefinition["encrypted"],
  options: { masks?: AppDefinition["masks"]; roles?: readonly RoleDefinition[] } = {},
): AppDefinition =>
  defineApp({
    schema: "clinic",
    rolePrefix: "clinic_",
    identity,
    roles: options.roles ?? [doctor, nurse],
    masks: options.masks ?? [mask("patients", "phone", keepLast(4))],
    audit: { readers: [] },
    encrypted,
  });

const catalog = catalogOf("clinic", [
  catalogTable(
    "wards",
    { id: "bigint not null", parent_id: { type: "bigint", references: "wards" }, name: "text not null" },
    { primaryKey: ["id"] },
  ),
  catalogTable(
    "staff",
    {
      id: "bigint not null",
      username: "text not null",
      full_name: "text not null",
      ward_id: { type: "bigint", references: "wards" },
      status: "text not null",
    },
    { primaryKey: ["id"] },
  ),
  catalogTable(
    "staff_roles",
    { staff_id: { type: "bigint", notNull: true, references: "staff" }, role: "text not null" },
    { primaryKey: ["staff_id", "role"] },
  ),
  catalogTable(
    "patients",
    {
      id: "bigint not null",
      full_name: "text not null",
      phone: "text",
      notes: "text",
      ward_id: { type: "bigint", notNull: true, references: "wards" },
      doctor_id: { type: "bigint", references: "staff" },
    },
    { primaryKey: ["id"] },
  ),
]);

/** The problems validation finds, one per line. */
function problemsOf(app: AppDefinition): readonly string[] {
  try {
    validate(app, catalog);
    return [];
  } catch (error) {
    if (error instanceof CompileError) return error.problems;
    throw error;
  }
}

describe("definitions refused, each naming the fix", () => {
  test("encrypt and reveal of the same column: remove the reveal, list its pairs in encrypt's reveal", () => {
    expect(() =>
      defineApp({
        schema: "clinic",
        rolePrefix: "clinic_",
        identity,
        roles: [doctor, nurse],
        masks: [mask("patients", "phone", keepLast(4))],
        reveals: [reveal("patients", "phone", { by: [[doctor, own("doctor_id")]] })],
        encrypted: [encrypt("patients", "phone", { reveal: [] })],
      }),
    ).toThrow(
      'reveal patients.phone: the column is encrypted, and encrypt("patients", "phone", { reveal }) makes its reveal: remove reveal("patients", "phone", …) and list its pairs in encrypt\'s reveal',
    );
  });

  test("the same column encrypted twice", () => {
    expect(() =>
      clinicWith([encrypt("patients", "phone", { reveal: [] }), encrypt("patients", "phone", { reveal: [] })]),
    ).toThrow('encrypt patients.phone is declared twice: keep one encrypt("patients", "phone", …)');
  });

  test("a misspelled option", () => {
    expect(() => encrypt("patients", "phone", { reveal: [], lookp: true } as never)).toThrow(
      'encrypt patients.phone has an unknown key "lookp" (did you mean "lookup"?)',
    );
  });

  test("an unknown table or column, with did-you-mean", () => {
    expect(problemsOf(clinicWith([encrypt("patient", "phone", { reveal: [] })]))).toContain(
      'encrypt patient.phone: schema clinic has no table "patient" (did you mean "patients"?)',
    );
    expect(problemsOf(clinicWith([encrypt("patients", "phon", { reveal: [] })]))).toContain(
      'encrypt patients.phon: table patients has no column "phon" (did you mean "phone"?)',
    );
  });

  test("a column without a masked twin: add mask(...)", () => {
    expect(problemsOf(clinicWith([encrypt("patients", "notes", { reveal: [] })]))).toEqual([
      'encrypt patients.notes: roles that read it need a masked twin: add mask("patients", "notes", redact()) (or another mask function)',
    ]);
  });

  test("the primary key, a non-text column, a foreign key", () => {
    const masks = [
      mask("patients", "phone", keepLast(4)),
      mask("patients", "id", redact()),
      mask("patients", "ward_id", redact()),
    ];
    expect(
      problemsOf(
        clinicWith([encrypt("patients", "id", { reveal: [] }), encrypt("patients", "ward_id", { reveal: [] })], { masks }),
      ),
    ).toEqual(
      expect.arrayContaining([
        "encrypt patients.id: the column is bigint, and the ciphertext is text: only text columns can be encrypted (alter it to text, or leave it unencrypted)",
        "encrypt patients.id: the column is part of the primary key, and a key must stay comparable: encrypt another column",
        "encrypt patients.ward_id: the column is used by a foreign key to wards, which would compare ciphertext: drop the foreign key or encrypt another column",
        "encrypt patients.ward_id: a rule's scope, key or condition reads the column, and it would compare ciphertext: change the rule to read another column, or leave ward_id unencrypted",
      ]),
    );
  });

  test("a column a rule reads", () => {
    const triage = role("triage", { tables: { patients: { select: is("phone", "+44 7700 900999") } } });
    expect(problemsOf(clinicWith([encrypt("patients", "phone", { reveal: [] })], { roles: [doctor, nurse, triage] }))).toEqual([
      "encrypt patients.phone: a rule's scope, key or condition reads the column, and it would compare ciphertext: change the rule to read another column, or leave phone unencrypted",
    ]);
  });
});

// --- on a database -------------------------------------------------------------------------------------------------

const encrypted = clinicWith([encrypt("patients", "phone", { reveal: [[doctor, own("doctor_id")]], lookup: true })]);
const SEED = `
  insert into clinic.wards (id, parent_id, name) values (1, null, 'Ward A'), (2, null, 'Ward B');
  insert into clinic.staff (id, username, full_name, ward_id) values
    (1, 'dr_ada', 'Ada Okafor', 1), (2, 'nurse_ben', 'Ben Park', 1), (3, 'nurse_cy', 'Cy Laine', 2);
  insert into clinic.staff_roles (staff_id, role) values (1, 'doctor'), (2, 'nurse'), (3, 'nurse');
  insert into clinic.patients (id, full_name, phone, notes, ward_id, doctor_id) values
    (1, 'Ann Lee', '+44 7700 900101', 'allergic to penicillin', 1, 1),
    (2, 'Bo Chen', '+44 7700 900102', 'discharge on Friday', 1, null),
    (3, 'Cy Diaz', '+44 7700 900103', 'follow-up in two weeks', 2, 1);`;
const DR_ADA = { role: "doctor", userId: 1 };
const NURSE_BEN = { role: "nurse", userId: 2 };

let clinic: AppTestDatabase;
beforeAll(async () => {
  clinic = await createAppDatabase({
    app: encrypted,
    migrations: [CLINIC_SCHEMA],
    seed: async (c) => void (await c.query(SEED)),
  });
});
afterAll(() => clinic?.close());

const values = async (
  c: { query: (t: string, v?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }> },
  text: string,
  v: unknown[] = [],
) => (await c.query(text, v)).rows.map((r) => Object.values(r)[0]);

describe("the clinic with patients.phone encrypted and looked up by keyed hash", () => {
  test("the superuser sees ciphertext and a keyed hash that is not the plain sha256 of the number", async () => {
    const seen = await clinic.root((c) =>
      values(
        c,
        `select p.phone ~ '^gh1:1:' and p.phone_hash = gatehouse.encryption_hash('+44 7700 900101')
                and p.phone_hash <> encode(sha256(convert_to('+44 7700 900101', 'UTF8')), 'hex')
           from clinic.patients p where p.id = 1`,
      ),
    );
    expect(seen).toEqual([true]);
  });

  test("nurse_ben is refused the phone, reads the mask, and finds his ward's patient by phone", async () => {
    await clinic.as(NURSE_BEN, async (c) => {
      await c.query("savepoint s");
      await expect(c.query("select phone from clinic.patients")).rejects.toThrow("permission denied for table patients");
      await c.query("rollback to savepoint s");
      expect(await values(c, "select phone_masked from clinic.patients order by id")).toEqual([
        "***********0101",
        "***********0102",
      ]);
      expect(await values(c, "select clinic.patients_by_phone('+44 7700 900102')")).toEqual(["2"]);
    });
  });

  test("nurse_ben's lookup does not reach Ward B's patient 3, which exists", async () => {
    expect(await clinic.as(NURSE_BEN, (c) => values(c, "select clinic.patients_by_phone('+44 7700 900103')"))).toEqual([]);
    expect(
      await clinic.root((c) =>
        values(c, "select id::text from clinic.patients where phone_hash = gatehouse.encryption_hash('+44 7700 900103')"),
      ),
    ).toEqual(["3"]);
  });

  test("columns_for(patients) as nurse_ben and dr_ada is readableColumns of the plan: the twin in the phone's place, the hash last", async () => {
    for (const [who, persona] of [
      ["nurse", NURSE_BEN],
      ["doctor", DR_ADA],
    ] as const) {
      const live = await clinic.as(persona, (c) => values(c, "select column_name from gatehouse.columns_for('patients')"));
      expect(live).toEqual(readableColumns(clinic.compiled.plan, who, "patients"));
      expect(live).toContain("phone_hash");
      expect(live).not.toContain("phone");
    }
  });

  test("dr_ada reveals her patient's phone with a reason; nurse_ben may not", async () => {
    expect(await clinic.as(DR_ADA, (c) => values(c, "select clinic.reveal_patients_phone(1, 'call about results')"))).toEqual([
      "+44 7700 900101",
    ]);
    await expect(clinic.as(NURSE_BEN, (c) => c.query("select clinic.reveal_patients_phone(1, 'curious')"))).rejects.toThrow(
      "permission denied for function reveal_patients_phone",
    );
  });

  test("dr_ada changes a phone: encrypted, masked and hashed anew, found by its new number", async () => {
    await clinic.as(DR_ADA, async (c) => {
      await c.query("update clinic.patients set phone = '+44 7700 900999' where id = 1");
      expect(await values(c, "select phone_masked from clinic.patients where id = 1")).toEqual(["***********0999"]);
      expect(await values(c, "select clinic.patients_by_phone('+44 7700 900999')")).toEqual(["1"]);
      expect(await values(c, "select count(*)::int from clinic.patients_by_phone('+44 7700 900101')")).toEqual([0]);
    });
  });

  test("lookups keep working during and after a key rotation (both keys' hashes count until the old key retires)", async () => {
    // a rotation commits batch by batch: this changes the database for good, so it runs last
    const stop = new AbortController();
    const client = await clinic.db.pool.connect();
    try {
      const half = await rotateKeys(client, encrypted, { batch: 1, signal: stop.signal, onProgress: () => stop.abort() });
      expect(half).toEqual({ key: 2, resumed: false, reencrypted: 1, retired: [], interrupted: true });
    } finally {
      client.release();
    }
    expect(await clinic.as(NURSE_BEN, (c) => values(c, "select clinic.patients_by_phone($1)", ["+44 7700 900101"]))).toEqual([
      "1",
    ]);
    expect(await clinic.as(NURSE_BEN, (c) => values(c, "select clinic.patients_by_phone($1)", ["+44 7700 900102"]))).toEqual([
      "2",
    ]);
    const client2 = await clinic.db.pool.connect();
    try {
      expect(await rotateKeys(client2, encrypted)).toEqual({
        key: 2,
        resumed: true,
        reencrypted: 2,
        retired: [1],
        interrupted: false,
      });
    } finally {
      client2.release();
    }
    expect(await clinic.as(NURSE_BEN, (c) => values(c, "select clinic.patients_by_phone($1)", ["+44 7700 900101"]))).toEqual([
      "1",
    ]);
    expect(await clinic.as(DR_ADA, (c) => values(c, "select clinic.reveal_patients_phone(3, 'after rotation')"))).toEqual([
      "+44 7700 900103",
    ]);
  });
});

test("an invalid definition changes nothing in the database: no keys table, phone still plaintext", async () => {
  const bad = clinicWith([encrypt("patients", "notes", { reveal: [] })]);
  const db = await createAppDatabase({
    app: clinicWith([], { roles: [doctor, nurse] }),
    migrations: [CLINIC_SCHEMA],
    seed: async (c) => void (await c.query(SEED)),
  });
  try {
    const client = await db.db.pool.connect();
    try {
      await expect(compileAndApply(client, bad)).rejects.toThrow('add mask("patients", "notes", redact())');
      expect(
        (
          await client.query(
            "select to_regclass('gatehouse.encryption_keys') is null as none, (select phone from clinic.patients where id = 1)",
          )
        ).rows,
      ).toEqual([{ none: true, phone: "+44 7700 900101" }]);
    } finally {
      client.release();
    }
  } finally {
    await db.close();
  }
});

test("all() as a reveal scope is accepted", () => {
  expect(problemsOf(clinicWith([encrypt("patients", "phone", { reveal: [[doctor, all()]] })]))).toEqual([]);
});
