/**
 * Attack suite, SQL level: a role-bound login (read-write, as a login may make itself) writes past its rules —
 * upserts and MERGE aimed at hidden rows, RETURNING of columns it may not read, key and foreign-key probing,
 * COPY in both directions (through psql, as a BI user would), TRUNCATE. Every test fails if the attack works.
 */
import { spawnSync } from "node:child_process";
import type { Client } from "pg";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmDatabase, persona } from "../crm/crm-database";
import { ids, refused, rolledBack } from "./sql-support";

let crm: AppTestDatabase;
let rita: Client;
const ANA = customerExpectation("ana").ids;

beforeAll(async () => {
  crm = await openCrmDatabase();
  rita = await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
  await crm.login({ username: "ana", userId: 14, role: "analyst" }); // psql logs in as her
});
afterAll(() => crm?.close());

const role = (r: string) => roleName(crm.app, r);
const hiddenEight = () =>
  crm.root(async (c) => (await c.query("select name, owner_id::int from crm.customers where id = 8")).rows);
const EIGHT = [{ name: "Iris Optics", owner_id: 6 }];
const eastOne = async () => (await crm.root((c) => ids(c, "select id from crm.org_units where name = 'East-1'")))[0]!;

/** Runs psql as `username`'s role-bound login (its password from the test helper), `input` on stdin. */
function psql(username: string, command: string, input?: string): { status: number | null; stdout: string; stderr: string } {
  const url = new URL(crm.db.adminUrl);
  const result = spawnSync(
    "psql",
    [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      url.hostname,
      "-p",
      url.port || "5432",
      "-U",
      role(`login_${username}`),
      "-d",
      crm.db.name,
      "-c",
      command,
    ],
    { env: { ...process.env, PGPASSWORD: `pw-${username}-not-secret` }, input: input ?? "", encoding: "utf8", timeout: 30_000 },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("upserts, MERGE and RETURNING", () => {
  test("S-WRITE-01 rita cannot aim INSERT … ON CONFLICT (DO UPDATE or DO NOTHING) at roy's hidden customer 8: she may not name the key", async () => {
    await rolledBack(rita, async (c) => {
      const unit = await eastOne();
      for (const action of ["do update set name = 'Taken'", "do nothing"]) {
        expect(
          await refused(
            c,
            `insert into crm.customers (id, name, industry, region, owner_id, unit_id) values (8, 'x', 'x', 'x', 4, $1) on conflict (id) ${action}`,
            [unit],
          ),
        ).toEqual({ code: "42501", message: "permission denied for table customers" });
      }
    });
    expect(await hiddenEight()).toEqual(EIGHT);
  });

  test("S-WRITE-02 no app role but admin (who sees every row) may write a key or unique column of any crm table, so no other can probe keys by a unique violation", async () => {
    const writers = await crm.root(async (c) => {
      const { rows } = await c.query(
        `select distinct r.rolname::text as role
           from pg_constraint k
           join pg_class t on t.oid = k.conrelid
           join pg_namespace n on n.oid = t.relnamespace and n.nspname = 'crm'
           join pg_attribute a on a.attrelid = t.oid and a.attnum = any (k.conkey)
           cross join pg_roles r
          where k.contype in ('p', 'u') and r.rolname like $1 and r.rolname not like $2
            and (has_column_privilege(r.oid, t.oid, a.attnum, 'INSERT') or has_column_privilege(r.oid, t.oid, a.attnum, 'UPDATE'))
          order by 1`,
        [`${crm.app.rolePrefix}%`, `${crm.app.rolePrefix}login%`],
      );
      return rows.map((r) => r.role as string);
    });
    expect(writers).toEqual([role("admin")]);
    expect(customerExpectation("adam").ids.length).toBe(22);
  });

  test("S-WRITE-03 rita's follow-up on roy's hidden customer 8 fails exactly as one on a customer that does not exist: no foreign-key probe", async () => {
    await rolledBack(rita, async (c) => {
      const hidden = await refused(c, "insert into crm.follow_ups (customer_id, author_id, body) values (8, 4, 'probe')");
      const missing = await refused(c, "insert into crm.follow_ups (customer_id, author_id, body) values (999, 4, 'probe')");
      expect(hidden).toEqual({ code: "42501", message: 'new row violates row-level security policy for table "follow_ups"' });
      expect(missing).toEqual(hidden);
    });
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers where id in (8, 999)"))).toEqual([1]);
  });

  test("S-WRITE-04 rita's RETURNING * of her own update is refused (it would return who deleted and why); RETURNING of her columns works", async () => {
    await rolledBack(rita, async (c) => {
      expect(await refused(c, "update crm.customers set industry = 'Food' where id = 2 returning *")).toEqual({
        code: "42501",
        message: "permission denied for table customers",
      });
      expect(await refused(c, "update crm.customers set industry = 'Food' where id = 2 returning deleted_reason")).toEqual({
        code: "42501",
        message: "permission denied for table customers",
      });
      expect((await c.query("update crm.customers set industry = 'Food' where id = 2 returning id::int, name")).rows).toEqual([
        { id: 2, name: "Bluebird Bakery" },
      ]);
    });
  });

  test("S-WRITE-05 rita's UPDATE and RETURNING aimed at roy's hidden customer 8 reach no row and return nothing", async () => {
    await rolledBack(rita, async (c) => {
      const updated = await c.query("update crm.customers set name = 'Taken' where id = 8 returning id, name");
      expect([updated.rowCount, updated.rows]).toEqual([0, []]);
    });
    expect(await hiddenEight()).toEqual(EIGHT);
  });

  test("S-WRITE-06 rita's MERGE matching roy's hidden customer 8 (WHEN MATCHED THEN UPDATE) changes nothing: the hidden row does not match", async () => {
    await rolledBack(rita, async (c) => {
      const merged = await c.query(
        "merge into crm.customers t using (select 8::bigint as id) s on t.id = s.id when matched then update set name = 'Taken'",
      );
      expect(merged.rowCount).toBe(0);
    });
    expect(await hiddenEight()).toEqual(EIGHT);
  });

  test("S-WRITE-07 rita's MERGE on her own customer may not delete it, nor set its tier: her privileges apply as to DELETE and UPDATE", async () => {
    await rolledBack(rita, async (c) => {
      expect(
        await refused(c, "merge into crm.customers t using (select 2::bigint as id) s on t.id = s.id when matched then delete"),
      ).toEqual({
        code: "42501",
        message: "permission denied for table customers",
      });
      expect(
        await refused(
          c,
          "merge into crm.customers t using (select 2::bigint as id) s on t.id = s.id when matched then update set tier = 'vip'",
        ),
      ).toEqual({ code: "42501", message: "permission denied for table customers" });
    });
  });

  test("S-WRITE-08 rita cannot insert a customer owned by roy, nor one of hers in West-1: her insert check", async () => {
    const west = (await crm.root((c) => ids(c, "select id from crm.org_units where name = 'West-1'")))[0]!;
    await rolledBack(rita, async (c) => {
      const violation = { code: "42501", message: 'new row violates row-level security policy for table "customers"' };
      expect(
        await refused(c, "insert into crm.customers (name, industry, region, owner_id, unit_id) values ('x', 'x', 'x', 6, $1)", [
          await eastOne(),
        ]),
      ).toEqual(violation);
      expect(
        await refused(c, "insert into crm.customers (name, industry, region, owner_id, unit_id) values ('x', 'x', 'x', 4, $1)", [
          west,
        ]),
      ).toEqual(violation);
    });
  });

  test("S-WRITE-09 rita cannot TRUNCATE or DELETE customers, hers or hidden ones", async () => {
    await rolledBack(rita, async (c) => {
      expect(await refused(c, "truncate crm.customers")).toEqual({
        code: "42501",
        message: "permission denied for table customers",
      });
      expect(await refused(c, "delete from crm.customers where id in (2, 8)")).toEqual({
        code: "42501",
        message: "permission denied for table customers",
      });
    });
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers"))).toEqual([22]);
  });
});

test("S-WRITE-13 KNOWN LIMIT: a unique violation tells adam (admin, the only role that may write keys, who sees every row anyway) that the key is taken; under row security PostgreSQL leaves out the DETAIL with the key values", async () => {
  const violation = await crm.as(persona("adam"), async (c) => {
    await c.query("savepoint probe");
    try {
      await c.query(
        "insert into crm.customers (id, name, industry, region, owner_id, unit_id) values (8, 'Probe', 'x', 'x', null, 2)",
      );
      return null;
    } catch (error) {
      const { code, message, detail } = error as { code: string; message: string; detail: string };
      await c.query("rollback to savepoint probe");
      return { code, message, detail };
    }
  });
  expect(violation).toEqual({
    code: "23505",
    message: 'duplicate key value violates unique constraint "customers_pkey"',
    detail: undefined, // no "Key (id)=(8) already exists.": PostgreSQL omits it when row security is on for the table
  });
  expect(await hiddenEight()).toEqual(EIGHT);
});

describe("COPY", () => {
  test("S-WRITE-10 ana's COPY crm.customers TO STDOUT (psql) is refused (it would copy name and owner); COPY of her columns gives only her rows", async () => {
    const whole = psql("ana", "copy crm.customers to stdout");
    expect([whole.status, whole.stderr.trim()]).toEqual([1, "ERROR:  permission denied for table customers"]);
    const mine = psql("ana", "copy crm.customers (id, stage) to stdout");
    expect(mine.status).toBe(0);
    expect(
      mine.stdout
        .trim()
        .split("\n")
        .map((line) => Number(line.split("\t")[0]))
        .sort((a, b) => a - b),
    ).toEqual(ANA);
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers"))).toEqual([22]);
  });

  test("S-WRITE-11 rita's COPY crm.customers FROM STDIN (psql) is refused: PostgreSQL does not copy into a table under row security", async () => {
    const unit = await eastOne();
    const copied = psql(
      "rita",
      "copy crm.customers (name, industry, region, owner_id, unit_id) from stdin",
      `Sneaky\tFood\tEast\t6\t${unit}\n\\.\n`,
    );
    expect([copied.status, copied.stderr.trim().split("\n")[0]]).toEqual([
      1,
      "ERROR:  COPY FROM not supported with row-level security",
    ]);
    expect(await crm.root((c) => ids(c, "select count(*) from crm.customers where name = 'Sneaky'"))).toEqual([0]);
  });

  test("S-WRITE-12 rita's COPY to or from a server file or program is refused", async () => {
    await rolledBack(rita, async (c) => {
      expect(await refused(c, "copy (select id from crm.customers) to program 'cat > /tmp/gatehouse-attack'")).toEqual({
        code: "42501",
        message: expect.stringMatching(
          /^(must be superuser or have privileges of the pg_execute_server_program role|permission denied to COPY to or from an external program)/,
        ),
      });
      expect(await refused(c, "copy (select id from crm.customers) to '/tmp/gatehouse-attack.csv'")).toEqual({
        code: "42501",
        message: expect.stringMatching(
          /^(must be superuser or have privileges of the pg_write_server_files role|permission denied to COPY to a file)/,
        ),
      });
      expect(await refused(c, "copy crm.follow_ups (customer_id, author_id, body) from '/etc/hostname'")).toEqual({
        code: "42501",
        message: expect.stringMatching(
          /^(must be superuser or have privileges of the pg_read_server_files role|permission denied to COPY from a file)/,
        ),
      });
    });
  });
});
