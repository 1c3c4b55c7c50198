/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "commonjs" },
      },
    ],
    "/node_modules/jose/.+\\.js$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }],
  },
  // jose 6 is ESM-only and jest (before Node 24.9) cannot require ESM: compile it to CommonJS too.
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  // Provisions one PostgreSQL cluster per run; workers read its URL from GATEHOUSE_TEST_ADMIN_URL.
  globalSetup: "<rootDir>/test/setup/global-setup.ts",
  globalTeardown: "<rootDir>/test/setup/global-teardown.ts",
  testTimeout: 60_000,
};
