import { randomBytes } from "node:crypto";
import { Client, Pool } from "pg";
import { compile, sql } from "pg-sql2";
import { connectionUrl } from "../runtime/connection-url";

const SESSION_CLOSE_GRACE_MS = 1_000;

/** Environment variable through which jest's globalSetup hands the cluster's superuser URL to test workers. */
export const TEST_ADMIN_URL_ENV = "GATEHOUSE_TEST_ADMIN_URL";

/** A fresh database of its own for one test file (or one test). */
export interface TestDatabase {
  /** Superuser URL of the new database. */
  url: string;
  /** Superuser URL of the cluster (its maintenance database). */
  adminUrl: string;
  /** Database name, `gatehouse_t<6 hex>`. */
  name: string;
  /** Prefix for every cluster-wide role the test creates, `t<6 hex>_`; `drop()` drops them all. */
  rolePrefix: string;
  /** Superuser pool on the new database; ended by `drop()`. */
  pool: Pool;
  /**
   * Drops the database (terminating any session still connected to it), then every role whose
   * name starts with `rolePrefix`, after `drop owned by` for those roles. Safe to call twice.
   */
  drop(): Promise<void>;
}

/** Options of {@link createTestDatabase}. */
export interface TestDatabaseOptions {
  /** Superuser URL of the cluster; defaults to `process.env.GATEHOUSE_TEST_ADMIN_URL`. */
  adminUrl?: string;
}

/**
 * Creates a uniquely named database in the test cluster, with a role prefix no other call shares
 * (the prefix's random part is the database name's, and `CREATE DATABASE` is what reserves it),
 * so test files can run in parallel on one cluster. Works on PostgreSQL 13+.
 *
 * End every pool or client you opened on the database before `drop()`: it terminates their
 * sessions, and a pool whose idle client is terminated emits an `error` event.
 *
 * @example
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase(); });
 * afterAll(() => db.drop());
 *
 * test('a reader is a role of its own', async () => {
 *   await db.pool.query(`create role "${db.rolePrefix}reader"`);
 * });
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? process.env[TEST_ADMIN_URL_ENV];
  if (!adminUrl) {
    throw new Error(`${TEST_ADMIN_URL_ENV} is not set: run through jest's globalSetup or pass { adminUrl }`);
  }
  const tag = await withAdmin(adminUrl, reserveTag);
  const name = `gatehouse_t${tag}`;
  const rolePrefix = `t${tag}_`;
  const url = connectionUrl(adminUrl, { database: name });
  const pool = new Pool({ connectionString: url });
  let dropping: Promise<void> | undefined;
  const drop = async () => {
    await pool.end();
    await withAdmin(adminUrl, (admin) => dropDatabaseAndRoles(admin, name, rolePrefix));
  };
  return { url, adminUrl, name, rolePrefix, pool, drop: () => (dropping ??= drop()) };
}

async function withAdmin<T>(adminUrl: string, fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Creates `gatehouse_t<tag>` for a fresh random tag and returns the tag. */
async function reserveTag(admin: Client): Promise<string> {
  for (;;) {
    const tag = randomBytes(3).toString("hex");
    try {
      await admin.query(compile(sql`create database ${sql.identifier(`gatehouse_t${tag}`)}`));
      return tag;
    } catch (error) {
      if ((error as { code?: string }).code !== "42P04") throw error; // duplicate_database: draw again
    }
  }
}

async function dropDatabaseAndRoles(admin: Client, name: string, rolePrefix: string): Promise<void> {
  await waitForSessionsToClose(admin, name);
  await admin.query(compile(sql`drop database if exists ${sql.identifier(name)} with (force)`));
  const { rows } = await admin.query<{ rolname: string }>("select rolname from pg_roles where starts_with(rolname, $1)", [
    rolePrefix,
  ]);
  if (rows.length === 0) return;
  const roles = sql.join(
    rows.map((row) => sql.identifier(row.rolname)),
    ", ",
  );
  // Objects in the dropped database went with it; this revokes what the roles still hold on shared
  // objects (databases, parameters) and drops what they own in the maintenance database.
  await admin.query(compile(sql`drop owned by ${roles}`));
  await admin.query(compile(sql`drop role ${roles}`));
}

/**
 * `pool.end()` resolves before its connections are closed on the server. Terminated there by
 * `with (force)`, such a closing connection would still report the error to its pool, which
 * throws when nobody listens. So wait (briefly) until only sessions nobody ended remain.
 */
async function waitForSessionsToClose(admin: Client, name: string): Promise<void> {
  for (const deadline = Date.now() + SESSION_CLOSE_GRACE_MS; Date.now() < deadline;) {
    const { rows } = await admin.query<{ sessions: number }>(
      "select count(*)::int as sessions from pg_stat_activity where datname = $1",
      [name],
    );
    if (rows[0].sessions === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
