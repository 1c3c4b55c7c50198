import { didYouMean } from "../policy/suggest";

/** What `gatehouse alerts` counts per user in the window. */
export const ALERT_METRICS = ["requests", "exports", "reveals", "claims", "bulk_updates"] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** The `alerts` section of `gatehouse.config.ts`: every field optional, over {@link DEFAULT_ALERTS}. */
export interface AlertSettingsInput {
  /** How far back to count: `30min`, `24h`, `7d`. */
  readonly window?: string;
  /** A user is flagged above this multiple of the median of their role's users. */
  readonly multiple?: number;
  /** …but only from this volume on (a median of 0 would flag everything). */
  readonly minimum?: number;
  /** One transaction updating or deleting more rows of one table than this is a bulk update. */
  readonly bulkRows?: number;
  /** Absolute limits per metric: above one, a user is flagged whatever their peers do (0: any occurrence). */
  readonly limits?: Partial<Readonly<Record<AlertMetric, number>>>;
}

/** The alert thresholds in force. */
export interface AlertSettings {
  readonly window: string;
  /** The window in seconds. */
  readonly windowSeconds: number;
  readonly multiple: number;
  readonly minimum: number;
  readonly bulkRows: number;
  readonly limits: Partial<Readonly<Record<AlertMetric, number>>>;
}

/** The thresholds when neither the config nor a flag sets them. */
export const DEFAULT_ALERTS = { window: "24h", multiple: 5, minimum: 10, bulkRows: 100, limits: {} } as const;

const WINDOW_UNITS: Record<string, number> = { min: 60, h: 3_600, d: 86_400 };

/**
 * Reads a window such as `30min`, `24h` or `7d` into seconds; anything else throws naming the accepted forms.
 *
 * @example
 * parseWindow("24h", "--window"); // 86400
 */
export function parseWindow(text: string, what: string): number {
  const match = /^(\d+)(min|h|d)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * WINDOW_UNITS[match[2]!]! : 0;
  if (!(seconds > 0)) throw new Error(`${what} must be a whole number of min, h or d, such as 30min, 24h or 7d, not "${text}"`);
  return seconds;
}

/**
 * The thresholds in force: the flags over the config's `alerts` section over the defaults. Refuses a metric it
 * does not know and a threshold that is not positive.
 *
 * @example
 * alertSettings({ window: "7d" }, { multiple: 3 }); // { window: "7d", windowSeconds: 604800, multiple: 3, minimum: 10, bulkRows: 100, limits: {} }
 */
export function alertSettings(config: AlertSettingsInput | undefined, flags: AlertSettingsInput = {}): AlertSettings {
  const pick = <K extends keyof AlertSettingsInput>(key: K) => flags[key] ?? config?.[key];
  const window = pick("window") ?? DEFAULT_ALERTS.window;
  const limits = { ...config?.limits, ...flags.limits };
  for (const [metric, limit] of Object.entries(limits)) {
    if (!(ALERT_METRICS as readonly string[]).includes(metric))
      throw new Error(
        `no alert metric "${metric}"${didYouMean(metric, ALERT_METRICS)}: the metrics are ${ALERT_METRICS.join(", ")}`,
      );
    if (typeof limit !== "number" || !Number.isFinite(limit) || limit < 0)
      throw new Error(`the limit of ${metric} must be a number of 0 or more, not ${JSON.stringify(limit)}`);
  }
  return {
    window,
    windowSeconds: parseWindow(window, "the alerts window"),
    multiple: positiveNumber(pick("multiple") ?? DEFAULT_ALERTS.multiple, "the alerts multiple"),
    minimum: positiveNumber(pick("minimum") ?? DEFAULT_ALERTS.minimum, "the alerts minimum"),
    bulkRows: positiveNumber(pick("bulkRows") ?? DEFAULT_ALERTS.bulkRows, "the bulk update size (bulkRows)"),
    limits,
  };
}

function positiveNumber(value: number | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new Error(`${what} must be a positive number, not ${JSON.stringify(value)}`);
  return value;
}

/**
 * Reads `--limit` values, `metric=n` each (or several, comma-separated), into limits.
 *
 * @example
 * parseLimits(["exports=20", "reveals=5"]); // { exports: 20, reveals: 5 }
 */
export function parseLimits(values: readonly string[]): Partial<Record<AlertMetric, number>> {
  const limits: Partial<Record<AlertMetric, number>> = {};
  for (const item of values.flatMap((v) => v.split(",")).filter((v) => v.trim())) {
    const [metric, n] = item.split("=").map((s) => s.trim());
    if (!(ALERT_METRICS as readonly string[]).includes(metric!))
      throw new Error(
        `no alert metric "${metric}"${didYouMean(metric!, ALERT_METRICS)}: the metrics are ${ALERT_METRICS.join(", ")}`,
      );
    const limit = Number(n);
    if (n === undefined || n === "" || !Number.isFinite(limit) || limit < 0)
      throw new Error(`--limit ${item}: write metric=n with n of 0 or more, e.g. exports=20`);
    limits[metric as AlertMetric] = limit;
  }
  return limits;
}
