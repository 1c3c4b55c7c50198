/**
 * A PostgreSQL cluster for a test run, reached as a superuser: what {@link provisionTestCluster} and
 * {@link startPostgresContainer} return.
 *
 * @example
 * const cluster: TestCluster = await provisionTestCluster();
 * process.env.GATEHOUSE_TEST_ADMIN_URL = cluster.adminUrl;
 * await cluster.stop();
 */
export interface TestCluster {
  /** Superuser URL; test databases are created from here. */
  adminUrl: string;
  /** `url`: given by `TEST_DATABASE_URL`; `container`: testcontainers; `embedded`: embedded PostgreSQL 17. */
  source: "url" | "container" | "embedded";
  /** Stops and removes what was started; does nothing for a cluster given by URL. */
  stop(): Promise<void>;
}
