import { readFile } from "node:fs/promises";
import { Pool, type Client, type ClientBase, type PoolClient } from "pg";
import { compileAndApply } from "../apply/apply";
import { withRolePrefix, type CompileResult } from "../compile";
import { roleName } from "../compile/names";
import type { AppDefinition } from "../policy/define";
import { createRoleBoundLogin } from "../runtime/logins";
import type { LoginSettings } from "../runtime/login-settings";
import { literal, sql, toDdl } from "../sql/ddl";
import { connectionUrl } from "../runtime/connection-url";
import { createTestDatabase, type TestDatabase } from "./database";
import { actAs, asPersona, asRoot, openLogin, type Persona } from "./persona";

const AUTHENTICATOR_PASSWORD = "test-authenticator";

/** A test database with an app's schema, its compiled security (under a unique role prefix) and data. */
export interface AppTestDatabase {
  readonly db: TestDatabase;
  /** The app as compiled here: the same definitions, with this database's role prefix. */
  readonly app: AppDefinition;
  readonly compiled: CompileResult;
  /** Pool logged in as the app's authenticator, as the API server would be. */
  readonly pool: Pool;
  /** The URL that pool logs in with: the authenticator's, with its password (e.g. AUTHENTICATOR_DATABASE_URL for the CLI). */
  readonly authenticatorUrl: string;
  /** Runs `fn` as an app role and user (rolled back), through the authenticator. */
  as<T>(persona: Persona, fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /**
   * From the next statement on, acts as an app role (unprefixed) and user inside `client`'s open transaction, through
   * the authenticator: {@link actAs} with this database's role prefix. Works in `root` (then `backToRoot` returns to
   * the superuser) and in `as`; call it again to switch persona in the same transaction.
   */
  actAs(client: ClientBase, persona: Persona): Promise<void>;
  /** Runs `fn` as the superuser (rolled back): the root check that hidden rows exist. */
  root<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /**
   * Creates a role-bound login for a user and connects with it. Its transactions are read-write unless
   * `settings` says otherwise (a login's default is read-only), so tests can write through it.
   */
  login(options: { username: string; userId: string | number; role: string; settings?: Partial<LoginSettings> }): Promise<Client>;
  /** Ends every pool and drops the database and its roles. */
  close(): Promise<void>;
}

/**
 * Creates a fresh database, runs the app's schema migration files, compiles and applies the app
 * under a unique role prefix, then runs `seed` as superuser.
 *
 * @example
 * const appDb = await createAppDatabase({ app, migrations: ["migrations/committed/000001-schema.sql"], seed: seedDemo });
 * const rows = await appDb.as({ role: "doctor", userId: 4 }, (c) => c.query("select id from clinic.patients"));
 * await appDb.close();
 */
export async function createAppDatabase(options: {
  app: AppDefinition;
  migrations: readonly string[];
  seed?: (client: PoolClient) => Promise<void>;
}): Promise<AppTestDatabase> {
  const db = await createTestDatabase();
  const pools: Pool[] = [];
  const logins: Client[] = [];
  try {
    const app = withRolePrefix(options.app, `${db.rolePrefix}${options.app.rolePrefix}`);
    const admin = await db.pool.connect();
    let compiled: CompileResult;
    try {
      for (const file of options.migrations) await admin.query(await readFile(file, "utf8"));
      compiled = await compileAndApply(admin, app);
      if (options.seed) await options.seed(admin);
      const authenticator = roleName(app, app.authenticator);
      await admin.query(toDdl(sql`alter role ${sql.identifier(authenticator)} password ${literal(AUTHENTICATOR_PASSWORD)}`));
    } finally {
      admin.release();
    }
    const authenticatorUrl = connectionUrl(db.adminUrl, {
      database: db.name,
      user: roleName(app, app.authenticator),
      password: AUTHENTICATOR_PASSWORD,
    });
    const pool = new Pool({ connectionString: authenticatorUrl, max: 4 });
    pool.on("error", () => {});
    pools.push(pool);
    return {
      db,
      app,
      compiled,
      pool,
      authenticatorUrl,
      as: (persona, fn) => asPersona(pool, { ...persona, role: roleName(app, persona.role) }, fn),
      actAs: (client, persona) =>
        actAs(client, { ...persona, role: roleName(app, persona.role) }, { authenticator: roleName(app, app.authenticator) }),
      root: (fn) => asRoot(db.pool, fn),
      login: async ({ username, userId, role, settings }) => {
        const password = `pw-${username}-not-secret`;
        const admin = await db.pool.connect();
        const created = await createRoleBoundLogin(admin, app, {
          username,
          userId,
          role,
          password,
          settings: { readOnly: false, ...settings },
        }).finally(() => admin.release());
        const client = await openLogin(db.pool, db.adminUrl, { login: created.login, password, database: db.name });
        logins.push(client);
        return client;
      },
      close: async () => {
        await Promise.all(logins.map((c) => c.end().catch(() => {})));
        await Promise.all(pools.map((p) => p.end()));
        await db.drop();
      },
    };
  } catch (error) {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
    throw error;
  }
}
