/**
 * SLOW (about two minutes: a build, `npm pack`, two `npm install`s from the npm cache or registry): the package
 * as a user gets it. The tarball is installed into a fresh npm project in a temporary folder outside the
 * repository; there `gatehouse init` scaffolds the clinic app, `migrate` and `compile` run on its embedded
 * PostgreSQL, the scaffold's own persona tests and type check pass, and `gatehouse start` serves an API that
 * answers as a persona. Nothing in the consumer is patched.
 */
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../db";

const ROOT = path.join(__dirname, "../..");
const INSTALL = ["--prefer-offline", "--no-audit", "--no-fund"];

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-pack-"));
  // as root, the embedded PostgreSQL runs as the OS user postgres, which must reach the app's folder
  await chmod(folder, 0o755);
});
afterAll(() => rm(folder, { recursive: true, force: true }));

/** A user's shell: no test cluster, no database settings, none of the npm_* variables `npm test` sets. */
function shellEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "0", NODE_ENV: "development", ...extra };
  for (const name of Object.keys(env))
    if (
      /^npm_/i.test(name) ||
      ["DATABASE_URL", "ROOT_DATABASE_URL", "TEST_DATABASE_URL", "GATEHOUSE_TEST_ADMIN_URL", "JEST_WORKER_ID"].includes(name)
    )
      delete env[name];
  return env;
}

/** Runs a command to its end and returns its stdout (and stderr, `withStderr`); rejects with everything it printed when it fails. */
function sh(
  cwd: string,
  command: string,
  args: readonly string[],
  extra: Record<string, string> = {},
  withStderr = false,
): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      command,
      args,
      { cwd, env: shellEnvironment(extra), timeout: 300_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout}\n${stderr}`))
          : resolve(withStderr ? stdout + stderr : stdout),
    ),
  );
}

test("the packed tarball installs into a new project, whose gatehouse init app migrates, compiles, passes its tests and serves its API", async () => {
  const packed = (await sh(ROOT, "npm", ["pack", "--pack-destination", folder, "--silent"])).trim().split("\n").pop()!;
  const tarball = path.join(folder, packed);
  expect(packed).toBe("gatehouse-rls-0.1.0.tgz");

  const app = path.join(folder, "clinic");
  await mkdir(app);
  await sh(app, "npm", ["init", "-y"]);
  await sh(app, "npm", ["install", tarball, ...INSTALL]);
  // only what users need is in the package: no tests, benchmarks, CRM app or TypeScript sources of the toolkit; the
  // access console's browser sources, which the server bundles with esbuild when it first serves /console/
  const shipped = await readdir(path.join(app, "node_modules/gatehouse-rls"));
  expect(shipped.sort()).toEqual(["README.md", "bin", "console", "db", "dist", "package.json"]);
  expect(await readdir(path.join(app, "node_modules/gatehouse-rls/db"))).toEqual(["cli"]);
  expect((await readdir(path.join(app, "node_modules/gatehouse-rls/dist/db"))).includes("crm")).toBe(false);

  expect(await sh(app, "npx", ["gatehouse", "init"])).toContain(`created a Gatehouse app in ${app}`);
  await sh(app, "npm", ["install", ...INSTALL]);
  const manifest = JSON.parse(await readFile(path.join(app, "package.json"), "utf8"));
  expect(manifest.dependencies).toEqual({ "gatehouse-rls": `file:${path.relative(app, tarball)}` });

  const port = { GATEHOUSE_EMBEDDED_PORT: String(await freePort()) };
  await sh(app, "npx", ["gatehouse", "migrate", "--committed-only"], port);
  expect(await sh(app, "npx", ["gatehouse", "compile"], port)).toBe(
    "wrote migrations/fixtures/clinic-security.sql, generated/access-matrix.md, migrations/fixtures/clinic-security.changes.sql\n",
  );
  await sh(app, "npx", ["gatehouse", "migrate"], port);

  // the scaffold's own tests, on the embedded PostgreSQL gatehouse-rls/testing starts, and its type check
  expect(await sh(app, "npm", ["test", "--", "--ci"], {}, true)).toMatch(/Tests: +4 passed, 4 total/);
  await sh(app, "npm", ["run", "typecheck"]);

  const apiPort = await freePort();
  const demo = spawn(process.execPath, [path.join(app, "node_modules/.bin/gatehouse"), "start", "--api-port", String(apiPort)], {
    cwd: app,
    env: shellEnvironment(port),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  demo.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => demo.on("close", resolve));
  try {
    for (const deadline = Date.now() + 120_000; !output.includes("Press Ctrl-C");) {
      if (demo.exitCode !== null || Date.now() > deadline) throw new Error(`gatehouse start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const token = (await sh(app, "npx", ["gatehouse", "token", "--user", "nurse_ben"])).trim();
    const response = await fetch(`http://127.0.0.1:${apiPort}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ allPatients(orderBy: ROW_ID_ASC) { nodes { rowId fullName phoneMasked } } }" }),
    });
    expect(await response.json()).toEqual({
      data: {
        allPatients: {
          nodes: [
            { rowId: "1", fullName: "Ann Lee", phoneMasked: "***********0101" },
            { rowId: "2", fullName: "Bo Chen", phoneMasked: "***********0102" },
          ],
        },
      },
    });
    // the installed package serves the access console, built from its shipped sources
    const script = await fetch(`http://127.0.0.1:${apiPort}/console/app.js`);
    expect([script.status, (await script.text()).length > 1_000]).toEqual([200, true]);
  } finally {
    demo.kill("SIGINT");
    await exited;
  }
}, 600_000);
