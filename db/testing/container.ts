import type { TestCluster } from "./cluster";

/** Whether `testcontainers` and `@testcontainers/postgresql` (optional peer dependencies) are installed. */
function containersInstalled(): boolean {
  try {
    require.resolve("testcontainers");
    require.resolve("@testcontainers/postgresql");
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a Docker-compatible container engine answers (false when testcontainers is not installed). Without
 * one, testcontainers gives up within milliseconds, so this is cheap to ask first.
 */
export async function containerEngineAnswers(): Promise<boolean> {
  if (!containersInstalled()) return false;
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
  if (!containersInstalled())
    throw new Error(
      "a PostgreSQL container needs testcontainers: npm install -D testcontainers @testcontainers/postgresql (or set TEST_DATABASE_URL, or let the tests use embedded PostgreSQL)",
    );
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
