/** Stops what globalSetup started (nothing when the cluster came from TEST_DATABASE_URL). */
export { globalTeardown as default } from "../../db/testing";
