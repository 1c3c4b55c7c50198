/**
 * DESIGN.md security invariants 1 (RLS enabled and forced; no app role bypasses or owns), 2 (a masked column's
 * raw column is never also held), 3 (views are security_invoker, or security_barrier run by their own owner), 6 (SECURITY DEFINER functions are fixed and
 * closed) and 8 (every generated role carries the prefix), checked on the live catalog of a compiled CRM
 * database; and the performance rule that identity helpers run once per statement, as InitPlans.
 */
import type { PoolClient } from "pg";
import type { AppTestDatabase } from "../../db/testing";
import { expectRowSecurityEverywhere } from "../../db/testing";
import { column, CRM_TABLES, openCrmDatabase, persona } from "./crm-database";
import { rows } from "./table-access";

let crm: AppTestDatabase;
let prefix: string;
beforeAll(async () => {
  crm = await openCrmDatabase();
  prefix = crm.app.rolePrefix;
  // one role-bound login on a masked role, one on a full one: logins must obey the invariants too
  await crm.login({ username: "ana", userId: 14, role: "analyst" });
  await crm.login({ username: "rita", userId: 4, role: "sales_rep" });
});
afterAll(() => crm?.close());

/** The app roles as the definitions name them, plus the two the compiler adds. */
const APP_ROLES = [
  "sales_rep",
  "intern",
  "supervisor",
  "regional_manager",
  "director",
  "finance",
  "legal",
  "support",
  "marketing",
  "partner",
  "analyst",
  "admin",
  "auditor",
  "anonymous",
  "authenticator",
];

/** The owner of each masking view, which the compiler adds too: the view runs as it. */
const VIEW_OWNERS = ["view_marketing_export"];
/** The roles whose row mask functions read contacts' personal data row by row (db/compile/emit/row-masks.ts). */
const RAW_READERS = ["raw_regional_manager", "raw_sales_rep", "raw_supervisor"];

/** Database roles whose name starts with this database's app prefix, unprefixed, sorted. */
const appRoles = (c: PoolClient, where = "true") =>
  column<string>(
    c,
    `select substr(rolname, length($1) + 1) from pg_roles where starts_with(rolname, $1) and (${where}) order by 1`,
    [prefix],
  );

describe("invariant 1: rows are guarded by RLS that nobody bypasses", () => {
  test("every table of schema crm has row level security enabled and forced", async () => {
    const tables = await crm.root((c) =>
      rows(c, "select relname from pg_class where relnamespace = 'crm'::regnamespace and relkind in ('r', 'p') order by relname"),
    );
    expect(tables.map((t) => t.relname)).toEqual(CRM_TABLES);
    await crm.root((c) => expectRowSecurityEverywhere(c, "crm"));
  });

  test("the toolkit's own tables (login mapping, audit log) have row level security enabled and forced", async () => {
    const tables = await crm.root((c) =>
      rows(
        c,
        "select relname from pg_class where relnamespace = 'gatehouse'::regnamespace and relkind in ('r', 'p') order by relname",
      ),
    );
    expect(tables.map((t) => t.relname)).toEqual(expect.arrayContaining(["audit_log", "logins"]));
    await crm.root((c) => expectRowSecurityEverywhere(c, "gatehouse"));
  });

  test("the app's roles are exactly the defined ones, the anonymous and authenticator roles, the view owners, the raw readers and the role-bound logins", async () => {
    expect(await crm.root((c) => appRoles(c))).toEqual(
      [...APP_ROLES, ...VIEW_OWNERS, ...RAW_READERS, "login_ana", "login_rita"].sort(),
    );
  });

  test("no app role or login is a superuser, bypasses RLS, creates roles or databases, or replicates", async () => {
    expect(
      await crm.root((c) => appRoles(c, "rolsuper or rolbypassrls or rolcreaterole or rolcreatedb or rolreplication")),
    ).toEqual([]);
  });

  test("only the authenticator and the role-bound logins (each in the login mapping) may log in", async () => {
    await crm.root(async (c) => {
      expect(await appRoles(c, "rolcanlogin")).toEqual(["authenticator", "login_ana", "login_rita"]);
      expect(await column(c, "select login::text from gatehouse.logins order by login")).toEqual([
        `${prefix}login_ana`,
        `${prefix}login_rita`,
      ]);
    });
  });

  test("no app role owns, or is a member of the owner of, any object of schemas crm and gatehouse; a view owner owns its view only, a raw reader its many-row mask functions only", async () => {
    const owners = await crm.root((c) =>
      rows(
        c,
        `with owned(owner, what) as (
           select relowner, format('%s %s', relkind, relname) from pg_class
            where relnamespace in ('crm'::regnamespace, 'gatehouse'::regnamespace) and relkind <> 'i'
           union all select proowner, 'function ' || proname from pg_proc where pronamespace in ('crm'::regnamespace, 'gatehouse'::regnamespace)
           union all select typowner, 'type ' || typname from pg_type where typnamespace in ('crm'::regnamespace, 'gatehouse'::regnamespace)
           union all select nspowner, 'schema ' || nspname from pg_namespace where nspname in ('crm', 'gatehouse'))
         select case when starts_with(o.rolname, $1) then substr(o.rolname, length($1) + 1) else 'the superuser' end as owner, o.rolsuper as superuser,
                array(select r.rolname::text from pg_roles r where r.oid <> o.oid and starts_with(r.rolname, $1) and pg_has_role(r.oid, o.oid, 'member')) as app_members,
                case when starts_with(o.rolname, $1) then array_agg(what order by what) end as objects
           from owned join pg_roles o on o.oid = owned.owner
          group by o.oid, o.rolname, o.rolsuper order by 1`,
        [prefix],
      ),
    );
    const rowMaskFunctions = (role: string) => [`function row_masks_contacts__${role}`];
    expect(owners).toEqual([
      ...["regional_manager", "sales_rep", "supervisor"].map((role) => ({
        owner: `raw_${role}`,
        superuser: false,
        app_members: [],
        objects: rowMaskFunctions(role),
      })),
      { owner: "the superuser", superuser: true, app_members: [], objects: null },
      // the view, and the row type (and its array type) PostgreSQL makes for it; no table
      {
        owner: "view_marketing_export",
        superuser: false,
        app_members: [],
        objects: ["type _marketing_export", "type marketing_export", "v marketing_export"],
      },
    ]);
  });

  /** The attributes and memberships (members, and roles it is a member of, both unprefixed) of generated roles. */
  const roleAttributes = (roles: readonly string[]) =>
    crm.root((c) =>
      rows(
        c,
        `select substr(r.rolname, length($1) + 1) as role, r.rolcanlogin, r.rolinherit, r.rolbypassrls, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
                array(select substr(m.member::regrole::text, length($1) + 1) from pg_auth_members m where m.roleid = r.oid) as members,
                array(select substr(m.roleid::regrole::text, length($1) + 1) from pg_auth_members m where m.member = r.oid) as member_of
           from pg_roles r where r.rolname = any ($2::text[]) order by 1`,
        [prefix, roles.map((o) => prefix + o)],
      ),
    );
  const NOTHING = {
    rolcanlogin: false,
    rolbypassrls: false,
    rolsuper: false,
    rolcreaterole: false,
    rolcreatedb: false,
    members: [],
  };

  test("a view owner has no login, no inherit, no BYPASSRLS, is no superuser, and is granted to no role", async () => {
    expect(await roleAttributes(VIEW_OWNERS)).toEqual(
      VIEW_OWNERS.map((role) => ({ role, ...NOTHING, rolinherit: false, member_of: [] })),
    );
  });

  test("a raw reader has no login and no BYPASSRLS, is no superuser, is a member of its app role only, and is granted to no role", async () => {
    expect(await roleAttributes(RAW_READERS)).toEqual(
      // inherit: its app role's policies and privileges apply to it (policies apply to the members of their roles)
      RAW_READERS.map((role) => ({ role, ...NOTHING, rolinherit: true, member_of: [role.slice("raw_".length)] })),
    );
  });
});

describe("invariant 2: no role reads both a raw column and its masked twin", () => {
  /**
   * For every mask of the app and every generated role: may it read the raw column (select or references), write it,
   * read the twin? A raw reader is left out of "none reads both": it is the row mask functions' definer, reads the
   * raw column only inside them, and holds the twin through its app role.
   */
  const maskAccess = () =>
    crm.root((c) =>
      rows(
        c,
        `select m.tbl || '.' || m.col as raw, m.tbl || '.' || m.twin as twin, substr(r.rolname, length($2) + 1) as role,
                has_column_privilege(r.oid, format('crm.%I', m.tbl)::regclass, m.col, 'select, references') as holds_raw,
                has_column_privilege(r.oid, format('crm.%I', m.tbl)::regclass, m.col, 'insert, update') as writes_raw,
                has_column_privilege(r.oid, format('crm.%I', m.tbl)::regclass, m.twin, 'select, insert, update, references') as holds_twin
           from jsonb_to_recordset($1) as m(tbl text, col text, twin text)
           cross join pg_roles r
          where starts_with(r.rolname, $2)
          order by 1, 3`,
        [JSON.stringify(crm.app.masks.map((m) => ({ tbl: m.table, col: m.column, twin: m.twin }))), prefix],
      ),
    );

  test("every mask of the app, checked over every app role and login: none reads both", async () => {
    const access = await maskAccess();
    expect(access).toHaveLength(crm.app.masks.length * (APP_ROLES.length + VIEW_OWNERS.length + RAW_READERS.length + 2));
    expect(access.filter((a) => a.holds_raw && a.holds_twin && !RAW_READERS.includes(a.role as string))).toEqual([]);
    // the encrypted id_number is read by nobody, raw readers included (everyone reads its twin); its writers still write it
    expect(access.filter((a) => a.raw === "contacts.id_number" && a.holds_raw)).toEqual([]);
  });

  test("the masked twins are read by exactly the masked and row-masked roles, the raw columns by exactly the others", async () => {
    const access = await maskAccess();
    const holders = (kind: "raw" | "twin", privilege: "holds" | "writes" = "holds") =>
      Object.fromEntries(
        [...new Set(access.map((a) => a[kind] as string))].map((name) => [
          name,
          access.filter((a) => a[kind] === name && a[`${privilege}_${kind}`]).map((a) => a.role),
        ]),
      );
    const FULL = ["admin", "auditor", "director"];
    // reps, supervisors, regional managers (and rita's login) read contacts row by row: the twin, raw through a function
    const BY_ROW = ["login_rita", "regional_manager", "sales_rep", "supervisor"];
    const MASKED = ["analyst", "intern", "login_ana", "support"];
    const twinReaders = [...MASKED, ...BY_ROW, ...RAW_READERS].sort();
    expect(holders("raw")).toEqual({
      "contacts.email": [...FULL, ...RAW_READERS],
      // encrypted: nobody selects it
      "contacts.id_number": [],
      "contacts.phone": [...FULL, ...RAW_READERS],
      "customers.created_at": [
        "admin",
        "analyst",
        "auditor",
        "director",
        "finance",
        "intern",
        "login_ana",
        "login_rita",
        "raw_regional_manager",
        "raw_sales_rep",
        "raw_supervisor",
        "regional_manager",
        "sales_rep",
        "supervisor",
      ],
    });
    // writing their own contacts' personal data reads nothing: a where clause or returning on it needs select
    const writers = [
      "admin",
      "director",
      "login_rita",
      "raw_regional_manager",
      "raw_sales_rep",
      "raw_supervisor",
      "regional_manager",
      "sales_rep",
      "supervisor",
    ];
    expect(holders("raw", "writes")).toMatchObject({
      "contacts.phone": writers,
      "contacts.email": writers,
      "contacts.id_number": writers,
    });
    expect(holders("twin")).toEqual({
      "contacts.email_masked": twinReaders,
      "contacts.id_number_masked": [...FULL, ...twinReaders].sort(),
      "contacts.phone_masked": twinReaders,
      "customers.created_month": ["view_marketing_export"],
    });
  });
});

describe("invariant 3: views never widen access", () => {
  test("every view of schema crm is security_invoker, or security_barrier owned by its generated owner; no app role owns a view; no materialized view", async () => {
    const views = await crm.root((c) =>
      rows(
        c,
        `select relname, relkind, pg_get_userbyid(relowner)::text as owner,
                coalesce((select option_value from pg_options_to_table(reloptions) where option_name = 'security_invoker'), 'false') as security_invoker,
                coalesce((select option_value from pg_options_to_table(reloptions) where option_name = 'security_barrier'), 'false') as security_barrier
           from pg_class where relnamespace in ('crm'::regnamespace, 'gatehouse'::regnamespace) and relkind in ('v', 'm') order by relname`,
      ),
    );
    const generatedOwner = (view: string) => `${prefix}view_${view}`;
    const allowed = (v: Record<string, unknown>) =>
      v.relkind === "v" &&
      (v.security_invoker === "true" || (v.security_barrier === "true" && v.owner === generatedOwner(v.relname as string)));
    expect(views.filter((v) => !allowed(v))).toEqual([]);
    const requestRoles = new Set(APP_ROLES.map((r) => prefix + r));
    expect(views.filter((v) => requestRoles.has(v.owner as string))).toEqual([]);
    expect(views).toEqual([
      {
        relname: "marketing_export",
        relkind: "v",
        owner: generatedOwner("marketing_export"),
        security_invoker: "false",
        security_barrier: "true",
      },
    ]);
  });

  test("every select * view of a role schema (crm_<role>) is security_invoker and selectable only by that role", async () => {
    const views = await crm.root((c) =>
      rows(
        c,
        `select n.nspname as schema, count(*)::int as views,
                bool_and(coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'security_invoker'), 'false') = 'true') as invoker,
                array_agg(distinct a.grantee::regrole::text order by a.grantee::regrole::text) as selectable_by
           from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
          where n.nspname like 'crm\\_%' and c.relkind in ('v', 'm') and a.grantee <> c.relowner
          group by n.nspname order by n.nspname`,
      ),
    );
    const roles = [
      "admin",
      "analyst",
      "auditor",
      "director",
      "finance",
      "intern",
      "legal",
      "partner",
      "regional_manager",
      "sales_rep",
      "supervisor",
      "support",
    ];
    expect(views.map((v) => v.schema)).toEqual(roles.map((r) => `crm_${r}`));
    for (const v of views)
      expect(v).toEqual({ ...v, invoker: true, selectable_by: [`${prefix}${(v.schema as string).slice(4)}`] });
  });
});

describe("invariant 6: SECURITY DEFINER functions are few, fixed and closed", () => {
  const definers = () =>
    crm.root((c) =>
      rows(
        c,
        `select p.proname as name, n.nspname as schema, p.proconfig as config,
                has_function_privilege('public', p.oid, 'execute') as public_execute,
                array(select coalesce(substr(g.rolname, length($1) + 1), 'PUBLIC')
                        from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a left join pg_roles g on g.oid = a.grantee
                       where a.grantee <> p.proowner and (g.rolname is null or not starts_with(g.rolname, $1))) as foreign_grantees
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
          order by 1`,
        [prefix],
      ),
    );

  test("they all live in gatehouse (or in crm, as operations the API offers, e.g. restore_customers), include the identity helpers, and each has search_path fixed to pg_catalog, pg_temp", async () => {
    const found = await definers();
    expect(found.map((f) => f.name)).toEqual(
      expect.arrayContaining(["audit_row", "current_unit_id", "current_unit_tree", "current_user_id", "granted_rows"]),
    );
    expect(found.filter((f) => f.schema !== "gatehouse" && f.schema !== "crm")).toEqual([]);
    expect(found.filter((f) => f.name === "restore_customers").map((f) => f.schema)).toEqual(["crm"]);
    expect(found.filter((f) => JSON.stringify(f.config) !== JSON.stringify(["search_path=pg_catalog, pg_temp"]))).toEqual([]);
  });

  test("none is executable by PUBLIC or by any role outside the app", async () => {
    const found = await definers();
    expect(found.filter((f) => f.public_execute || (f.foreign_grantees as string[]).length > 0)).toEqual([]);
  });

  test("rita calling the identity helper with a role she does not hold gets no identity", async () => {
    const ids = await crm.as(persona("rita"), (c) =>
      rows(c, "select gatehouse.current_user_id(current_user)::int as own, gatehouse.current_user_id($1)::int as posed", [
        `${prefix}admin`,
      ]),
    );
    expect(ids).toEqual([{ own: 4, posed: null }]);
  });
});

describe("invariant 8: every generated role carries the prefix", () => {
  test("every role the compiled SQL creates starts with the prefix", async () => {
    const created = [...crm.compiled.sql.matchAll(/create role "([^"]+)"/g)].map((m) => m[1]);
    expect(created.map((name) => name!.slice(prefix.length)).sort()).toEqual(
      [...APP_ROLES, ...VIEW_OWNERS, ...RAW_READERS].sort(),
    );
    expect(created.filter((name) => !name!.startsWith(prefix))).toEqual([]);
  });

  test("every role a policy or a privilege in this database names is an app role (or PUBLIC where harmless)", async () => {
    const named = await crm.root((c) =>
      rows(
        c,
        `with grantees(what, grantee) as (
           select format('%s.%s', n.nspname, c.relname), a.grantee from pg_class c join pg_namespace n on n.oid = c.relnamespace,
                  aclexplode(c.relacl) a where n.nspname in ('crm', 'gatehouse') and a.grantee <> c.relowner
           union all
           select format('%s.%s.%s', n.nspname, c.relname, t.attname), a.grantee
             from pg_attribute t join pg_class c on c.oid = t.attrelid join pg_namespace n on n.oid = c.relnamespace,
                  aclexplode(t.attacl) a where n.nspname in ('crm', 'gatehouse') and a.grantee <> c.relowner
           union all
           select format('%s.%s()', n.nspname, p.proname), a.grantee from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
                  aclexplode(p.proacl) a where n.nspname in ('crm', 'gatehouse') and a.grantee <> p.proowner
           union all
           select format('schema %s', n.nspname), a.grantee from pg_namespace n, aclexplode(n.nspacl) a
            where n.nspname in ('crm', 'gatehouse') and a.grantee <> n.nspowner
           union all
           select format('database %s', d.datname), a.grantee from pg_database d, aclexplode(d.datacl) a
            where d.datname = current_database() and a.grantee <> d.datdba and a.grantee <> 0
           union all
           select format('policy %s.%s.%s', p.schemaname, p.tablename, p.policyname), coalesce(r.oid, 0)
             from pg_policies p cross join unnest(p.roles) as role_name left join pg_roles r on r.rolname = role_name
            where p.schemaname in ('crm', 'gatehouse'))
         select distinct what, coalesce(r.rolname, 'PUBLIC') as grantee from grantees left join pg_roles r on r.oid = grantees.grantee
          where r.rolname is null or not starts_with(r.rolname, $1)
          order by 1`,
        [prefix],
      ),
    );
    // PUBLIC may run the IMMUTABLE mask functions (plain, not SECURITY DEFINER), and the audit log's insert
    // policy names PUBLIC: only its SECURITY DEFINER trigger, as the owner, may insert into it
    expect(named.filter((n) => !(n.grantee === "PUBLIC" && /^gatehouse\.mask_\w+\(\)$/.test(n.what as string)))).toEqual([
      { what: "policy gatehouse.audit_log.audit__append", grantee: "PUBLIC" },
    ]);
  });
});

describe("identity helpers run once per statement", () => {
  interface PlanNode {
    "Node Type": string;
    "Parent Relationship"?: string;
    "Relation Name"?: string;
    Output?: string[];
    Filter?: string;
    "Actual Loops"?: number;
    "Actual Rows"?: number;
    Plans?: PlanNode[];
  }
  const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

  test("rita's select of customers computes current_user_id and her scopes in InitPlans, once, and never per row", async () => {
    const plan = await crm.as(persona("rita"), async (c) => {
      const { rows: explained } = await c.query("explain (analyze, verbose, format json) select id from crm.customers");
      return flatten(explained[0]["QUERY PLAN"][0].Plan as PlanNode);
    });
    const scan = plan.find((n) => n["Relation Name"] === "customers")!;
    const initPlans = plan.filter((n) => n["Parent Relationship"] === "InitPlan");
    expect(scan["Actual Rows"]).toBe(7);
    expect(scan.Filter).not.toMatch(/gatehouse\./);
    expect([...new Set(initPlans.flatMap((n) => n.Output ?? []))].sort()).toEqual([
      "gatehouse.current_user_id(CURRENT_USER)",
      "gatehouse.granted_rows(CURRENT_USER, 'customers'::text, '{select,update}'::text[])",
      "gatehouse.member_open_project_customers(CURRENT_USER)",
    ]);
    expect(initPlans.map((n) => n["Actual Loops"])).toEqual(initPlans.map(() => 1));
  });

  test("rita's page of follow-ups probes each follow-up's customer by key, and never hashes every customer she sees first", async () => {
    const plan = await crm.as(persona("rita"), async (c) => {
      const { rows: explained } = await c.query(
        "explain (analyze, verbose, format json) select id from crm.follow_ups order by id desc limit 3",
      );
      return flatten(explained[0]["QUERY PLAN"][0].Plan as PlanNode);
    });
    const scan = plan.find((n) => n["Relation Name"] === "follow_ups")!;
    expect(scan.Filter).toMatch(/SubPlan \d+/);
    expect(JSON.stringify(plan)).not.toMatch(/hashed SubPlan/);
    expect(plan.filter((n) => n["Relation Name"] === "follow_ups").map((n) => n["Actual Rows"])).toEqual([3]);
  });

  test("rita's contacts are found by the keys of the customers she owns or borrows, each list read once per statement", async () => {
    const plan = await crm.as(persona("rita"), async (c) => {
      const { rows: explained } = await c.query("explain (analyze, verbose, format json) select id from crm.contacts");
      return flatten(explained[0]["QUERY PLAN"][0].Plan as PlanNode);
    });
    const initPlans = plan.filter((n) => n["Parent Relationship"] === "InitPlan");
    const helpers = [...new Set(initPlans.flatMap((n) => n.Output ?? []))].filter((o) => o.includes("via_contacts__"));
    expect(helpers).toHaveLength(2);
    expect(JSON.stringify(plan)).toMatch(/customer_id = ANY \((\$\d+|\(InitPlan \d+\)\.col1)\)/);
    expect(JSON.stringify(plan)).not.toMatch(/SubPlan/);
    expect(initPlans.map((n) => n["Actual Loops"])).toEqual(initPlans.map(() => 1));
  });

  test("every call of a gatehouse helper in every crm policy is wrapped in a scalar subquery", async () => {
    const policies = await crm.root((c) =>
      rows(
        c,
        "select tablename, policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') as text from pg_policies where schemaname = 'crm'",
      ),
    );
    const calls = policies.flatMap((p) =>
      [...(p.text as string).matchAll(/(\S+ )?gatehouse\.(\w+)\(/g)].map((m) => ({
        policy: `${p.tablename}.${p.policyname}`,
        helper: m[2],
        wrapped: m[1] === "SELECT ",
      })),
    );
    expect(calls.length).toBeGreaterThan(policies.length);
    expect(calls.filter((call) => !call.wrapped)).toEqual([]);
  });
});
