import type { RoleDefinition } from "./roles";
import { didYouMean } from "./suggest";

/** What a temporary grant may give on a row: read it, or read and edit it. */
export const GRANT_PRIVILEGES = ["select", "update"] as const;
export type GrantPrivilege = (typeof GRANT_PRIVILEGES)[number];

/**
 * Temporary grants as an operation (`defineApp({ grants })`): who may grant, on which tables, what, and for how
 * long. The grants themselves live where `identity.grants` says; `granted(col)` scopes read them.
 */
export interface TemporaryGrantsDefinition {
  /** Roles that may grant rows they can see themselves to active users of their unit and its sub-units (and every role extending them). */
  readonly by?: readonly RoleDefinition[];
  /** Roles that may grant rows they can see themselves to any active user (and every role extending them). */
  readonly anywhere?: readonly RoleDefinition[];
  /** The longest a grant may last, from the moment it is made: a whole number and a unit, e.g. `"30 days"`, `"8 hours"`. */
  readonly maxDuration: string;
  /** Tables of the app schema whose rows may be granted (the row is named by the table's primary key). */
  readonly tables: readonly string[];
  /** What a grant may give; both unless said otherwise. */
  readonly privileges?: readonly GrantPrivilege[];
}

const UNITS = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 } as const;
type Unit = keyof typeof UNITS;
const UNIT_WORDS = Object.keys(UNITS).flatMap((u) => [u, `${u}s`]);

/** A duration parsed from `"30 days"`: its PostgreSQL interval literal and its length in seconds. */
export interface Duration {
  /** `30 days`, normalised: usable as `interval '30 days'`. */
  readonly interval: string;
  readonly seconds: number;
}

/**
 * Parses a duration such as `"30 days"` or `"1 hour"` (second, minute, hour, day or week, singular or plural).
 * Returns the problem, worded for a definition, when it is not one.
 *
 * @example
 * parseDuration("30 days"); // { interval: "30 days", seconds: 2592000 }
 * parseDuration("30 dais"); // 'must be a duration such as "30 days" or "8 hours", not "30 dais" (did you mean "days"?)'
 */
export function parseDuration(text: string): Duration | string {
  const match = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match?.[2]!.toLowerCase();
  const singular = unit?.replace(/s$/, "") as Unit | undefined;
  if (match && singular && singular in UNITS && Number(match[1]) > 0) {
    const n = Number(match[1]);
    return { interval: `${n} ${singular}${n === 1 ? "" : "s"}`, seconds: n * UNITS[singular] };
  }
  const hint = unit && !UNIT_WORDS.includes(unit) ? didYouMean(unit, UNIT_WORDS) : "";
  return `must be a duration such as "30 days" or "8 hours" (a whole number above 0 and second, minute, hour, day or week), not ${JSON.stringify(text)}${hint}`;
}
