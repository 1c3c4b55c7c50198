import { Pool, type PoolClient } from "pg";
import {
  alertSettings,
  checkDrift,
  compileAgainst,
  explainAccess,
  findUser,
  readReview,
  reviewDocument,
  type AppDefinition,
  type PersonaInfo,
} from "../../db";
import {
  consoleExplanation,
  DEFAULT_INACTIVE_DAYS,
  reviewerDatabaseRoles,
  signedInAs,
  type ConsoleReviewSettings,
  type ConsoleTools,
} from "./tools";

/**
 * What the access console offers in development on a loopback address only (`gatehouse start` passes one; nothing
 * else does): the personas to sign in as, and a development token for one of them.
 */
export interface ConsoleDemo {
  readonly personas: readonly PersonaInfo[];
  /** A development token for a persona of `personas`; undefined for any other username. */
  token(username: string): Promise<string | undefined>;
}

/**
 * The console's tools on the database owner's connection (a superuser, which the development database's is), for
 * `gatehouse start`: `explain` for the identity's own user and role only, answering only about a row that identity
 * may select — a row it cannot see gets the same `undefined` as a row that does not exist, so nothing about hidden
 * rows leaks; the access matrix with `gatehouse check`'s whole drift; the access review; and whether a token's user is
 * active and holds its role. `close` ends its pool. Production uses `authenticatorConsoleTools`, which needs no owner.
 *
 * @example
 * const tools = ownerConsoleTools(app, "postgres://postgres@127.0.0.1:54329/clinic");
 * await tools.explain({ role: "clinic_doctor", userId: "4", channel: null }, "patients", "42");
 */
export function ownerConsoleTools(app: AppDefinition, ownerUrl: string, settings: ConsoleReviewSettings = {}): ConsoleTools {
  const pool = new Pool({ connectionString: ownerUrl, max: 2, application_name: "gatehouse-console" });
  const withOwner = async <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  };
  return {
    reviewers: reviewerDatabaseRoles(app),
    explain: (identity, table, row) =>
      withOwner(async (client) => {
        const who = signedInAs(app, identity);
        if (!who || !app.roles.some((r) => table in r.tables)) return undefined;
        const user = await findUser(client, app, { id: who.userId }).catch(() => undefined);
        if (!user) return undefined;
        const channel = who.channel ? { channel: who.channel } : {};
        const why = await explainAccess(client, app, { user: user.username, table, row, role: who.role, ...channel }).catch(
          () => undefined,
        );
        if (!why?.roles.find((r) => r.role === who.role)?.allowed) return undefined;
        return consoleExplanation(why, who.role);
      }),
    holds: (identity) =>
      withOwner(async (client) => {
        const who = signedInAs(app, identity);
        if (!who) return false;
        const user = await findUser(client, app, { id: who.userId }).catch(() => undefined);
        return user?.status === app.identity.users.activeStatus && user.roles.includes(who.role);
      }),
    matrix: () =>
      withOwner(async (client) => ({
        markdown: (await compileAgainst(client, app)).matrix,
        drift: (await checkDrift(client, app)).items,
        driftChecked: "full" as const,
      })),
    review: () =>
      withOwner(async (client) => {
        const drift = await checkDrift(client, app);
        const inactiveDays = settings.inactiveDays ?? DEFAULT_INACTIVE_DAYS;
        return reviewDocument(await readReview(client, app, { inactiveDays, alerts: alertSettings(settings.alerts), drift }));
      }),
    close: () => pool.end(),
  };
}
