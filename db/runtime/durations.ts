const UNITS: Record<string, number> = { ms: 1, s: 1_000, sec: 1_000, min: 60_000, h: 3_600_000 };

/**
 * Reads a duration as PostgreSQL settings take one, into milliseconds: a whole number of milliseconds
 * (`300000`, a number or a string) or a whole number with a unit `ms`, `s`, `min` or `h` (`30s`, `5min`, `1h`).
 * Anything else — zero, a negative or fractional value, an unknown unit such as `5m` — throws an error
 * that names `what` and shows the accepted forms.
 *
 * @example
 * parseDuration("5min", "--statement-timeout"); // 300000
 */
export function parseDuration(value: string | number, what: string): number {
  const text = String(value).trim();
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.replace(/_/g, ""));
  const factor = match ? (match[2] === "" ? 1 : UNITS[match[2]!.toLowerCase()]) : undefined;
  const ms = match && factor !== undefined ? Number(match[1]) * factor : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > 2_147_483_647) {
    const hint = match?.[2]?.toLowerCase() === "m" ? ` ("m" is ambiguous: write ${match[1]}min)` : "";
    throw new Error(
      `${what} must be a positive duration such as 30s, 5min, 1h or a number of milliseconds, not ${JSON.stringify(value)}${hint}`,
    );
  }
  return ms;
}

/** A duration in milliseconds as the shortest exact text: `5min`, `30s`, `1500ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of [
    ["h", 3_600_000],
    ["min", 60_000],
    ["s", 1_000],
  ] as const)
    if (ms % factor === 0) return `${ms / factor}${unit}`;
  return `${ms}ms`;
}
