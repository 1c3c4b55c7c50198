import { didYouMean } from "../policy/suggest";
import type { Review } from "./review";

/** The findings `gatehouse review --fail-on` can name, each with how many the review holds. */
export const FINDINGS = {
  drift: (r: Review) => r.drift?.items.length ?? 0,
  "frozen-login": (r: Review) => r.frozen.filter((f) => f.logins.length).length,
  "frozen-grant": (r: Review) => r.frozen.filter((f) => f.grants.length).length,
  inactive: (r: Review) => r.inactive.length,
  "expiring-grants": (r: Review) => r.grants.expiring.length,
  alerts: (r: Review) => r.alerts.alerts.length,
} as const satisfies Record<string, (review: Review) => number>;

export type Finding = keyof typeof FINDINGS;
const NAMES = Object.keys(FINDINGS) as Finding[];

/**
 * Reads `--fail-on`'s comma list; an unknown name is refused, naming the valid ones.
 *
 * @example
 * parseFailOn("drift,frozen-login"); // ["drift", "frozen-login"]
 */
export function parseFailOn(text: string): Finding[] {
  const names = text
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(NAMES as string[]).includes(name))
      throw new Error(`--fail-on: no finding "${name}"${didYouMean(name, NAMES)}; the findings are ${NAMES.join(", ")}`);
  return names as Finding[];
}

/**
 * The listed findings the review holds, with their counts: a scheduled run exits 1 when there is any.
 *
 * @example
 * failures(review, ["inactive"]); // [{ finding: "inactive", count: 3 }]
 */
export function failures(review: Review, failOn: readonly Finding[]): { finding: Finding; count: number }[] {
  return failOn.map((finding) => ({ finding, count: FINDINGS[finding](review) })).filter((f) => f.count > 0);
}
