/**
 * CRM.md: marketing has no table access at all, only the de-identified export view. The view runs as its own
 * owner role (security_barrier), so marketing holds no privilege on any base table; DESIGN.md invariant 3.
 */
import type { PoolClient } from "pg";
import { refusal } from "../../db/testing";
import { roleName } from "../../db";
import type { AppTestDatabase } from "../../db/testing";
import { column, openCrmDatabase, persona } from "./crm-database";
import { customerExpectation } from "./expectations/customers";
import { rows } from "./table-access";

let crm: AppTestDatabase;
let marketing: string;
let owner: string;
beforeAll(async () => {
  crm = await openCrmDatabase();
  marketing = roleName(crm.app, "marketing");
  owner = roleName(crm.app, "view_marketing_export");
});
afterAll(() => crm?.close());

/** Every privilege `role` holds on the relations of schemas crm and gatehouse, on the relation or on any column. */
const relationPrivileges = (c: PoolClient, role: string) =>
  rows(
    c,
    `select format('%s.%s', n.nspname, c.relname) as relation,
            array(select p from unnest(array['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger']) p
                   where has_table_privilege($1, c.oid, p)) as on_table,
            array(select p from unnest(array['select', 'insert', 'update', 'references']) p
                   where has_any_column_privilege($1, c.oid, p)) as on_columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('crm', 'gatehouse') and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and (has_any_column_privilege($1, c.oid, 'select, insert, update, references')
             or has_table_privilege($1, c.oid, 'select, insert, update, delete, truncate, references, trigger'))
      order by 1`,
    [role],
  );

describe("marketing holds nothing but the export", () => {
  test("marketing holds no privilege on any table of crm or gatehouse: only select on crm.marketing_export", async () => {
    const held = await crm.root((c) => relationPrivileges(c, marketing));
    expect(held).toEqual([{ relation: "crm.marketing_export", on_table: ["select"], on_columns: ["select"] }]);
  });

  test("information_schema lists no table or column grant to marketing but the export view", async () => {
    const grants = await crm.root((c) =>
      rows(
        c,
        `select table_schema || '.' || table_name as relation, privilege_type from information_schema.role_table_grants where grantee = $1
         union
         select table_schema || '.' || table_name, privilege_type from information_schema.column_privileges where grantee = $1
         order by 1, 2`,
        [marketing],
      ),
    );
    expect(grants).toEqual([{ relation: "crm.marketing_export", privilege_type: "SELECT" }]);
  });

  test("the functions marketing may execute: the identity and column helpers the export's condition and columns_for need, and the mask functions", async () => {
    const functions = await crm.root((c) =>
      column<string>(
        c,
        `select distinct format('%s.%s', n.nspname, p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname in ('crm', 'gatehouse') and has_function_privilege($1, p.oid, 'execute') order by 1`,
        [marketing],
      ),
    );
    expect(functions).toEqual([
      // what the API lets every role ask about its own columns (columns_for, select_for, resolve_table: catalog only)
      "gatehouse.columns_for",
      // the identity and scope helpers every app role may call; they answer only for the caller's own identity,
      // and the export's condition needs current_user_id (its policy's guard) and current_channel
      "gatehouse.current_channel",
      "gatehouse.current_unit_id",
      "gatehouse.current_unit_tree",
      "gatehouse.current_unit_tree_users",
      "gatehouse.current_user_id",
      // gatehouse export: start and finish an export of the view marketing is granted, within its daily quota
      "gatehouse.export_finish",
      "gatehouse.export_start",
      "gatehouse.granted_rows",
      // the mask functions: immutable, plain, executable by PUBLIC (the twins are generated columns)
      "gatehouse.mask_date_to_month",
      "gatehouse.mask_email_domain",
      "gatehouse.mask_keep_first",
      "gatehouse.mask_keep_last",
      "gatehouse.mask_number_to_range",
      "gatehouse.mask_redact",
      "gatehouse.member_open_project_customers",
      "gatehouse.member_partner_shared_customers",
      "gatehouse.resolve_table",
      "gatehouse.select_for",
    ]);
    // no operation of the app schema (offboarding, approvals, claims, restores, reveals)
    expect(functions.filter((f) => f.startsWith("crm."))).toEqual([]);
  });

  test("mark cannot select from crm.customers (permission denied), though the rows exist", async () => {
    const refused = await crm.as(persona("mark", { channel: "web" }), (c) => refusal(c, "select id, region from crm.customers"));
    expect(refused).toEqual({ code: "42501", message: "permission denied for table customers" });
    expect(await crm.root((c) => column<number>(c, "select count(*)::int from crm.customers where consent_marketing"))).toEqual([
      9,
    ]);
  });

  test("mark reads exactly the export's rows through the view", async () => {
    expect(
      await crm.as(persona("mark", { channel: "web" }), (c) =>
        column<number>(c, "select id::int from crm.marketing_export order by id"),
      ),
    ).toEqual(customerExpectation("mark").ids);
  });
});

describe("the export's owner role", () => {
  test("has no login, no BYPASSRLS, is no superuser, and owns no table", async () => {
    const role = await crm.root((c) =>
      rows(
        c,
        `select rolcanlogin, rolbypassrls, rolsuper,
                array(select relkind::text || ' ' || relname from pg_class where relowner = r.oid and relkind in ('r', 'p', 'f', 'm')) as tables
           from pg_roles r where rolname = $1`,
        [owner],
      ),
    );
    expect(role).toEqual([{ rolcanlogin: false, rolbypassrls: false, rolsuper: false, tables: [] }]);
  });

  test("holds select on exactly the export's columns and those its condition reads, on crm.customers only", async () => {
    const held = await crm.root((c) => relationPrivileges(c, owner));
    expect(held).toEqual([
      { relation: "crm.customers", on_table: [], on_columns: ["select"] },
      // the owner of a view holds every privilege on it, as the owner of anything does
      {
        relation: "crm.marketing_export",
        on_table: ["select", "insert", "update", "delete", "truncate", "references", "trigger"],
        on_columns: ["select", "insert", "update", "references"],
      },
    ]);
    const columns = await crm.root((c) =>
      column<string>(
        c,
        "select column_name from information_schema.column_privileges where grantee = $1 and table_name = 'customers' order by column_name",
        [owner],
      ),
    );
    expect(columns).toEqual([
      "archived_at",
      "consent_marketing",
      "created_month",
      "deleted_at",
      "id",
      "industry",
      "region",
      "stage",
      "tier",
    ]);
  });

  test("mark cannot set role to the export's owner, nor can the authenticator a request runs under", async () => {
    const refused = await crm.as(persona("mark", { channel: "web" }), (c) => refusal(c, `set local role "${owner}"`));
    expect(refused).toEqual({ code: "42501", message: `permission denied to set role "${owner}"` });
    const asAuthenticator = await crm.as(persona("mark", { channel: "web" }), async (c) => {
      await c.query("reset role");
      return [await column(c, "select current_user::text"), await refusal(c, `set role "${owner}"`)];
    });
    expect(asAuthenticator).toEqual([
      [roleName(crm.app, crm.app.authenticator)],
      { code: "42501", message: `permission denied to set role "${owner}"` },
    ]);
  });

  test("a role-bound login of marketing cannot set role to the export's owner either", async () => {
    const login = await crm.login({ username: "mark", userId: 12, role: "marketing" });
    await expect(login.query(`set role "${owner}"`)).rejects.toMatchObject({
      code: "42501",
      message: `permission denied to set role "${owner}"`,
    });
    expect((await login.query("select id::int from crm.marketing_export order by id")).rows.map((r) => r.id)).toEqual(
      customerExpectation("mark").ids,
    );
    await expect(login.query("select id from crm.customers")).rejects.toMatchObject({ code: "42501" });
  });
});
