/** Provisions the run's cluster once (the toolkit's own jest globalSetup, as users get it from gatehouse-rls/testing). */
export { globalSetup as default } from "../../db/testing";
