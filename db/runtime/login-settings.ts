import { didYouMean } from "../policy/suggest";
import { formatDuration, parseDuration } from "./durations";

/**
 * How a role-bound login's sessions are bounded, set on the role (`alter role … set`, `connection limit`).
 * The timeouts bound how long a repeatable-read transaction can keep the snapshot it started with — and
 * with it the access of a user frozen meanwhile.
 */
export interface LoginSettings {
  /**
   * `default_transaction_read_only`: transactions start read-only. A convenience against accidents, not a
   * boundary — the login can `set default_transaction_read_only = off`; its app role's grants decide what it may write.
   */
  readonly readOnly: boolean;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  /** `transaction_timeout`; not set before PostgreSQL 17, which does not have it. */
  readonly transactionTimeoutMs: number;
  /** Open sessions at once (`connection limit`). */
  readonly connectionLimit: number;
}

/** A BI tool's defaults: read-only, 5 minutes a statement, 15 a transaction, 1 idle in one, 5 sessions. */
export const DEFAULT_LOGIN_SETTINGS: LoginSettings = Object.freeze({
  readOnly: true,
  statementTimeoutMs: 300_000,
  transactionTimeoutMs: 900_000,
  idleInTransactionTimeoutMs: 60_000,
  connectionLimit: 5,
});

/** `logins` in `gatehouse.config.ts` (and the flags of `gatehouse login create`): durations as `30s`, `5min`, `1h` or milliseconds. */
export interface LoginSettingsInput {
  readonly readOnly?: boolean;
  readonly statementTimeout?: string | number;
  readonly idleInTransactionTimeout?: string | number;
  readonly transactionTimeout?: string | number;
  readonly connectionLimit?: string | number;
}

/**
 * Resolves login settings: each layer (say the config's `logins`, then the command's flags) overrides the
 * ones before it, over {@link DEFAULT_LOGIN_SETTINGS}. A bad value throws an error naming it as the layer's
 * `name` says (`logins.statementTimeout in gatehouse.config.ts`, `--statement-timeout`).
 *
 * @example
 * resolveLoginSettings([{ name: (key) => `logins.${key}`, input: { statementTimeout: "1min" } }]).statementTimeoutMs; // 60000
 */
export function resolveLoginSettings(
  layers: readonly { name: (key: keyof LoginSettingsInput) => string; input: LoginSettingsInput | undefined }[],
): LoginSettings {
  let settings: LoginSettings = DEFAULT_LOGIN_SETTINGS;
  for (const { name, input } of layers) {
    if (!input) continue;
    const known = ["readOnly", "statementTimeout", "idleInTransactionTimeout", "transactionTimeout", "connectionLimit"];
    for (const key of Object.keys(input))
      if (!known.includes(key))
        throw new Error(
          `${name(key as keyof LoginSettingsInput)} is not a login setting${didYouMean(key, known)}; settings: ${known.join(", ")}`,
        );
    const duration = (value: string | number | undefined, key: keyof LoginSettingsInput, current: number) =>
      value === undefined ? current : parseDuration(value, name(key));
    if (input.readOnly !== undefined && typeof input.readOnly !== "boolean")
      throw new Error(`${name("readOnly")} must be true or false, not ${JSON.stringify(input.readOnly)}`);
    settings = {
      readOnly: input.readOnly ?? settings.readOnly,
      statementTimeoutMs: duration(input.statementTimeout, "statementTimeout", settings.statementTimeoutMs),
      idleInTransactionTimeoutMs: duration(
        input.idleInTransactionTimeout,
        "idleInTransactionTimeout",
        settings.idleInTransactionTimeoutMs,
      ),
      transactionTimeoutMs: duration(input.transactionTimeout, "transactionTimeout", settings.transactionTimeoutMs),
      connectionLimit:
        input.connectionLimit === undefined
          ? settings.connectionLimit
          : connectionLimit(input.connectionLimit, name("connectionLimit")),
    };
  }
  return Object.freeze(settings);
}

function connectionLimit(value: string | number, what: string): number {
  const n = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`${what} must be a positive whole number of sessions, not ${JSON.stringify(value)}`);
  return n;
}

/** The settings in one line, as `gatehouse login create` prints them. */
export function describeLoginSettings(settings: LoginSettings, transactionTimeout: boolean): string {
  return [
    settings.readOnly ? "read-only transactions" : "read-write transactions",
    `statement timeout ${formatDuration(settings.statementTimeoutMs)}`,
    `idle in transaction ${formatDuration(settings.idleInTransactionTimeoutMs)}`,
    transactionTimeout
      ? `transaction timeout ${formatDuration(settings.transactionTimeoutMs)}`
      : "no transaction timeout (PostgreSQL 17+)",
    `at most ${settings.connectionLimit} session${settings.connectionLimit === 1 ? "" : "s"}`,
  ].join(", ");
}
