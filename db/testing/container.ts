import type { TestCluster } from "./cluster";

/**
 * Whether a Docker-compatible container engine answers. Without one, testcontainers gives up
 * within milliseconds, so this is cheap to ask first.
 */
export async function containerEngineAnswers(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import("testcontainers");
  return getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
}

/**
 * Starts `postgres:17` with testcontainers; its superuser is `postgres`.
 *
 * @example
 * if (await containerEngineAnswers()) {
 *   const cluster = await startPostgresContainer();
 *   // ... use cluster.adminUrl
 *   await cluster.stop();
 * }
 */
export async function startPostgresContainer(): Promise<TestCluster> {
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:17")
    .withDatabase("postgres")
    .withUsername("postgres")
    .withPassword("gatehouse")
    .start();
  return {
    adminUrl: container.getConnectionUri(),
    source: "container",
    stop: async () => {
      await container.stop();
    },
  };
}
