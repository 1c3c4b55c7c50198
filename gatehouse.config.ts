import codegen from "./codegen";
import { defineConfig } from "./db";
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
  generate: {
    flags: {
      customers: { description: "customers", default: 1_000_000 },
      users: { description: "users", default: 10_000 },
      depth: { description: "levels of the org tree", default: 6 },
      grants: { description: "temporary grants", default: 20_000 },
    },
    run: (client, { customers, users, depth, grants }, { progress }) =>
      generateData(client, { customers: customers!, users: users!, depth, grants: grants!, progress }),
  },
  schema: { codegen },
});
