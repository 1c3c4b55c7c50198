import { Pool, type PoolClient } from "pg";
import {
  alertSettings,
  checkDrift,
  compileAgainst,
  explainAccess,
  findUser,
  readReview,
  reviewDocument,
  roleName,
  type AlertSettingsInput,
  type AppDefinition,
  type DriftItem,
  type PersonaInfo,
  type ReviewDocument,
} from "../../db";
import type { Identity } from "../auth";

/** One row's "why can I see this?": the plain answer and, per role that lets the user see it, the arms that pass. */
export interface ConsoleExplanation {
  readonly answer: string;
  readonly passing: readonly { readonly role: string; readonly policy: string; readonly arms: readonly string[] }[];
}

/** The access matrix (as `gatehouse compile` writes it, Markdown) and where the live database differs (`gatehouse check`). */
export interface ConsoleMatrix {
  readonly markdown: string;
  readonly drift: readonly DriftItem[];
}

/**
 * What the access console offers beyond the GraphQL API, in development on a loopback address only (`gatehouse start`
 * passes one; nothing else does): the personas to sign in as, a development token for one of them, `explain` about
 * the signed-in user's own visibility of one row, and — for {@link reviewerRoles} only — the access matrix with drift
 * and the access review.
 */
export interface ConsoleDemo {
  readonly personas: readonly PersonaInfo[];
  /** A development token for a persona of `personas`; undefined for any other username. */
  token(username: string): Promise<string | undefined>;
  /** Why the user of `identity` sees `row` of `table`; undefined when they do not see it (or it does not exist). */
  explain?(identity: Identity, table: string, row: string): Promise<ConsoleExplanation | undefined>;
  /** Prefixed database roles that may read the matrix and the review (see {@link reviewerRoles}). */
  readonly reviewers?: readonly string[];
  /** Whether the identity's user is active and holds the token's role, in the live tables (a token's claims are not trusted). */
  holds?(identity: Identity): Promise<boolean>;
  matrix?(): Promise<ConsoleMatrix>;
  review?(): Promise<ReviewDocument>;
  /** Ends what it holds (the owner's pool); the server calls it when it stops. */
  close?(): Promise<void>;
}

/**
 * The roles that may see the whole access picture in the console (matrix, drift, review): those whose definitions
 * already let them read every user (`select: all()` on the identity users table), as prefixed database roles.
 *
 * @example
 * reviewerRoles(clinic); // ["clinic_admin"]
 */
export function reviewerRoles(app: AppDefinition): string[] {
  return app.roles.filter((r) => r.tables[app.identity.users.table]?.select?.kind === "all").map((r) => roleName(app, r.name));
}

/**
 * The console's development tools that need the database owner (a superuser, which the development database's is):
 * `explain` for the identity's own user and role only, answering only about a row that identity may select — a row
 * it cannot see gets the same `undefined` as a row that does not exist, so nothing about hidden rows leaks; the
 * access matrix with drift; the access review; and whether a token's user is active and holds its role. `close` ends
 * its pool.
 *
 * @example
 * const tools = ownerConsoleTools(app, "postgres://postgres@127.0.0.1:54329/clinic");
 * await tools.explain({ role: "clinic_doctor", userId: "4", channel: null }, "patients", "42");
 */
export function ownerConsoleTools(
  app: AppDefinition,
  ownerUrl: string,
  options: { alerts?: AlertSettingsInput; inactiveDays?: number } = {},
): Required<Pick<ConsoleDemo, "explain" | "holds" | "matrix" | "review" | "close">> {
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
    explain: (identity, table, row) =>
      withOwner(async (client) => {
        const role = app.roles.find((r) => roleName(app, r.name) === identity.role)?.name;
        if (!role || identity.userId === null || !app.roles.some((r) => table in r.tables)) return undefined;
        const user = await findUser(client, app, { id: identity.userId }).catch(() => undefined);
        if (!user) return undefined;
        const channel = identity.channel ? { channel: identity.channel } : {};
        const why = await explainAccess(client, app, { user: user.username, table, row, role, ...channel }).catch(
          () => undefined,
        );
        const own = why?.roles.find((r) => r.role === role);
        if (!own?.allowed) return undefined;
        return {
          answer: own.answer,
          passing: own.stages.flatMap((stage) =>
            stage.permissive
              .filter((p) => p.passes)
              .map((p) => ({
                role,
                policy: p.name,
                arms: (p.arms ?? []).filter((a) => a.passes).map((a) => `${a.label}: ${a.words}`),
              })),
          ),
        };
      }),
    holds: (identity) =>
      withOwner(async (client) => {
        const role = app.roles.find((r) => roleName(app, r.name) === identity.role)?.name;
        if (!role || identity.userId === null) return false;
        const user = await findUser(client, app, { id: identity.userId }).catch(() => undefined);
        return user?.status === app.identity.users.activeStatus && user.roles.includes(role);
      }),
    matrix: () =>
      withOwner(async (client) => ({
        markdown: (await compileAgainst(client, app)).matrix,
        drift: (await checkDrift(client, app)).items,
      })),
    review: () =>
      withOwner(async (client) => {
        const drift = await checkDrift(client, app);
        const settings = { inactiveDays: options.inactiveDays ?? 90, alerts: alertSettings(options.alerts), drift };
        return reviewDocument(await readReview(client, app, settings));
      }),
    close: () => pool.end(),
  };
}
