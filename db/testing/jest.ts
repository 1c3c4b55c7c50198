import { TEST_ADMIN_URL_ENV } from "./database";
import type { TestCluster } from "./cluster";
import { provisionTestCluster } from "./provision";

/** Where {@link globalTeardown} finds the cluster (jest shares globals between the two, not with workers). */
const CLUSTER_KEY = Symbol.for("gatehouse.testCluster");

/**
 * A jest `globalSetup`: provisions the run's PostgreSQL cluster once ({@link provisionTestCluster}) and hands
 * its superuser URL to the workers through `GATEHOUSE_TEST_ADMIN_URL`, where `createTestDatabase` and
 * `createAppDatabase` find it.
 *
 * @example
 * // test/global-setup.ts, named by jest.config.js's globalSetup
 * export { globalSetup as default } from "gatehouse-rls/testing";
 */
export async function globalSetup(): Promise<void> {
  const cluster = await provisionTestCluster();
  (globalThis as Record<symbol, TestCluster>)[CLUSTER_KEY] = cluster;
  process.env[TEST_ADMIN_URL_ENV] = cluster.adminUrl;
}

/**
 * A jest `globalTeardown`: stops what {@link globalSetup} started (nothing when the cluster came from
 * `TEST_DATABASE_URL`).
 *
 * @example
 * // test/global-teardown.ts
 * export { globalTeardown as default } from "gatehouse-rls/testing";
 */
export async function globalTeardown(): Promise<void> {
  await (globalThis as Record<symbol, TestCluster | undefined>)[CLUSTER_KEY]?.stop();
}
