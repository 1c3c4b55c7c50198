/**
 * `gatehouse-rls/testing`: helpers for an app's own jest suite, against a real PostgreSQL. A run provisions
 * one cluster ({@link globalSetup}: `TEST_DATABASE_URL`, else a container when Docker answers and
 * testcontainers is installed, else embedded PostgreSQL 17); each test file creates its own database with
 * the app compiled in it ({@link createAppDatabase}) and acts as personas in rolled-back transactions.
 *
 * @example
 * const clinicDb = await createAppDatabase({ app: clinic, migrations: ["migrations/committed/000001-clinic-schema.sql"], seed });
 * const rows = await clinicDb.as({ role: "nurse", userId: 2 }, (c) => c.query("select id from clinic.patients"));
 * const hidden = await clinicDb.root((c) => c.query("select id from clinic.patients where ward_id <> 1"));
 */
export { createAppDatabase, type AppTestDatabase } from "./app-database";
export { createTestDatabase, TEST_ADMIN_URL_ENV, type TestDatabase, type TestDatabaseOptions } from "./database";
export {
  actAs,
  backToRoot,
  asPersona,
  asRoot,
  openLogin,
  runInRolledBackTransaction,
  type ActAsOptions,
  type Persona,
  type LoginOptions,
} from "./persona";
export { attempt, refusal, isRefusal, type Outcome, type Refusal } from "./attempt";
export { expectRowSecurityEverywhere, rowSecurityOffenders, type RowSecurityOffender } from "./row-security";
export { ageRows, type AgeRowsOptions } from "./clock";
export type { TestCluster } from "./cluster";
export { provisionTestCluster } from "./provision";
export { globalSetup, globalTeardown } from "./jest";
