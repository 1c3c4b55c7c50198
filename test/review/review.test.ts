import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PoolClient } from "pg";
import {
  alertSettings,
  createRoleBoundLogin,
  failures,
  parseFailOn,
  readReview,
  renderHtml,
  renderMarkdown,
  reviewDocument,
  type Review,
} from "../../db";
import { ageRows, backToRoot, type AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { configSource, runCli } from "../cli/cli";

// `gatehouse review` (db/review/) on the CRM demo seed: read as the owner, in a rolled-back transaction where a test
// changes data, and through the real CLI for the exit codes.

let crm: AppTestDatabase;
let folder: string;
let config: string;

beforeAll(async () => {
  crm = await openCrmDatabase();
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-review-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await crm?.close();
});

const review = (client: PoolClient, inactiveDays = 90): Promise<Review> =>
  readReview(client, crm.app, { inactiveDays, alerts: alertSettings(undefined) });

/** olga (frozen) as the offboarding left her by mistake: a login that may still log in and a live grant. */
async function olgaKeepsAccess(c: PoolClient): Promise<void> {
  await c.query("update crm.users set status = 'active' where username = 'olga'");
  await c.query(`insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason)
    values (17, 'customers', 3, 'select', now() + interval '3 days', 3, 'cover for rita')`);
  await createRoleBoundLogin(c, crm.app, { username: "olga", userId: 17, role: "sales_rep", password: "olga-password" });
  await c.query("update crm.users set status = 'frozen' where username = 'olga'");
}

test("the demo seed's users by role and unit: every persona in their role, the frozen olga marked in sales_rep", async () => {
  const r = await crm.root(review);
  const byRole = Object.fromEntries(
    [...new Set(r.users.flatMap((u) => u.roles))].map((role) => [
      role,
      r.users.filter((u) => u.roles.includes(role)).map((u) => `${u.username}@${u.unit ?? "-"}${u.active ? "" : ` ${u.status}`}`),
    ]),
  );
  expect(byRole).toEqual({
    admin: ["adam@Acme"],
    analyst: ["ana@East"],
    auditor: ["aude@Acme"],
    director: ["dana@Acme"],
    finance: ["fiona@Acme"],
    intern: ["ian@East-1"],
    legal: ["lena@Acme"],
    marketing: ["mark@Acme"],
    partner: ["paul@-"],
    regional_manager: ["erin@East"],
    sales_rep: ["olga@East-1 frozen", "rick@East-1", "rita@East-1", "roy@East-2", "wendy@West-1"],
    supervisor: ["sam@East-1"],
    support: ["suki@Acme"],
  });
  const md = renderMarkdown(reviewDocument(r));
  expect(md).toContain("| sales_rep | 4 | East-1: olga (frozen), rick, rita; East-2: roy; West-1: wendy |");
  expect(md).toContain("## Drift\n\ndrift: not checked");
});

test("the seed's frozen olga holds nothing; given a login and a live grant, the review flags both and frozen-login / frozen-grant fail", async () => {
  expect((await crm.root(review)).frozen).toEqual([]);
  const r = await crm.root(async (c) => {
    await olgaKeepsAccess(c);
    return review(c);
  });
  expect(
    r.frozen.map((f) => ({
      user: f.user.username,
      logins: f.logins,
      grants: f.grants.map((g) => `${g.table} ${g.row} ${g.privilege}`),
    })),
  ).toEqual([{ user: "olga", logins: [`${crm.app.rolePrefix}login_olga`], grants: ["customers 3 select"] }]);
  expect(failures(r, parseFailOn("frozen-login,frozen-grant,drift"))).toEqual([
    { finding: "frozen-login", count: 1 },
    { finding: "frozen-grant", count: 1 },
  ]);
  // the root check: the login exists and may log in, the grant is live
  const root = await crm.root(async (c) => {
    await olgaKeepsAccess(c);
    return (
      await c.query(
        `select (select rolcanlogin from pg_roles where rolname = $1) as can_login,
        (select count(*)::int from crm.access_grants where grantee_id = 17 and expires_at > now()) as live`,
        [`${crm.app.rolePrefix}login_olga`],
      )
    ).rows[0];
  });
  expect(root).toEqual({ can_login: true, live: 1 });
});

test("inactive users: with nothing recorded every active user is inactive; a request recorded by the API, a write and a reveal make rita, sam and rick active", async () => {
  const everyone = await crm.root(review);
  expect(everyone.inactive.map((a) => [a.user.username, a.lastActivity, a.source])).toEqual(
    [
      "adam",
      "ana",
      "aude",
      "dana",
      "erin",
      "fiona",
      "ian",
      "lena",
      "mark",
      "paul",
      "rick",
      "rita",
      "roy",
      "sam",
      "suki",
      "wendy",
    ].map((u) => [u, null, null]),
  );
  const r = await crm.root(async (c) => {
    await c.query("set local role " + `${crm.app.rolePrefix}authenticator`);
    await c.query("select gatehouse.record_activity(4, $1, date_trunc('hour', now(), 'UTC'), 3)", [
      `${crm.app.rolePrefix}sales_rep`,
    ]);
    await c.query("reset role");
    await crm.actAs(c, { role: "supervisor", userId: 3 });
    await c.query("select crm.reveal_contacts_phone(4, 'a customer called back')");
    await crm.actAs(c, { role: "sales_rep", userId: 5 });
    await c.query("update crm.customers set name = name where owner_id = 5");
    await backToRoot(c);
    // dana's last trace is old: an audit row of hers moved 100 days back would be tampering; age an API hour instead
    await c.query("insert into gatehouse.activity values (1, $1, date_trunc('hour', now() - interval '100 days', 'UTC'), 1)", [
      `${crm.app.rolePrefix}director`,
    ]);
    return review(c);
  });
  const seen = (name: string) => r.inactive.find((a) => a.user.username === name);
  expect(r.inactive.map((a) => a.user.username)).toEqual([
    "adam",
    "ana",
    "aude",
    "dana",
    "erin",
    "fiona",
    "ian",
    "lena",
    "mark",
    "paul",
    "roy",
    "suki",
    "wendy",
  ]);
  expect(seen("dana")).toMatchObject({ source: "api" });
  expect(seen("dana")!.lastActivity!.getTime()).toBeLessThan(Date.now() - 99 * 86_400_000);
  expect(failures(r, ["inactive"])).toEqual([{ finding: "inactive", count: 13 }]);
  // a shorter threshold does not bring back the active ones, and dana's 100 days pass 90 but not 120
  const longer = await crm.root(async (c) => {
    await c.query("insert into gatehouse.activity values (1, $1, date_trunc('hour', now() - interval '100 days', 'UTC'), 1)", [
      `${crm.app.rolePrefix}director`,
    ]);
    return review(c, 120);
  });
  expect(longer.inactive.map((a) => a.user.username)).not.toContain("dana");
});

test("temporary grants: rick's live grant active, then expiring within 7 days once aged, and the expired one listed as expired", async () => {
  const grants = (r: Review) => ({
    active: r.grants.active.map((g) => `${g.grantee} ${g.table} ${g.row} by ${g.grantedBy}`),
    expiring: r.grants.expiring.map((g) => `${g.grantee} ${g.table} ${g.row} by ${g.grantedBy}`),
    expired: r.grants.expired.map((g) => `${g.grantee} ${g.table} ${g.row} by ${g.grantedBy}`),
  });
  expect(grants(await crm.root(review))).toEqual({
    active: ["rick customers 8 by erin"],
    expiring: [],
    expired: ["rick customers 10 by erin"],
  });
  const aged = await crm.root(async (c) => {
    await ageRows(c, { table: "crm.access_grants", columns: ["expires_at"], by: "25 days", where: { id: 1 } });
    return review(c);
  });
  expect(grants(aged)).toEqual({ active: [], expiring: ["rick customers 8 by erin"], expired: ["rick customers 10 by erin"] });
  expect(failures(aged, parseFailOn("expiring-grants"))).toEqual([{ finding: "expiring-grants", count: 1 }]);
  expect(failures(await crm.root(review), parseFailOn("expiring-grants"))).toEqual([]);
});

test("who reads personal data: contacts' phone raw for directors up, by row for reps, supervisors and regional managers, masked only for intern, support and analyst, revealed by supervisors up", async () => {
  const r = await crm.root(review);
  expect(
    r.personal.map((p) => [
      `${p.table}.${p.column}`,
      p.raw,
      p.byRow.map((b) => b.role),
      p.masked,
      p.reveal,
      p.views.map((v) => `${v.view} ${v.shows} ${v.roles}`),
    ]),
  ).toEqual([
    [
      "contacts.phone",
      ["director", "admin", "auditor"],
      ["sales_rep", "supervisor", "regional_manager"],
      ["intern", "support", "analyst"],
      ["supervisor", "regional_manager", "director"],
      [],
    ],
    [
      "contacts.email",
      ["director", "admin", "auditor"],
      ["sales_rep", "supervisor", "regional_manager"],
      ["intern", "support", "analyst"],
      [],
      [],
    ],
    [
      "contacts.id_number", // encrypted at rest: read raw by nobody, masked by every reader, revealed by supervisors up
      [],
      [],
      ["sales_rep", "intern", "supervisor", "regional_manager", "director", "support", "analyst", "admin", "auditor"],
      ["supervisor", "regional_manager", "director"],
      [],
    ],
    [
      "customers.created_at",
      ["sales_rep", "intern", "supervisor", "regional_manager", "director", "finance", "analyst", "admin", "auditor"],
      [],
      [],
      [],
      ["marketing_export masked marketing"],
    ],
  ]);
  // the root check of one "masked only": support holds select on phone_masked, not on phone
  const privileges = await crm.root(
    async (c) =>
      (
        await c.query(
          "select has_column_privilege($1, 'crm.contacts', 'phone', 'select') as raw, has_column_privilege($1, 'crm.contacts', 'phone_masked', 'select') as masked",
          [`${crm.app.rolePrefix}support`],
        )
      ).rows[0],
  );
  expect(privileges).toEqual({ raw: false, masked: true });
});

test("the HTML page is self-contained (inline style, no script, no http(s) URL) and escapes what it shows; the Markdown flags sections with findings", async () => {
  const r = await crm.root(async (c) => {
    await c.query("update crm.access_grants set reason = '<script>alert(1)</script> & co' where id = 1");
    return review(c);
  });
  const html = renderHtml(reviewDocument(r));
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain("<style>");
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toMatch(/<script|<link|<img|src=/i);
  expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co");
  expect(html).toContain('<h2 class="flag">Users inactive for more than 90 days</h2>');
  const md = renderMarkdown(reviewDocument(r));
  expect(md.match(/^## .*$/gm)).toEqual([
    "## Users by role and unit",
    "## Frozen users still holding access",
    "## ⚠ Users inactive for more than 90 days",
    "## Temporary grants",
    "## Who can read personal data",
    "## Role-bound logins (BI tools, psql)",
    "## Drift",
    "## Anomaly alerts (last 24h)",
  ]);
});

test("gatehouse review: --fail-on refuses an unknown finding naming the valid ones; html to a file, exit 1 on inactive and 0 on frozen-login", async () => {
  const env = { DATABASE_URL: crm.db.url };
  const unknown = await runCli(["--config", config, "review", "--fail-on", "drift,frozen-logins"], env);
  expect(unknown).toEqual({
    code: 1,
    stdout: "",
    stderr:
      'gatehouse: --fail-on: no finding "frozen-logins" (did you mean "frozen-login"?); the findings are drift, frozen-login, frozen-grant, inactive, expiring-grants, alerts\n',
  });
  const out = path.join(folder, "review.html");
  const failing = await runCli(
    ["--config", config, "review", "--format", "html", "--out", out, "--fail-on", "frozen-login,inactive"],
    env,
  );
  expect(failing).toEqual({ code: 1, stdout: `wrote the access review to ${out}\n`, stderr: "review: found inactive (16)\n" });
  expect(await readFile(out, "utf8")).toContain("<td>rick</td><td>customers 8</td><td>select</td>");
  const passing = await runCli(["--config", config, "review", "--fail-on", "frozen-login,expiring-grants"], env);
  expect(passing.code).toBe(0);
  expect(passing.stdout).toMatch(/^# Access review\n/);
});

test("gatehouse review: a stray grant to PUBLIC is in the drift section (as gatehouse check names it), and --fail-on drift exits 1", async () => {
  const env = { DATABASE_URL: crm.db.url };
  const clean = await runCli(["--config", config, "review", "--fail-on", "drift"], env);
  expect(clean.code).toBe(0);
  expect(clean.stdout).toContain("## Drift\n\nNone: the database matches the definitions.");
  const owner = await crm.db.pool.connect();
  try {
    await owner.query("grant select on crm.users to public");
    const drifted = await runCli(["--config", config, "review", "--fail-on", "drift"], env);
    expect(drifted.code).toBe(1);
    expect(drifted.stderr).toBe("review: found drift (1)\n");
    expect(drifted.stdout).toMatch(
      /## ⚠ Drift\n[\s\S]*\| privilege \| select on crm\.users to PUBLIC \| grant not in the definitions \|/,
    );
  } finally {
    await owner.query("revoke select on crm.users from public");
    owner.release();
  }
});
