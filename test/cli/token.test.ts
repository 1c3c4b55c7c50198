import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { generateData } from "../../db/crm/generate";
import { crm as crmApp } from "../../db/crm/roles";
import { findUser, withClient } from "../../db";
import { createAppDatabase } from "../../db/testing";
import baseConfig from "../../gatehouse.config";
import { devToken, DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET } from "../../server";
import { CRM_SCHEMA_MIGRATION, column } from "../crm/crm-database";
import { openCrmApi, type CrmApi } from "../server/api";
import { configSource, runCli } from "./cli";

// `gatehouse token --user <username>` for a user who is not a persona of the config: a generated database
// (db/crm/generate.ts, as `gatehouse generate` fills it: users 1–7 head the units, 8–14 are staff, 15–40 are
// sales reps named sales_rep_<id>), looked up in crm.users with their roles from crm.user_roles. The API server
// runs on the development JWT settings, as `gatehouse serve` does, so the printed tokens are used as printed.

let api: CrmApi;
let folder: string;
let config: string;

beforeAll(async () => {
  const crm = await createAppDatabase({
    app: crmApp,
    migrations: [CRM_SCHEMA_MIGRATION],
    seed: (client) => generateData(client, { customers: 200, users: 40, depth: 3, grants: 10 }).then(() => {}),
  });
  api = await openCrmApi({ crm, auth: { secret: DEV_JWT_SECRET, audience: DEV_JWT_AUDIENCE, issuer: DEV_JWT_ISSUER } });
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-token-"));
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`app: { ...base.app, rolePrefix: ${JSON.stringify(crm.app.rolePrefix)} }`));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await api?.close();
  await api?.crm.close();
});

const token = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(["--config", config, "token", ...args], { DATABASE_URL: api.crm.db.url, ...env });
const prefixed = (role: string) => `${api.crm.app.rolePrefix}${role}`;
const OWN = "query Own($me: BigInt!) { allCustomers(condition: { ownerId: $me }, orderBy: PRIMARY_KEY_ASC) { nodes { rowId } } }";
const ownIds = async (bearer: string, me: number) => {
  const { status, data, errors } = await api.query<{ allCustomers: { nodes: { rowId: string }[] } }>(OWN, {
    token: bearer,
    variables: { me: String(me) },
  });
  expect({ status, errors }).toEqual({ status: 200, errors: undefined });
  return data!.allCustomers.nodes.map((n) => Number(n.rowId));
};
const ownedByRoot = (me: number, live: boolean) =>
  api.crm.root((c) =>
    column<number>(
      c,
      `select id::int from crm.customers where owner_id = $1 ${live ? "and deleted_at is null and archived_at is null" : ""} order by id`,
      [me],
    ),
  );

test("sales_rep_20, a generated user and no persona, gets a token as user 20 in sales_rep: the API shows them their live customers", async () => {
  const result = await token(["--user", "sales_rep_20"]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  const printed = result.stdout.trim();
  expect(decodeJwt(printed)).toMatchObject({
    sub: "20",
    role: prefixed("sales_rep"),
    aud: DEV_JWT_AUDIENCE,
    iss: DEV_JWT_ISSUER,
  });
  const live = await ownedByRoot(20, true);
  expect(live.length).toBeGreaterThan(0);
  expect(await ownIds(printed, 20)).toEqual(live);
});

test("sales_rep_21, frozen, gets a token with a warning, and the API shows it nothing although she owns customers", async () => {
  await api.crm.db.pool.query("update crm.users set status = 'frozen' where id = 21");
  try {
    const result = await token(["--user", "sales_rep_21"]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: "warning: sales_rep_21 is frozen, not active: the database will show this token nothing\n",
    });
    expect(decodeJwt(result.stdout.trim())).toMatchObject({ sub: "21", role: prefixed("sales_rep") });
    expect(await ownIds(result.stdout.trim(), 21)).toEqual([]);
    expect((await ownedByRoot(21, false)).length).toBeGreaterThan(0);
  } finally {
    await api.crm.db.pool.query("update crm.users set status = 'active' where id = 21");
  }
});

test("sales_rep_20 with --role finance, which the database says they do not hold, is signed with a warning and sees no contract", async () => {
  const result = await token(["--user", "sales_rep_20", "--role", "finance"]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({
    code: 0,
    stderr: "warning: sales_rep_20 does not hold finance: the database will show this token nothing\n",
  });
  expect(decodeJwt(result.stdout.trim())).toMatchObject({ sub: "20", role: prefixed("finance") });
  expect(await api.crm.root((c) => column(c, "select role from crm.user_roles where user_id = 20"))).toEqual(["sales_rep"]);
});

/** What the command does, in process (the tests above spawn the CLI; these check the messages of the same path). */
const inProcess = (user: string, options: { expires?: string } = {}, env: NodeJS.ProcessEnv = {}) => {
  const config = { ...baseConfig, app: api.crm.app };
  return devToken(config, { user, ...options }, env, (username) =>
    withClient(api.crm.db.url, (client) => findUser(client, config.app, { username })),
  );
};

test("an unknown username is refused with the nearest persona or user, or with the fix when none is near; nothing is printed", async () => {
  expect(await token(["--user", "sales_rep_2O"])).toEqual({
    code: 1,
    stdout: "",
    stderr:
      'gatehouse: no persona or user "sales_rep_2O" (neither in the config\'s personas nor in crm.users) (did you mean "sales_rep_20"?)\n',
  });
  await expect(inProcess("ritta")).rejects.toThrow(/\(did you mean "rita"\?\)$/);
  await expect(inProcess("zebulon_the_third")).rejects.toThrow(
    'no persona or user "zebulon_the_third" (neither in the config\'s personas nor in crm.users): pass the username of a persona or of a user in crm.users',
  );
});

test("the refusals stand for generated users: production, the published secret off loopback, a lifetime over the limit", async () => {
  // production is refused before the database is asked: this DATABASE_URL does not even resolve
  expect(
    await token(["--user", "sales_rep_20"], { GATEHOUSE_ENV: "production", DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" }),
  ).toEqual({
    code: 1,
    stdout: "",
    stderr: "gatehouse: development tokens are refused in production: tokens come from your identity provider\n",
  });
  await expect(inProcess("sales_rep_20", {}, { HOST: "0.0.0.0" })).rejects.toThrow(
    /^development tokens signed with the published secret are refused with HOST=0\.0\.0\.0/,
  );
  await expect(inProcess("sales_rep_20", { expires: "7d" })).rejects.toThrow(
    "--expires 7d is longer than the server allows: tokens live at most 24h (JWT_MAX_LIFETIME); pass --expires 24h or less",
  );
});
