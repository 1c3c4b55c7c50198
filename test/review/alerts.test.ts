import type { PoolClient } from "pg";
import { alertSettings, readAlerts, type AlertReport, type AlertSettingsInput } from "../../db";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { configSource, runCli } from "../cli/cli";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

// Anomaly alerts (db/review/alerts.ts) with generated activity: API requests recorded through record_activity,
// reveals, pool claims, exports and bulk updates made by personas through the generated functions, in rolled-back
// transactions; the CLI on committed activity.

let crm: AppTestDatabase;
let folder: string;
let config: string;

beforeAll(async () => {
  crm = await openCrmDatabase();
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-alerts-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await crm?.close();
});

const alerts = (c: PoolClient, input: AlertSettingsInput = {}) => readAlerts(c, crm.app, alertSettings(input));
const flagged = (r: AlertReport) =>
  r.alerts.map((a) => `${a.metric} ${a.username} ${a.role} ${a.value} ${a.reason} median ${a.median}`);
const role = (name: string) => `${crm.app.rolePrefix}${name}`;

/** `requests` API requests of user `id` in role `name` this hour, recorded as the server records them. */
async function requests(c: PoolClient, id: number, name: string, count: number): Promise<void> {
  await c.query(`set local role ${role("authenticator")}`);
  await c.query("select gatehouse.record_activity($1, $2, date_trunc('hour', now(), 'UTC'), $3)", [id, role(name), count]);
  await c.query("reset role");
}

/** sam's two new colleagues in the supervisor role, so sam has peers. */
async function moreSupervisors(c: PoolClient): Promise<void> {
  await c.query(`insert into crm.users (id, username, full_name, unit_id) values (100, 'sue', 'Sue', 4), (101, 'sid', 'Sid', 4)`);
  await c.query(`insert into crm.user_roles values (100, 'supervisor'), (101, 'supervisor')`);
}

/** Contacts of a non-VIP East-1 customer: in every East-1 supervisor's reveal scope. */
const revealable = (c: PoolClient) =>
  c
    .query(
      `select c.id from crm.contacts c join crm.customers cu on cu.id = c.customer_id
             where cu.unit_id = 4 and cu.tier <> 'vip' and cu.deleted_at is null order by c.id limit 1`,
    )
    .then((r) => Number(r.rows[0].id));

test("quiet data: no alert, and gatehouse alerts says so and exits 0", async () => {
  expect(await crm.root((c) => alerts(c))).toEqual({
    settings: { window: "24h", windowSeconds: 86_400, multiple: 5, minimum: 10, bulkRows: 100, limits: {} },
    alerts: [],
    unavailable: [],
  });
  const result = await runCli(["--config", config, "alerts"], { DATABASE_URL: crm.db.url });
  expect(result.code).toBe(0);
  expect(result.stdout.split("\n")[0]).toBe("no alerts in the last 24h");
});

test("rita's 120 requests against her fellow sales reps' 8 to 12, and sam's 12 reveals against 1 and 0, are flagged by the multiple of the role's median; the peers are not", async () => {
  const report = await crm.root(async (c) => {
    await moreSupervisors(c);
    for (const [id, count] of [
      [4, 120],
      [5, 10],
      [6, 12],
      [7, 8],
    ] as const)
      await requests(c, id, "sales_rep", count);
    const contact = await revealable(c);
    await crm.actAs(c, { role: "supervisor", userId: 3 });
    for (let i = 0; i < 12; i++) await c.query("select crm.reveal_contacts_phone($1, 'checking a number')", [contact]);
    await crm.actAs(c, { role: "supervisor", userId: 100 });
    await c.query("select crm.reveal_contacts_phone($1, 'once')", [contact]);
    await backToRoot(c);
    return { normal: await alerts(c), lenient: await alerts(c, { multiple: 20 }), below: await alerts(c, { minimum: 200 }) };
  });
  expect(flagged(report.normal)).toEqual([
    "requests rita sales_rep 120 multiple median 11",
    "reveals sam supervisor 12 multiple median 1",
  ]);
  expect(report.normal.alerts.map((a) => a.message)).toEqual([
    "rita (sales_rep): 120 API requests in 24h, over 5 × the median of sales_rep (11)",
    "sam (supervisor): 12 reveals in 24h, over 5 × the median of supervisor (1)",
  ]);
  expect(flagged(report.lenient)).toEqual([]);
  expect(flagged(report.below)).toEqual([]);
  // the root check: the reveals are in the audit trail under sam's id
  const reveals = await crm.root(async (c) => {
    const contact = await revealable(c);
    await crm.actAs(c, { role: "supervisor", userId: 3 });
    await c.query("select crm.reveal_contacts_phone($1, 'checking a number')", [contact]);
    await backToRoot(c);
    return (await c.query("select user_id::int, acting_role::text from gatehouse.audit_log where operation = 'reveal'")).rows;
  });
  expect(reveals).toEqual([{ user_id: 3, acting_role: role("supervisor") }]);
});

test("absolute limits: rick's second pool claim, mark's third export and rita's transaction updating more than bulkRows rows (two updates of her 3 customers) are flagged; roy's single claim and rick's 3 claim updates are not", async () => {
  const report = await crm.root(async (c) => {
    await crm.actAs(c, { role: "sales_rep", userId: 5 });
    await c.query("select crm.claim_customer(16)");
    await c.query("select crm.release_customer(16)");
    await c.query("select crm.claim_customer(16)");
    await crm.actAs(c, { role: "sales_rep", userId: 6 });
    await c.query("select crm.claim_customer(17)");
    await crm.actAs(c, { role: "marketing", userId: 12 });
    for (let i = 0; i < 3; i++) await c.query("select gatehouse.export_start('marketing_export', 'csv', 1)");
    await crm.actAs(c, { role: "sales_rep", userId: 4 });
    const updated = await c.query("update crm.customers set name = name || '' where owner_id = 4 and deleted_at is null");
    await c.query("update crm.customers set name = name || '' where owner_id = 4 and deleted_at is null");
    await backToRoot(c);
    return {
      rows: updated.rowCount,
      report: await alerts(c, { bulkRows: 4, limits: { claims: 1, exports: 2, bulk_updates: 0 } }),
      defaults: await alerts(c),
    };
  });
  expect(report.rows).toBe(3);
  expect(flagged(report.report)).toEqual([
    "exports mark marketing 3 limit median 3",
    "claims rick sales_rep 2 limit median 0.5",
    "bulk_updates rita sales_rep 1 limit median 0",
  ]);
  expect(report.report.alerts.map((a) => a.message)).toEqual([
    "mark (marketing): 3 exports in 24h, above the limit of 2",
    "rick (sales_rep): 2 pool claims in 24h, above the limit of 1",
    "rita (sales_rep): 1 bulk updates in 24h, above the limit of 0",
  ]);
  expect(flagged(report.defaults)).toEqual([]);
});

test("gatehouse alerts on committed activity: --json lists rita's requests and exits 1; --limit names an unknown metric's fix", async () => {
  const client = await crm.db.pool.connect();
  try {
    for (const [id, count] of [
      [4, 300],
      [5, 10],
      [6, 12],
      [7, 8],
    ] as const)
      await client.query("select gatehouse.record_activity($1, $2, date_trunc('hour', now(), 'UTC'), $3)", [
        id,
        role("sales_rep"),
        count,
      ]);
  } finally {
    client.release();
  }
  const env = { DATABASE_URL: crm.db.url };
  const result = await runCli(["--config", config, "alerts", "--json", "--window", "2h"], env);
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout) as AlertReport;
  expect(report.settings.window).toBe("2h");
  expect(report.alerts.map((a) => [a.metric, a.username, a.value, a.median])).toEqual([["requests", "rita", 300, 11]]);
  const refused = await runCli(["--config", config, "alerts", "--limit", "request=5"], env);
  expect(refused).toEqual({
    code: 1,
    stdout: "",
    stderr:
      'gatehouse: no alert metric "request" (did you mean "requests"?): the metrics are requests, exports, reveals, claims, bulk_updates\n',
  });
});

test("thresholds: the flags over the config over the defaults; a bad window, threshold or metric is refused naming the fix", () => {
  expect(alertSettings({ window: "7d", multiple: 3, limits: { reveals: 50 } }, { multiple: 4, limits: { exports: 0 } })).toEqual({
    window: "7d",
    windowSeconds: 604_800,
    multiple: 4,
    minimum: 10,
    bulkRows: 100,
    limits: { reveals: 50, exports: 0 },
  });
  expect(() => alertSettings({ window: "1w" })).toThrow(
    'the alerts window must be a whole number of min, h or d, such as 30min, 24h or 7d, not "1w"',
  );
  expect(() => alertSettings({ multiple: 0 })).toThrow("the alerts multiple must be a positive number, not 0");
  expect(() => alertSettings({ limits: { reveal: 5 } as never })).toThrow(
    'no alert metric "reveal" (did you mean "reveals"?): the metrics are requests, exports, reveals, claims, bulk_updates',
  );
});
