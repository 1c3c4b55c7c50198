/**
 * `gatehouse lint` (db/live-lint/): security lints on the live catalog of a compiled CRM database, objects Gatehouse
 * did not generate included. Each problem is made by hand inside a transaction that is rolled back (role attributes,
 * memberships and grants are transactional too), and the lint must name it exactly.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PoolClient } from "pg";
import { lintDatabase, type LiveLintFinding } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { configSource, runCli } from "../cli/cli";
import { openCrmDatabase } from "../crm/crm-database";

let crm: AppTestDatabase;
let p: string;
let owner: string;
beforeAll(async () => {
  crm = await openCrmDatabase();
  p = crm.app.rolePrefix;
  owner = (await crm.db.pool.query("select current_user as u")).rows[0].u;
});
afterAll(() => crm?.close());

/** Runs `change` as the owner, then the lints, in one transaction that is rolled back. */
async function lintAfter(change: string): Promise<LiveLintFinding[]> {
  const client: PoolClient = await crm.db.pool.connect();
  try {
    await client.query("begin");
    await client.query(change);
    return await lintDatabase(client, crm.app);
  } finally {
    await client.query("rollback");
    client.release();
  }
}

/** The findings other than the warnings about superusers the app has nothing to do with (the test cluster's own). */
/**
 * The findings about this database and the roles these tests make (`<prefix>…`). Roles are cluster-wide: the
 * cluster's own superusers, or a BYPASSRLS role another database keeps (a benchmark's), are not this test's.
 */
const appFindings = (findings: LiveLintFinding[]) =>
  findings.filter((f) => f.lint !== "bypass-rls" || f.object.startsWith(`role ${p}`));

test("the compiled demo database has no error finding, and no warning but about the cluster's own superusers", async () => {
  const findings = await lintAfter("select 1");
  expect(findings.filter((f) => f.level === "error")).toEqual([]);
  const { rows } = await crm.db.pool.query(
    "select 'role ' || rolname as object from pg_roles where rolsuper and rolcanlogin and oid <> 10 and rolname <> current_user order by 1",
  );
  expect(findings.map((f) => f.object)).toEqual(rows.map((r) => r.object));
  expect(appFindings(findings)).toEqual([]);
});

describe("bypass-rls", () => {
  test("a generated app role given BYPASSRLS is an error naming the role and the fix", async () => {
    expect(appFindings(await lintAfter(`alter role "${p}sales_rep" bypassrls`))).toEqual([
      {
        lint: "bypass-rls",
        level: "error",
        object: `role ${p}sales_rep`,
        message: `has BYPASSRLS and is a generated role: row security does not apply to it; alter role "${p}sales_rep" nobypassrls`,
      },
    ]);
  });

  test("a login that is a member of an app role and made superuser is an error", async () => {
    const findings = await lintAfter(`create role "${p}dba" login superuser; grant "${p}sales_rep" to "${p}dba"`);
    expect(appFindings(findings)).toEqual([
      {
        lint: "bypass-rls",
        level: "error",
        object: `role ${p}dba`,
        message: `is a superuser and is a member of ${p}sales_rep: row security does not apply to it; alter role "${p}dba" nosuperuser`,
      },
    ]);
  });

  test("a BYPASSRLS login is an error once an app table is granted to PUBLIC, and not before", async () => {
    expect(appFindings(await lintAfter(`create role "${p}etl" login bypassrls`))).toEqual([]);
    expect(
      appFindings(await lintAfter(`create role "${p}etl" login bypassrls; grant select on crm.org_units to public`)),
    ).toEqual([
      {
        lint: "bypass-rls",
        level: "error",
        object: `role ${p}etl`,
        message: `has BYPASSRLS and can use the app objects granted to PUBLIC: row security does not apply to it; alter role "${p}etl" nobypassrls`,
      },
    ]);
  });

  test("a login that can set role to a superuser and holds a grant on an app table is an error; without the tie, a warning", async () => {
    const findings = await lintAfter(
      `create role "${p}root_like" nologin superuser; create role "${p}bi" login; grant "${p}root_like" to "${p}bi";
       create role "${p}ops" login superuser; grant select on crm.org_units to "${p}bi"`,
    );
    expect(findings.filter((f) => f.object.startsWith(`role ${p}`))).toEqual([
      {
        lint: "bypass-rls",
        level: "error",
        object: `role ${p}bi`,
        message: `can set role to superuser ${p}root_like and holds privileges on app objects: row security does not apply to it; revoke "${p}root_like" from "${p}bi"`,
      },
      {
        lint: "bypass-rls",
        level: "warning",
        object: `role ${p}ops`,
        message: `is a superuser and can log in: it reads every row of schema crm, whatever the policies say; keep it for administration, or alter role "${p}ops" nosuperuser`,
      },
    ]);
  });
});

test("force-rls: a table of the app schema without FORCE, and a toolkit table without ENABLE", async () => {
  const findings = await lintAfter(
    "alter table crm.contacts no force row level security; alter table gatehouse.exports disable row level security",
  );
  expect(appFindings(findings)).toEqual([
    {
      lint: "force-rls",
      level: "error",
      object: "table crm.contacts",
      message:
        'row level security is not forced: its owner bypasses its policies; alter table "crm"."contacts" force row level security',
    },
    {
      lint: "force-rls",
      level: "error",
      object: "table gatehouse.exports",
      message:
        'row level security is not enabled: no policy applies to it; alter table "gatehouse"."exports" enable row level security',
    },
  ]);
});

describe("view-invoker", () => {
  test("a plain view granted to an app role is an error; the same view with security_invoker, or granted to nobody, is not", async () => {
    const findings = await lintAfter(
      `create view crm.rep_peek as select id, name from crm.customers; grant select on crm.rep_peek to "${p}sales_rep";
       create view crm.rep_fair with (security_invoker = true) as select id, name from crm.customers;
       grant select on crm.rep_fair to "${p}sales_rep";
       create view crm.unused as select id from crm.customers`,
    );
    expect(appFindings(findings)).toEqual([
      {
        lint: "view-invoker",
        level: "error",
        object: "view crm.rep_peek",
        message: `is reachable by ${p}sales_rep and runs as its owner ${owner}, bypassing row security and column grants; alter view "crm"."rep_peek" set (security_invoker = true), or define it with view(…), or revoke all on "crm"."rep_peek" from "${p}sales_rep"`,
      },
    ]);
  });

  test("a materialized view an app role can read, and a security_invoker view an app role owns, are errors", async () => {
    const findings = await lintAfter(
      `create materialized view crm.tier_counts as select tier, count(*) from crm.customers group by tier;
       grant select on crm.tier_counts to "${p}support";
       create view crm.mine with (security_invoker = true) as select id from crm.customers;
       alter view crm.mine owner to "${p}support"`,
    );
    expect(appFindings(findings)).toEqual([
      {
        lint: "view-invoker",
        level: "error",
        object: "view crm.mine",
        message: `is owned by app role ${p}support, which could redefine it; alter view "crm"."mine" owner to the role that applies the migrations`,
      },
      {
        lint: "view-invoker",
        level: "error",
        object: "materialized view crm.tier_counts",
        message: `is readable by ${p}support, but holds rows computed as its owner ${owner}: row security does not apply to it; revoke all on "crm"."tier_counts" from "${p}support"`,
      },
    ]);
  });

  test("the generated masking view that lost security_barrier, and a select * view granted to PUBLIC without security_invoker", async () => {
    const findings = await lintAfter(
      `alter view crm.marketing_export reset (security_barrier);
       alter view crm_analyst.customers reset (security_invoker); grant select on crm_analyst.customers to public`,
    );
    expect(appFindings(findings)).toEqual([
      {
        lint: "view-invoker",
        level: "error",
        object: "view crm.marketing_export",
        message: `is a masking view reachable by ${p}marketing, but not security_barrier: it does not run as generated; alter view "crm"."marketing_export" set (security_barrier = true)`,
      },
      {
        lint: "view-invoker",
        level: "error",
        object: "view crm_analyst.customers",
        message: `is reachable by public and runs as its owner ${owner}, bypassing row security and column grants; alter view "crm_analyst"."customers" set (security_invoker = true), or define it with view(…), or revoke all on "crm_analyst"."customers" from public`,
      },
    ]);
  });
});

test("definer-function: one without search_path, one executable by PUBLIC (in schema public, which app roles use)", async () => {
  const findings = await lintAfter(
    `create function crm.count_customers() returns bigint language sql security definer as 'select count(*) from crm.customers';
     revoke execute on function crm.count_customers() from public;
     create function public.open_door(who text) returns bigint language sql security definer set search_path = pg_catalog
       as 'select count(*) from crm.customers';
     create function public.harmless() returns int language sql as 'select 1'`,
  );
  expect(appFindings(findings)).toEqual([
    {
      lint: "definer-function",
      level: "error",
      object: "function crm.count_customers()",
      message:
        'is security definer without a fixed search_path: a caller\'s objects earlier on the path would run as its owner; alter function "crm"."count_customers"() set search_path = pg_catalog, pg_temp',
    },
    {
      lint: "definer-function",
      level: "error",
      object: "function public.open_door(who text)",
      message:
        'is security definer and executable by public (every role of the cluster); revoke execute on function "public"."open_door"(who text) from public, then grant it to the roles that need it',
    },
  ]);
});

test("via-index: dropping the index on the foreign key a via() scope joins on is a warning naming the rules that use it", async () => {
  const findings = await lintAfter("drop index crm.service_tickets_customer_id_idx");
  expect(appFindings(findings)).toEqual([
    {
      lint: "via-index",
      level: "warning",
      object: "foreign key crm.service_tickets.customer_id",
      message:
        'via(customer_id, customers) joins on it (sales_rep select, supervisor select, regional_manager select, director select, support select, support insert, support update) but no index leads with it: create index on "crm"."service_tickets" ("customer_id")',
    },
  ]);
});

test("via-index: when the definitions no longer compile against the schema, one error says so and the other lints still run", async () => {
  const findings = await lintAfter(
    "alter table crm.service_tickets rename column customer_id to client_id; alter table crm.quotes no force row level security",
  );
  expect(appFindings(findings).map((f) => [f.lint, f.level, f.object])).toEqual([
    ["force-rls", "error", "table crm.quotes"],
    ["via-index", "error", "schema crm"],
  ]);
  expect(appFindings(findings)[1]!.message).toMatch(
    /^the definitions do not compile against the live schema, so the foreign keys via\(\) joins on cannot be checked \(.*customer_id.*\); run gatehouse compile for every problem$/,
  );
});

test("leakproof-policy: a policy applying lower(), a text cast or like to a column is a warning; leakproof operators and calls inside (select …) are not", async () => {
  const findings = await lintAfter(
    `create policy peek on crm.customers as restrictive for select to "${p}sales_rep"
       using (lower(name) <> 'x' and name = 'y' and owner_id = (select length(lower('z'))) and (region::int) > 0 and industry like 'a%')`,
  );
  expect(appFindings(findings)).toEqual([
    {
      lint: "leakproof-policy",
      level: "warning",
      object: "policy peek on crm.customers",
      message:
        "applies lower(text), which is not leakproof, to column name: the policy runs on every row, hidden ones included, and an error it raises can show their values; compare the column itself with a leakproof operator, or mark the function leakproof if it truly is (alter function … leakproof)",
    },
    {
      lint: "leakproof-policy",
      level: "warning",
      object: "policy peek on crm.customers",
      message:
        "applies a cast to integer through int4in(cstring), which is not leakproof, to column region: the policy runs on every row, hidden ones included, and an error it raises can show their values; compare the column itself with a leakproof operator, or mark the function leakproof if it truly is (alter function … leakproof)",
    },
    {
      lint: "leakproof-policy",
      level: "warning",
      object: "policy peek on crm.customers",
      message:
        "applies operator ~~(text,text) (function textlike(text,text)), which is not leakproof, to column industry: the policy runs on every row, hidden ones included, and an error it raises can show their values; compare the column itself with a leakproof operator, or mark the function leakproof if it truly is (alter function … leakproof)",
    },
  ]);
});

describe("the CLI", () => {
  let folder: string;
  let config: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "gatehouse-lint-"));
    config = path.join(folder, "gatehouse.config.ts");
    await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(p)} }`));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));
  const lint = (...args: string[]) => runCli(["--config", config, "lint", ...args], { DATABASE_URL: crm.db.url });

  test("exits 0 on the compiled database, printing no error; --json prints the findings lintDatabase returns", async () => {
    const text = await lint();
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("error"))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^(no findings: 7 lints passed|0 errors, \d+ warnings? from 7 lints)$/);
    const json = await lint("--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await lintAfter("select 1"));
  });

  test("exits 1 on an error finding, printing it on one line, plain when stdout is not a terminal", async () => {
    await crm.db.pool.query("alter table crm.quotes no force row level security");
    try {
      const result = await lint();
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        'error    force-rls  table crm.quotes: row level security is not forced: its owner bypasses its policies; alter table "crm"."quotes" force row level security\n',
      );
      expect(result.stdout.trimEnd().split("\n").at(-1)).toMatch(/^1 error, \d+ warnings? from 7 lints$/);
      expect(result.stdout).not.toContain("\u001b[");
    } finally {
      await crm.db.pool.query("alter table crm.quotes force row level security");
    }
  });
});
