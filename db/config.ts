import type { ClientBase } from "pg";
import type { AppDefinition } from "./policy/define";
import type { LoginSettingsInput } from "./runtime/login-settings";

/** A persona the demo prints instructions for. */
export interface PersonaInfo {
  readonly username: string;
  readonly id: number;
  readonly roles: readonly string[];
  readonly unit: string | null;
  readonly note?: string;
}

/** What the `gatehouse` CLI works on: the app, where its generated files go, and how to seed it. */
export interface GatehouseConfig {
  readonly app: AppDefinition;
  /** Generated SQL (included from migrations/current.sql) and the access matrix, relative to the project. */
  readonly output: { readonly sql: string; readonly matrix: string };
  /** graphile-migrate's migrations folder. */
  readonly migrationsFolder: string;
  /** Name of the database the demo creates in the embedded cluster. */
  readonly databaseName: string;
  /** The embedded PostgreSQL used when `DATABASE_URL` is unset: data directory (default `.gatehouse/pgdata`) and port (default 54329). */
  readonly embedded?: { readonly dataDir?: string; readonly port?: number };
  readonly seed?: {
    readonly isSeeded: (client: ClientBase) => Promise<boolean>;
    readonly run: (client: ClientBase) => Promise<void>;
    /** Role-bound logins the demo creates after seeding (passwords for the demo only). */
    readonly logins?: readonly { readonly username: string; readonly role: string; readonly password: string }[];
  };
  /**
   * Settings of the role-bound logins `gatehouse login create` makes, over its BI defaults (read-only
   * transactions, statement timeout 5min, idle in transaction 1min, transaction timeout 15min on PostgreSQL 17+,
   * 5 sessions); each flag of the command overrides them. Durations: `30s`, `5min`, `1h` or milliseconds.
   */
  readonly logins?: LoginSettingsInput;
  readonly personas?: readonly PersonaInfo[];
  /** Usernames of the two or three personas `gatehouse start` shows on its first screen (default: the first three with distinct roles). */
  readonly featuredPersonas?: readonly string[];
  /** The scalable data generator, for benchmarks. */
  readonly generate?: (
    client: ClientBase,
    options: { customers: number; users: number; depth: number; grants: number; progress?: boolean },
  ) => Promise<unknown>;
}

/**
 * Declares the project's configuration in `gatehouse.config.ts`.
 *
 * @example
 * export default defineConfig({ app: crm, output: { sql: "migrations/fixtures/crm-security.sql", matrix: "generated/access-matrix.md" },
 *   migrationsFolder: "migrations", databaseName: "gatehouse" });
 */
export function defineConfig(config: GatehouseConfig): GatehouseConfig {
  return Object.freeze(config);
}
