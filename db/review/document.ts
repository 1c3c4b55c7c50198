import type { Alert } from "./alerts";
import type { Review, ReviewGrant } from "./review";

/** A block of the review: a sentence, a table or a list. */
export type Block =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "table"; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: "list"; readonly items: readonly string[] };

/** A titled part of the review; `flag`: it holds a finding. */
export interface Section {
  readonly title: string;
  readonly flag: boolean;
  readonly blocks: readonly Block[];
}

/** The review as a title and sections, which the Markdown and HTML renderers lay out. */
export interface ReviewDocument {
  readonly title: string;
  readonly subtitle: string;
  readonly sections: readonly Section[];
}

/** A time in UTC to the minute: `2026-11-30 08:05 UTC`. */
export const when = (date: Date | null): string => (date ? `${date.toISOString().slice(0, 16).replace("T", " ")} UTC` : "never");

const text = (t: string): Block => ({ kind: "text", text: t });
const table = (head: string[], rows: string[][]): Block => ({ kind: "table", head, rows });
const or = (blocks: Block[], none: string): Block[] => (blocks.length ? blocks : [text(none)]);

const grantRows = (grants: readonly ReviewGrant[]) =>
  grants.map((g) => [g.grantee, `${g.table} ${g.row}`, g.privilege, when(g.expiresAt), g.grantedBy ?? "—", g.reason ?? "—"]);
const GRANT_HEAD = ["grantee", "row", "privilege", "expires", "granted by", "reason"];

/**
 * The review in sections, in the order a reviewer reads them.
 *
 * @example
 * renderMarkdown(reviewDocument(review));
 */
export function reviewDocument(review: Review): ReviewDocument {
  const roles = [...new Set(review.users.flatMap((u) => u.roles))].sort();
  const byRole = roles.map((role) => {
    const holders = review.users.filter((u) => u.roles.includes(role));
    const units = [...new Set(holders.map((u) => u.unit ?? "no unit"))].sort();
    return [
      role,
      String(holders.filter((u) => u.active).length),
      units
        .map(
          (unit) =>
            `${unit}: ${holders
              .filter((u) => (u.unit ?? "no unit") === unit)
              .map((u) => (u.active ? u.username : `${u.username} (${u.status})`))
              .join(", ")}`,
        )
        .join("; "),
    ];
  });
  const noRole = review.users.filter((u) => u.roles.length === 0).map((u) => u.username);
  const { grants, alerts } = review;
  const sections: Section[] = [
    {
      title: "Users by role and unit",
      flag: false,
      blocks: [
        table(["role", "active users", "users by unit"], byRole),
        ...(noRole.length ? [text(`Users without a role: ${noRole.join(", ")}.`)] : []),
      ],
    },
    {
      title: "Frozen users still holding access",
      flag: review.frozen.length > 0,
      blocks: or(
        review.frozen.length
          ? [
              table(
                ["user", "status", "logins that may log in", "live grants"],
                review.frozen.map((f) => [
                  f.user.username,
                  f.user.status,
                  f.logins.join(", ") || "—",
                  f.grants.map((g) => `${g.table} ${g.row} (${g.privilege}, until ${when(g.expiresAt)})`).join("; ") || "—",
                ]),
              ),
            ]
          : [],
        "None: no user who is not active holds a login or a live grant.",
      ),
    },
    {
      title: `Users inactive for more than ${review.inactiveDays} days`,
      flag: review.inactive.length > 0,
      blocks: [
        text(
          "Last activity: the API server's hourly record, the audit trail (writes, reveals, exports, role-bound logins included), exports, and open sessions of a user's logins. Reads through a login leave no trace once its session ends.",
        ),
        ...or(
          review.inactive.length
            ? [
                table(
                  ["user", "roles", "unit", "last activity", "seen in"],
                  review.inactive.map((a) => [
                    a.user.username,
                    a.user.roles.join(", ") || "—",
                    a.user.unit ?? "—",
                    when(a.lastActivity),
                    a.source ?? "—",
                  ]),
                ),
              ]
            : [],
          "None.",
        ),
      ],
    },
    {
      title: "Temporary grants",
      flag: grants.expiring.length > 0,
      blocks: [
        text(`Expiring within 7 days (${grants.expiring.length}):`),
        ...or(grants.expiring.length ? [table(GRANT_HEAD, grantRows(grants.expiring))] : [], "None."),
        text(`Active, expiring later (${grants.active.length}):`),
        ...or(grants.active.length ? [table(GRANT_HEAD, grantRows(grants.active))] : [], "None."),
        text(`Expired in the last 30 days (${grants.expired.length}):`),
        ...or(grants.expired.length ? [table(GRANT_HEAD, grantRows(grants.expired))] : [], "None."),
      ],
    },
    {
      title: "Who can read personal data",
      flag: false,
      blocks: [
        text(
          "Personal data here means the masked columns: the definitions mark no column personal, so a column with a mask is taken as one.",
        ),
        ...or(
          review.personal.length
            ? [
                table(
                  [
                    "column",
                    "raw",
                    "raw on some rows, masked on the others",
                    "masked only",
                    "reveal one row (audited)",
                    "masking views",
                  ],
                  review.personal.map((p) => [
                    `${p.table}.${p.column} (${p.twin})`,
                    p.raw.join(", ") || "—",
                    p.byRow.map((r) => `${r.role} (raw on ${r.rows})`).join("; ") || "—",
                    p.masked.join(", ") || "—",
                    p.reveal.join(", ") || "—",
                    p.views.map((v) => `${v.view} (${v.shows}): ${v.roles.join(", ")}`).join("; ") || "—",
                  ]),
                ),
              ]
            : [],
          "No column is masked.",
        ),
      ],
    },
    {
      title: "Role-bound logins (BI tools, psql)",
      flag: false,
      blocks: or(
        review.logins.length
          ? [
              table(
                ["login", "user", "role", "may log in", "open sessions", "last write", "created", "rotated", "disabled"],
                review.logins.map((l) => [
                  l.login,
                  l.username ?? l.userId,
                  l.role,
                  l.enabled ? "yes" : "no",
                  String(l.sessions),
                  when(l.lastWrite),
                  when(l.createdAt),
                  l.rotatedAt ? when(l.rotatedAt) : "—",
                  l.disabledAt ? when(l.disabledAt) : "—",
                ]),
              ),
            ]
          : [],
        "No role-bound login.",
      ),
    },
    {
      title: "Drift",
      flag: (review.drift?.items.length ?? 0) > 0,
      blocks: review.drift
        ? or(
            review.drift.items.length
              ? [
                  table(
                    ["kind", "object", "difference"],
                    review.drift.items.map((d) => [d.kind, d.object, d.message]),
                  ),
                ]
              : [],
            "None: the database matches the definitions.",
          )
        : [text("drift: not checked")],
    },
    {
      title: `Anomaly alerts (last ${alerts.settings.window})`,
      flag: alerts.alerts.length > 0,
      blocks: [
        text(alertRule(review)),
        ...or(alerts.alerts.length ? [{ kind: "list", items: alerts.alerts.map((a: Alert) => a.message) }] : [], "None."),
        ...(alerts.unavailable.length
          ? [text(`Not counted: ${alerts.unavailable.map((u) => `${u.metric} (${u.why})`).join("; ")}.`)]
          : []),
      ],
    },
  ];
  return {
    title: "Access review",
    subtitle: `Database ${review.database}, ${when(review.generatedAt)}. ${sections.filter((s) => s.flag).length} of ${sections.length} sections hold findings.`,
    sections,
  };
}

/** The alert thresholds in words. */
export function alertRule(review: Pick<Review, "alerts">): string {
  const s = review.alerts.settings;
  const limits = Object.entries(s.limits).map(([m, n]) => `${m} ${n}`);
  return `A user is flagged above ${s.multiple} × the median of their role's users (from ${s.minimum} on)${
    limits.length ? `, or above a limit (${limits.join(", ")})` : ""
  }; a bulk update is one transaction updating or deleting more than ${s.bulkRows} rows of one table.`;
}
