/**
 * The API server as its own process, for the fault tests that kill it: what `tsx server/main.ts` does, for the CRM
 * compiled under a test database's role prefix (`FAULT_ROLE_PREFIX`); everything else comes from the environment
 * as for `server/main.ts` (AUTHENTICATOR_DATABASE_URL, PORT, JWT_*). Run with `node -r tsx/cjs test/faults/serve.ts`.
 */
import { withRolePrefix } from "../../db";
import { crm } from "../../db/crm/roles";
import { serveUntilSignal } from "../../server";

const prefix = process.env.FAULT_ROLE_PREFIX;
if (!prefix) throw new Error("FAULT_ROLE_PREFIX is not set");
serveUntilSignal(withRolePrefix(crm, prefix), process.env).catch((error: unknown) => {
  console.error(`fault server: ${(error as Error).message}`);
  process.exit(1);
});
