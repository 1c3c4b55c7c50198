import { TEST_ADMIN_URL_ENV } from "../../db/testing/database";
import type { TestCluster } from "../../db/testing/cluster";
import { provisionTestCluster } from "../../db/testing/provision";

/** Where globalTeardown finds the cluster (jest shares globals between the two, not with workers). */
export const CLUSTER_KEY = Symbol.for("gatehouse.testCluster");

/** Provisions the run's cluster once; workers inherit its URL through the environment. */
export default async function globalSetup(): Promise<void> {
  const cluster = await provisionTestCluster();
  (globalThis as Record<symbol, TestCluster>)[CLUSTER_KEY] = cluster;
  process.env[TEST_ADMIN_URL_ENV] = cluster.adminUrl;
}
