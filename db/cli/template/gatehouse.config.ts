import { defineConfig } from "gatehouse-rls";
import { clinic } from "./db/roles";
import { isSeeded, PERSONAS, seed } from "./db/seed";

export default defineConfig({
  app: clinic,
  // the generated SQL (included by migrations/current.sql) and the access matrix: commit both
  output: { sql: "migrations/fixtures/clinic-security.sql", matrix: "generated/access-matrix.md" },
  migrationsFolder: "migrations",
  // the database `gatehouse start` creates in the embedded PostgreSQL when DATABASE_URL is unset
  databaseName: "clinic",
  seed: { isSeeded, run: seed },
  personas: PERSONAS,
});
