import type { Pool, PoolClient } from "pg";
import {
  alertSettings,
  asSignedIn,
  checkGrantDrift,
  compileAgainst,
  explainOwnRow,
  holdsRole,
  readReview,
  reviewDocument,
  reviewerRoles,
  roleName,
  type AlertSettingsInput,
  type AppDefinition,
  type DriftItem,
  type Explanation,
  type ReviewDocument,
  type SignedIn,
} from "../../db";
import type { Identity } from "../auth";

/** One row's "why can I see this?": the plain answer and, per role that lets the user see it, the arms that pass. */
export interface ConsoleExplanation {
  readonly answer: string;
  readonly passing: readonly { readonly role: string; readonly policy: string; readonly arms: readonly string[] }[];
  /** What explain could not see for itself (e.g. columns the role may not read). */
  readonly notes: readonly string[];
}

/**
 * The access matrix (as `gatehouse compile` writes it, Markdown) and where the live database differs: `full` is
 * `gatehouse check`'s whole comparison (it needs the tables' owner); `catalog` is what the catalog shows without the
 * owner — row security, policies by name, privileges (`checkGrantDrift`).
 */
export interface ConsoleMatrix {
  readonly markdown: string;
  readonly drift: readonly DriftItem[];
  readonly driftChecked: "full" | "catalog";
}

/**
 * The console's tools beyond the GraphQL API: `explain` about the signed-in user's own visibility of one row, and —
 * for {@link ConsoleTools.reviewers} only — the access matrix with drift and the access review. The server refuses
 * the matrix and the review unless the token's role is a reviewer role and `holds` confirms it in the live tables.
 */
export interface ConsoleTools {
  /** Prefixed database roles that may read the matrix and the review: those that read every user (`reviewerRoles`). */
  readonly reviewers: readonly string[];
  /** Why the user of `identity` sees `row` of `table`; undefined when they do not see it (or it does not exist). */
  explain(identity: Identity, table: string, row: string): Promise<ConsoleExplanation | undefined>;
  /** Whether the identity's user is active and holds the token's role, in the live tables (a token's claims are not trusted). */
  holds(identity: Identity): Promise<boolean>;
  matrix(identity: Identity): Promise<ConsoleMatrix>;
  review(identity: Identity): Promise<ReviewDocument>;
  /** Ends what it holds of its own (a pool); the server calls it when it stops. */
  close?(): Promise<void>;
}

/** How the access review is read: the alert thresholds and the days after which an active user counts as inactive. */
export interface ConsoleReviewSettings {
  readonly alerts?: AlertSettingsInput;
  readonly inactiveDays?: number;
}

/** Days without a trace after which the review lists an active user as inactive, unless configured. */
export const DEFAULT_INACTIVE_DAYS = 90;

/**
 * The prefixed database roles of {@link reviewerRoles}.
 *
 * @example
 * reviewerDatabaseRoles(clinic); // ["clinic_chief"]
 */
export const reviewerDatabaseRoles = (app: AppDefinition): string[] => reviewerRoles(app).map((r) => roleName(app, r));

/**
 * The token's identity as explain acts: the unprefixed app role, the user id and the channel; undefined for an
 * anonymous token or a role that is not one of the app's.
 *
 * @example
 * signedInAs(clinic, { role: "clinic_doctor", userId: "4", channel: null }); // { role: "doctor", userId: "4", channel: undefined }
 */
export function signedInAs(app: AppDefinition, identity: Identity): SignedIn | undefined {
  const role = app.roles.find((r) => roleName(app, r.name) === identity.role)?.name;
  if (!role || identity.userId === null) return undefined;
  return { role, userId: identity.userId, channel: identity.channel ?? undefined };
}

/**
 * What the console shows of an explanation for the signed-in role: its answer, the arms that pass in each permissive
 * policy, and explain's notes.
 *
 * @example
 * consoleExplanation(await explainOwnRow(client, clinic, who, { table: "patients", row: "42" }), "doctor");
 */
export function consoleExplanation(why: Explanation, role: string): ConsoleExplanation | undefined {
  const own = why.roles.find((r) => r.role === role);
  if (!own) return undefined;
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
    notes: why.notes,
  };
}

/**
 * The console's tools on the API server's own authenticator pool, for production (`gatehouse serve`): no owner, no
 * superuser. Each one acts as the signed-in user, as a GraphQL request does (`set local role` to the token's role,
 * the claims, read only, rolled back), so row security and column grants decide what it reads:
 * - `explain` answers only about a row the user can select (`explainOwnRow`); a hidden row and a missing one are
 *   both undefined, and so is everything for a frozen user or a role the user does not hold;
 * - `holds` asks the identity helper under the token's role (null for a frozen user or a role not held);
 * - `matrix` compiles the definitions against the catalog and checks the drift the catalog shows
 *   (`checkGrantDrift`: row security, policies by name, privileges);
 * - `review` reads the access review as the reviewer: the app's tables through their definitions (they read every
 *   user), the toolkit tables through the generated `review__read` policies, with the catalog's drift.
 *
 * @example
 * const tools = authenticatorConsoleTools(clinic, pool, { inactiveDays: 60 });
 * await tools.explain({ role: "clinic_doctor", userId: "4", channel: null }, "patients", "42");
 */
export function authenticatorConsoleTools(app: AppDefinition, pool: Pool, settings: ConsoleReviewSettings = {}): ConsoleTools {
  const withClient = async <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  };
  const acting = (identity: Identity): SignedIn => {
    const who = signedInAs(app, identity);
    if (!who) throw new Error("the console's tools act for a signed-in user in an app role");
    return who;
  };
  return {
    reviewers: reviewerDatabaseRoles(app),
    explain: async (identity, table, row) => {
      const who = signedInAs(app, identity);
      if (!who) return undefined;
      const why = await withClient((client) => explainOwnRow(client, app, who, { table, row }));
      return why && consoleExplanation(why, who.role);
    },
    holds: async (identity) => {
      const who = signedInAs(app, identity);
      return who !== undefined && (await withClient((client) => holdsRole(client, app, who)));
    },
    matrix: (identity) =>
      withClient((client) =>
        asSignedIn(client, app, acting(identity), async () => {
          const compiled = await compileAgainst(client, app);
          return {
            markdown: compiled.matrix,
            drift: await checkGrantDrift(client, app, compiled),
            driftChecked: "catalog" as const,
          };
        }),
      ),
    review: (identity) =>
      withClient((client) =>
        asSignedIn(client, app, acting(identity), async () => {
          const drift = { items: await checkGrantDrift(client, app) };
          const inactiveDays = settings.inactiveDays ?? DEFAULT_INACTIVE_DAYS;
          return reviewDocument(await readReview(client, app, { inactiveDays, alerts: alertSettings(settings.alerts), drift }));
        }),
      ),
  };
}
