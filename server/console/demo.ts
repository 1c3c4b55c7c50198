import { Pool } from "pg";
import { explainAccess, findUser, roleName, type AppDefinition, type PersonaInfo } from "../../db";
import type { Identity } from "../auth";

/** One row's "why can I see this?": the plain answer and, per role that lets the user see it, the arms that pass. */
export interface ConsoleExplanation {
  readonly answer: string;
  readonly passing: readonly { readonly role: string; readonly policy: string; readonly arms: readonly string[] }[];
}

/**
 * What the access console offers beyond the GraphQL API, in development on a loopback address only (`gatehouse start`
 * passes one; nothing else does): the personas to sign in as, a development token for one of them, and `explain`
 * about the signed-in user's own visibility of one row.
 */
export interface ConsoleDemo {
  readonly personas: readonly PersonaInfo[];
  /** A development token for a persona of `personas`; undefined for any other username. */
  token(username: string): Promise<string | undefined>;
  /** Why the user of `identity` sees `row` of `table`; undefined when they do not see it (or it does not exist). */
  explain?(identity: Identity, table: string, row: string): Promise<ConsoleExplanation | undefined>;
  /** Ends what it holds (the explainer's pool); the server calls it when it stops. */
  close?(): Promise<void>;
}

/**
 * An explainer for {@link ConsoleDemo.explain}: `explainAccess` on a connection as the database owner (a superuser,
 * which the development database's is), for the identity's own user and role only, answering only about a row that
 * identity may select — a row it cannot see gets the same `undefined` as a row that does not exist, so nothing about
 * hidden rows leaks. `close` ends its pool.
 *
 * @example
 * const explainer = ownerExplainer(app, "postgres://postgres@127.0.0.1:54329/clinic");
 * await explainer.explain({ role: "clinic_doctor", userId: "4", channel: null }, "patients", "42");
 */
export function ownerExplainer(
  app: AppDefinition,
  ownerUrl: string,
): { explain: NonNullable<ConsoleDemo["explain"]>; close(): Promise<void> } {
  const pool = new Pool({ connectionString: ownerUrl, max: 2, application_name: "gatehouse-console-explain" });
  return {
    async explain(identity, table, row) {
      const role = app.roles.find((r) => roleName(app, r.name) === identity.role)?.name;
      if (!role || identity.userId === null || !app.roles.some((r) => table in r.tables)) return undefined;
      const client = await pool.connect();
      try {
        const user = await findUser(client, app, { id: identity.userId }).catch(() => undefined);
        if (!user) return undefined;
        const why = await explainAccess(client, app, {
          user: user.username,
          table,
          row,
          role,
          ...(identity.channel ? { channel: identity.channel } : {}),
        }).catch(() => undefined);
        const own = why?.roles.find((r) => r.role === role);
        if (!why || !own?.allowed) return undefined;
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
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
