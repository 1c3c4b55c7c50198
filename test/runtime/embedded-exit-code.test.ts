import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const TSX = path.join(__dirname, "../../node_modules/tsx/dist/cli.mjs");
const EMBEDDED = path.join(__dirname, "../../db/runtime/embedded.ts");

/** Runs a TypeScript script with tsx in a child process; resolves to its exit status. */
function exitStatusOf(script: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, script], { timeout: 60_000 }, (error) => {
      resolve(error ? ((error as { code?: number }).code ?? -1) : 0);
    });
  });
}

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "gatehouse-exit-"));
});

afterAll(() => rm(folder, { recursive: true, force: true }));

test("a process that set exit code 1 still exits 1 with no embedded cluster involved (control)", async () => {
  const script = path.join(folder, "control.ts");
  await writeFile(script, "process.exitCode = 1;\n");
  expect(await exitStatusOf(script)).toBe(1);
});

/** A script that starts and stops an embedded cluster in the test's folder, then runs `then`. */
const usingEmbedded = (then: string) => `import { startEmbeddedPostgres } from ${JSON.stringify(EMBEDDED)};
(async () => {
  const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(folder, "pgdata"))}, durable: false });
  await pg.stop();
  ${then}
})();
`;

test("a process that used the embedded cluster and finished normally exits 0", async () => {
  const script = path.join(folder, "embedded-ok.ts");
  await writeFile(script, usingEmbedded(""));
  expect(await exitStatusOf(script)).toBe(0);
});

test("a process that started the embedded cluster twice exits 0", async () => {
  const script = path.join(folder, "embedded-twice.ts");
  await writeFile(
    script,
    usingEmbedded(`const again = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(folder, "pgdata"))}, durable: false });
  await again.stop();`),
  );
  expect(await exitStatusOf(script)).toBe(0);
});

test("a process that used the embedded cluster and set exit code 1 exits 1", async () => {
  const script = path.join(folder, "embedded-stale.ts");
  await writeFile(script, usingEmbedded('process.exitCode = 1; // what "gatehouse compile --check" does on a stale file'));
  expect(await exitStatusOf(script)).toBe(1);
});
