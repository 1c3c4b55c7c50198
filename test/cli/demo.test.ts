import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { EMBEDDED_SUPERUSER_PASSWORD } from "../../db";
import { configSource, freePort, runCli, spawnCli, type CliProcess } from "./cli";

// The edit loop the README teaches, on an embedded cluster of this file's own (its own data directory and port):
// `npm start` in one terminal, the other commands in a second one.

let folder: string;
let dataDir: string;
let pgPort: number;
let apiPort: number;
let config: string;
let demo: CliProcess | undefined;

const ownerUrl = () => `postgres://postgres:${EMBEDDED_SUPERUSER_PASSWORD}@127.0.0.1:${pgPort}/gatehouse`;
const asOwner = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: ownerUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};
const canLogIn = async (user: string, password: string) => {
  const client = new Client({ connectionString: `postgres://${user}:${password}@127.0.0.1:${pgPort}/gatehouse` });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
};
/** The ids of rows, in numeric order (the printed examples have no order by). */
const byId = (rows: { id: string }[]) => rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
const postmasterRunning = () => existsSync(path.join(dataDir, "postmaster.pid"));

async function startDemo(env: Record<string, string | undefined> = {}): Promise<CliProcess> {
  const started = spawnCli(["--config", config, "start", "--api-port", String(apiPort)], env);
  await started.waitFor("Press Ctrl-C");
  return started;
}

async function ritaSeesCustomers(): Promise<unknown> {
  const token = await runCli(["--config", config, "token", "--user", "rita"]);
  expect(token.code).toBe(0);
  const response = await fetch(`http://127.0.0.1:${apiPort}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token.stdout.trim()}` },
    body: JSON.stringify({ query: "{ allCustomers(orderBy: ROW_ID_ASC) { nodes { rowId } } }" }),
  });
  return ((await response.json()) as { data: { allCustomers: { nodes: { rowId: string }[] } } }).data.allCustomers.nodes.map(
    (n) => n.rowId,
  );
}

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-demo-"));
  dataDir = path.join(folder, "pgdata");
  [pgPort, apiPort] = [await freePort(), await freePort()];
  config = path.join(folder, "gatehouse.config.ts");
  await writeFile(config, configSource(`embedded: { dataDir: ${JSON.stringify(dataDir)}, port: ${pgPort} }`));
});

afterAll(async () => {
  if (demo && demo.child.exitCode === null) await demo.interrupt();
  await rm(folder, { recursive: true, force: true });
}, 60_000);

test("the demo starts on a fresh data directory and prints one screen", async () => {
  demo = await startDemo();
  const screen = demo.stdout;
  expect(screen).toContain(`PostgreSQL 17 (embedded)  ${ownerUrl()}`);
  expect(screen).toContain(
    `GraphQL API  http://127.0.0.1:${apiPort}/graphql   Ruru: http://127.0.0.1:${apiPort}/graphiql?as=<username>`,
  );
  expect(screen).toMatch(/development mode on 127\.0\.0\.1: .*Not for a reachable server\./);
  expect(screen).toContain(`Access console  http://127.0.0.1:${apiPort}/console/`);
  expect(screen.match(/^As [a-z]+ \(/gm)).toEqual(["As rita (", "As sam (", "As suki ("]);
  expect(screen).toContain(
    `Every persona (17) with its token, queries and psql session: ${path.relative(path.join(__dirname, "../.."), path.join(folder, "personas.md"))}`,
  );
  expect(screen.split("\n").length).toBeLessThanOrEqual(45);
  expect(screen).not.toMatch(/db\/crm|roles\.ts/);
  const personas = await readFile(path.join(folder, "personas.md"), "utf8");
  expect(personas.match(/^## /gm)).toHaveLength(18); // 17 personas and ana's login
});

test("the demo's access console signs rita in as a persona and explains her own row, on loopback in development", async () => {
  const api = `http://127.0.0.1:${apiPort}/console/api`;
  const demoInfo = (await (await fetch(`${api}/demo`)).json()) as { personas: unknown[] };
  const tools = (await (await fetch(`${api}/tools`)).json()) as { explain: boolean; reviewers: string[] };
  expect({ personas: demoInfo.personas.length, explain: tools.explain, reviewers: tools.reviewers }).toEqual({
    personas: 17,
    explain: true,
    reviewers: ["crm_admin", "crm_auditor"],
  });
  const signed = await fetch(`${api}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "rita" }),
  });
  const { token } = (await signed.json()) as { token: string };
  const why = await fetch(`${api}/explain`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ table: "customers", row: "2" }),
  });
  expect(((await why.json()) as { answer: string }).answer).toMatch(/^rita can see customers 2 as sales_rep because/);
  const review = await fetch(`${api}/review`, { headers: { Authorization: `Bearer ${token}` } });
  expect(review.status).toBe(403);
});

test("while the demo runs, compile --check, migrate and seed from a second terminal leave its database up", async () => {
  const compile = await runCli(["--config", config, "compile", "--check"]);
  expect(compile).toMatchObject({ code: 0, stdout: "generated files are up to date\n" });
  const migrate = await runCli(["--config", config, "migrate"]);
  expect(migrate.code).toBe(0);
  expect(migrate.stderr).not.toContain("PgPool");
  const seed = await runCli(["--config", config, "seed"]);
  expect(seed).toMatchObject({
    code: 0,
    stdout:
      "already seeded; nothing loaded\ndemo login ana not created: crm_login_ana exists; its password and mapping are left as they are\n",
  });
  const health = await fetch(`http://127.0.0.1:${apiPort}/health`);
  expect(health.status).toBe(200);
  expect(await ritaSeesCustomers()).toEqual(["1", "2", "3", "11", "16", "17", "18"]);
});

test("Ruru at /graphiql?as=sam opens with sam's token and a first query; an unknown name opens it empty", async () => {
  const page = async (query: string) => (await fetch(`http://127.0.0.1:${apiPort}/graphiql${query}`)).text();
  const config = (html: string) => JSON.parse(/const RURU_CONFIG = (\{[\s\S]*?\});/.exec(html)![1]!) as Record<string, string>;
  const sam = config(await page("?as=sam"));
  expect(sam.initialQuery).toBe("# sam (supervisor, East-1)\n{ allCustomers { nodes { rowId name industry region } } }\n");
  const token = /^Bearer (.+)$/.exec(JSON.parse(sam.initialHeaders!).Authorization)![1]!;
  expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())).toMatchObject({
    sub: "3",
    role: "crm_supervisor",
  });
  expect(config(await page("?as=nobody"))).not.toHaveProperty("initialHeaders");
  expect(config(await page(""))).not.toHaveProperty("initialQuery");
});

test("the printed psql example works for rita, where select * is refused on crm.customers and reads her role's schema", async () => {
  const example = /^  (select .* from crm\.customers;)$/m.exec(demo!.stdout)?.[1];
  expect(example).toBe("select id, name, industry, region, tier from crm.customers;");
  const psqlUrl = /^  psql "(postgres:\/\/crm_authenticator:[^"]+)"$/m.exec(demo!.stdout)![1]!;
  const as = async (statement: string) => {
    const client = new Client({ connectionString: psqlUrl });
    await client.connect();
    try {
      await client.query("begin");
      try {
        await client.query("set local role crm_sales_rep");
        await client.query("select set_config('jwt.claims.user_id', '4', true)");
        return (await client.query(statement)).rows;
      } finally {
        await client.query("rollback");
      }
    } finally {
      await client.end();
    }
  };
  expect(byId(await as(example!))).toEqual(["1", "2", "3", "11", "16", "17", "18"]);
  await expect(as("select * from crm.customers")).rejects.toThrow("permission denied for table customers");
  expect(demo!.stdout).toContain("-- select * from crm_sales_rep.<table> reads exactly what the role may");
  const star = await as("select * from crm_sales_rep.customers");
  expect(byId(star)).toEqual(["1", "2", "3", "11", "16", "17", "18"]);
  expect(Object.keys(star[0]!)).not.toContain("created_month");
});

test("the demo gave the authenticator and ana their demo passwords when it created them", async () => {
  expect(await canLogIn("crm_authenticator", "authenticator")).toBe(true);
  expect(await canLogIn("crm_login_ana", "ana")).toBe(true);
});

test("ana's psql line in the personas file works as her role-bound login", async () => {
  const personas = await readFile(path.join(folder, "personas.md"), "utf8");
  const [, url, statement] = /^  psql "(postgres:\/\/crm_login_ana:[^"]+)" -c "([^"]+)"$/m.exec(personas)!;
  expect(statement).toBe("select id, industry, region, tier, stage from crm.customers;");
  const ana = new Client({ connectionString: url });
  await ana.connect();
  try {
    expect(personas).toContain("# or select * from <table>: its search_path starts with crm_analyst");
    expect(byId((await ana.query("select * from customers")).rows)).toEqual(byId((await ana.query(statement!)).rows));
    expect(byId((await ana.query(statement!)).rows)).toEqual([
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
      "10",
      "15",
      "16",
      "17",
      "19",
      "20",
    ]);
  } finally {
    await ana.end();
  }
});

test("Ctrl-C stops the demo and its PostgreSQL, exiting 0", async () => {
  const result = await demo!.interrupt();
  expect(result.code).toBe(0);
  expect(postmasterRunning()).toBe(false);
});

test("migrate alone starts the cluster, applies, stops it and exits 0 without a PgPool error", async () => {
  const migrate = await runCli(["--config", config, "migrate"]);
  expect(migrate.stderr).not.toContain("PgPool");
  expect(migrate.code).toBe(0);
  expect(postmasterRunning()).toBe(false);
});

test("a config without seed: seed names the missing setting, not a PgPool error", async () => {
  const noSeed = path.join(folder, "no-seed.config.ts");
  await writeFile(noSeed, configSource(`embedded: { dataDir: ${JSON.stringify(dataDir)}, port: ${pgPort} }, seed: undefined`));
  const seed = await runCli(["--config", noSeed, "seed"]);
  expect(seed).toMatchObject({
    code: 1,
    stderr: "gatehouse: the config has no seed: add seed: { isSeeded, run } to defineConfig(...)\n",
  });
  expect(postmasterRunning()).toBe(false);
});

test("a cluster left running by a killed demo is stale: the next command replaces it and exits 0", async () => {
  const killed = await startDemo();
  killed.child.kill("SIGKILL");
  await killed.exited;
  expect(postmasterRunning()).toBe(true); // the orphaned postgres still holds the directory
  const seed = await runCli(["--config", config, "seed"]);
  expect(seed.code).toBe(0);
  expect(postmasterRunning()).toBe(false);
});

test("a restarted demo keeps passwords someone changed, and ana's mapping", async () => {
  demo = await startDemo();
  await asOwner(async (client) => {
    await client.query("alter role crm_authenticator password 'changed-authenticator'");
    await client.query("alter role crm_login_ana password 'changed-ana'");
    await client.query("update gatehouse.logins set user_id = '2' where login = 'crm_login_ana'");
  });
  await demo.interrupt();
  const refused = spawnCli(["--config", config, "start", "--api-port", String(apiPort)]);
  const result = await refused.exited;
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    "cannot connect to PostgreSQL at 127.0.0.1:" +
      pgPort +
      ' (the authenticator\'s password, AUTHENTICATOR_PASSWORD): password authentication failed for user "crm_authenticator"',
  );
  demo = await startDemo({ AUTHENTICATOR_PASSWORD: "changed-authenticator" });
  expect(await canLogIn("crm_authenticator", "authenticator")).toBe(false);
  expect(await canLogIn("crm_authenticator", "changed-authenticator")).toBe(true);
  expect(await canLogIn("crm_login_ana", "ana")).toBe(false);
  expect(await canLogIn("crm_login_ana", "changed-ana")).toBe(true);
  expect(
    await asOwner(async (c) => (await c.query("select user_id from gatehouse.logins where login = 'crm_login_ana'")).rows),
  ).toEqual([{ user_id: "2" }]);
  expect((await demo.interrupt()).code).toBe(0);
});
