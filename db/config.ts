import type { ClientBase } from "pg";
import type { AppDefinition } from "./policy/define";
import type { AlertSettingsInput } from "./review/settings";
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
  /** The scalable data generator behind `gatehouse generate`, for benchmarks. */
  readonly generate?: GeneratorConfig;
  /**
   * What `gatehouse schema` writes: every role's SDL in `folder` (default `generated`, as
   * `schema.<role>.graphql`), then, when `codegen` is given, graphql-codegen's outputs (a graphql-codegen
   * config, e.g. the default export of `codegen.ts`; `@graphql-codegen/cli` must be installed).
   */
  readonly schema?: { readonly folder?: string; readonly codegen?: CodegenSettings };
  /**
   * Thresholds of `gatehouse alerts` and the review's alerts, over the defaults (window `24h`, multiple 5 of the
   * role's median, minimum 10, a bulk update above 100 rows in one transaction, no absolute limits); flags override them.
   */
  readonly alerts?: AlertSettingsInput;
}

/** `gatehouse generate`'s whole-number flags, by name: `--users 1000` sets `users`. */
export type GeneratorFlags = Readonly<Record<string, { readonly description: string; readonly default: number }>>;

/** A data generator: its flags, and the function that fills an empty, migrated database. */
export interface GeneratorConfig {
  readonly flags: GeneratorFlags;
  /** Fills the database; `progress`: draw a progress bar (stderr is a terminal). */
  readonly run: (client: ClientBase, flags: Readonly<Record<string, number>>, options: { progress: boolean }) => Promise<unknown>;
}

/** A graphql-codegen configuration (its `generates` targets name the role SDL files as their `schema`). */
export interface CodegenSettings {
  readonly generates: Readonly<Record<string, unknown>>;
}

/**
 * Declares the project's configuration in `gatehouse.config.ts`.
 *
 * @example
 * export default defineConfig({ app, output: { sql: "migrations/fixtures/app-security.sql", matrix: "generated/access-matrix.md" },
 *   migrationsFolder: "migrations", databaseName: "gatehouse" });
 */
export function defineConfig(config: GatehouseConfig): GatehouseConfig {
  return Object.freeze(config);
}
