import type { TestCluster } from "../../db/testing/cluster";
import { CLUSTER_KEY } from "./global-setup";

/** Stops what globalSetup started (nothing when the cluster came from TEST_DATABASE_URL). */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as Record<symbol, TestCluster | undefined>)[CLUSTER_KEY]?.stop();
}
