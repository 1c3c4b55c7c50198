import { defineConfig } from "./db/config";
import { generateData } from "./db/crm/generate";
import { crm } from "./db/crm/roles";
import { isSeeded, PERSONAS, seedDemo } from "./db/crm/seed";

export default defineConfig({
  app: crm,
  output: { sql: "migrations/fixtures/crm-security.sql", matrix: "generated/access-matrix.md" },
  migrationsFolder: "migrations",
  databaseName: "gatehouse",
  seed: { isSeeded, run: seedDemo, logins: [{ username: "ana", role: "analyst", password: "ana" }] },
  personas: PERSONAS,
  featuredPersonas: ["rita", "sam", "suki"],
  generate: generateData,
});
