import type { LiveLintFinding } from "./finding";
import type { LiveLint } from "./lint";

/** A PostgreSQL security fix that row or column security depends on, and the first minor of each major with it. */
export interface RowSecurityFix {
  readonly cve: string;
  readonly summary: string;
  /** Major → first fixed minor (`server_version_num`, e.g. 150014 for 15.14); a major released with the fix is absent. */
  readonly fixedIn: Readonly<Record<number, number>>;
}

/**
 * The fixes since PostgreSQL 15 (the oldest major the toolkit supports) that row security, column privileges or
 * their statistics rely on. A server below any of them for its major is reported by the `server-version` lint.
 */
export const ROW_SECURITY_FIXES: readonly RowSecurityFix[] = [
  {
    cve: "CVE-2023-2455",
    summary: "row security policies disregard user ID changes after inlining (a cached plan of another role's policies)",
    fixedIn: { 15: 150003 },
  },
  {
    cve: "CVE-2023-39418",
    summary: "MERGE does not apply the UPDATE and SELECT row security policies",
    fixedIn: { 15: 150004 },
  },
  {
    cve: "CVE-2024-4317",
    summary: "pg_stats_ext and pg_stats_ext_exprs show extended statistics of tables the user cannot read",
    fixedIn: { 15: 150007, 16: 160003 },
  },
  {
    cve: "CVE-2024-10976",
    summary: "row security below subqueries and in cached plans disregards user ID changes (SET ROLE, security definer)",
    fixedIn: { 15: 150009, 16: 160005, 17: 170001 },
  },
  {
    cve: "CVE-2024-10978",
    summary: "SET ROLE and SET SESSION AUTHORIZATION reset to the wrong user ID in some paths",
    fixedIn: { 15: 150009, 16: 160005, 17: 170001 },
  },
  {
    cve: "CVE-2025-8713",
    summary:
      "optimizer statistics expose sampled values of rows hidden by row security, through views, partitions and child tables",
    fixedIn: { 15: 150014, 16: 160010, 17: 170006 },
  },
];

/** The oldest major the toolkit runs on (`security_invoker` views). */
const OLDEST_MAJOR = 15;

const versionText = (num: number) => `${Math.floor(num / 10000)}.${num % 10000}`;

/**
 * What the server's version (`server_version_num`) lacks: an error below the oldest supported major, a warning per
 * row-security fix its major has and it does not.
 *
 * @example
 * serverVersionFindings(150013); // one warning: CVE-2025-8713, fixed in 15.14
 * serverVersionFindings(170010); // []
 */
export function serverVersionFindings(num: number): LiveLintFinding[] {
  const major = Math.floor(num / 10000);
  const object = `server PostgreSQL ${versionText(num)}`;
  if (major < OLDEST_MAJOR)
    return [
      {
        lint: "server-version",
        level: "error",
        object,
        message: `PostgreSQL ${major} has no security_invoker views, which the generated views rely on; upgrade to ${OLDEST_MAJOR} or later`,
      },
    ];
  return ROW_SECURITY_FIXES.flatMap((fix) => {
    const fixed = fix.fixedIn[major];
    if (fixed === undefined || num >= fixed) return [];
    return [
      {
        lint: "server-version",
        level: "warning" as const,
        object,
        message: `lacks the fix for ${fix.cve} (${fix.summary}), first in ${versionText(fixed)}; upgrade to the latest ${major}.x minor release`,
      },
    ];
  });
}

/** `server-version`: the server is a supported major and has every row-security fix of its major. */
export const serverVersion: LiveLint = {
  name: "server-version",
  description: "a PostgreSQL server older than the toolkit supports, or without a row-security fix of its major",
  run: async ({ client }) => {
    const { rows } = await client.query<{ num: string }>("select current_setting('server_version_num') as num");
    return serverVersionFindings(Number(rows[0]!.num));
  },
};
