import { lineComment, sql } from "../../sql/ddl";
import { HELPERS, helperIdent, roleIdent } from "../names";
import { managedRoles } from "./grants";
import type { Plan } from "../plan";
import { reviewerRoles } from "../reviewers";
import { onceWithRole } from "../scope-sql";
import type { Statement } from "../statement";
import { ACTIVITY } from "./activity";
import { EXPORTS } from "./exports";
import { POOL_CLAIMS_TABLE } from "./public-pool";

/** The policy that lets the reviewer roles read a toolkit table the access review reads. */
export const REVIEW_READ_POLICY = "review__read";

/** The toolkit tables the access review reads beyond the app's own tables (and the audit trail, for its readers). */
export function reviewedToolkitTables(plan: Plan): string[] {
  return [
    "logins",
    ACTIVITY.table,
    ...(plan.views.length ? [EXPORTS.table] : []),
    ...(plan.app.pools.length ? [POOL_CLAIMS_TABLE] : []),
  ];
}

/**
 * What the access review needs beyond the app's own tables, for the reviewer roles ({@link reviewerRoles}) only, so
 * the review can run as the signed-in reviewer through the API server's authenticator, under row security like any
 * request: per toolkit table the review reads (the login mapping, the activity record, the export log, the pool
 * claims), `select` and a select policy `review__read` whose condition is the identity helper — an active user
 * holding the role, in the live tables — so a frozen reviewer or a token claiming a role its user does not hold reads
 * nothing. Every other app role (and PUBLIC) holds nothing there: each table's privileges are revoked first. No write,
 * no SECURITY DEFINER function.
 *
 * @example
 * const statements = emitReviewReads(plan); // drop + create policy review__read and grant select, per table
 */
export function emitReviewReads(plan: Plan): Statement[] {
  const { app } = plan;
  const reviewers = reviewerRoles(app);
  const roles = sql.join(
    reviewers.map((r) => roleIdent(app, r)),
    ", ",
  );
  return reviewedToolkitTables(plan).flatMap((table): Statement[] => {
    const target = helperIdent(app, table);
    const drop = sql`drop policy if exists ${sql.identifier(REVIEW_READ_POLICY)} on ${target};`;
    const revoke = sql`revoke all on table ${target} from ${managedRoles(plan)};`;
    const rls: Statement = {
      kind: "rls",
      target: `${app.toolkitSchema}.${table}`,
      force: true,
      sql: sql`alter table ${target} enable row level security;
alter table ${target} force row level security;`,
    };
    if (reviewers.length === 0)
      return [
        rls,
        { kind: "policy", target: `${app.toolkitSchema}.${table}`, sql: drop },
        { kind: "grant", target: `${app.toolkitSchema}.${table}`, sql: revoke },
      ];
    return [
      rls,
      {
        kind: "policy",
        target: `${app.toolkitSchema}.${table}`,
        policies: [REVIEW_READ_POLICY],
        sql: sql`${drop}
${lineComment(`${reviewers.join(", ")} (every role that reads all users) may read ${table} for the access review, as an active user holding the role`)}
create policy ${sql.identifier(REVIEW_READ_POLICY)} on ${target} as permissive for select to ${roles}
  using (${onceWithRole(app, HELPERS.userId)} is not null);`,
      },
      {
        kind: "grant",
        target: `${app.toolkitSchema}.${table}`,
        sql: sql`${revoke}
${lineComment(`the access review reads ${table} as ${reviewers.join(", ")}; no other app role holds anything on it`)}
grant select on table ${target} to ${roles};`,
      },
    ];
  });
}
