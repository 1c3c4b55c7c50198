import { Client, type ClientBase, type Pool, type PoolClient } from "pg";
import { compile, sql } from "pg-sql2";
import { connectionUrl } from "../runtime/connection-url";

/** Who a test acts as: the database role and the request claims the server would set. */
export interface Persona {
  /** Application role to `set local role` to; the pool's user must be a member (or a superuser). */
  role: string;
  /** Becomes `jwt.claims.user_id`. */
  userId: string | number;
  /** Becomes `jwt.claims.channel`; left unset when omitted. */
  channel?: string;
}

/** A LOGIN role to connect as, see {@link openLogin}. */
export interface LoginOptions {
  login: string;
  /** Needed unless the server trusts the connection. */
  password?: string;
  database: string;
}

/**
 * Runs `fn` inside `begin` … `rollback` on `client`: nothing `fn` does survives, whether it
 * returns or throws. `fn`'s result (or error) is passed through.
 *
 * @example
 * const count = await runInRolledBackTransaction(client, async (c) => {
 *   await c.query('delete from patients');
 *   return (await c.query('select count(*) from patients')).rows[0].count; // '0', then rolled back
 * });
 */
export async function runInRolledBackTransaction<C extends ClientBase, T>(client: C, fn: (client: C) => Promise<T>): Promise<T> {
  await client.query("begin");
  let result: T;
  try {
    result = await fn(client);
  } catch (error) {
    await client.query("rollback").catch(() => undefined); // keep fn's error, not a follow-up one
    throw error;
  }
  await client.query("rollback");
  return result;
}

/**
 * Runs `fn` the way the server runs a request for `persona`: on a client of `pool`, in a
 * transaction with `set local role <role>` and the `jwt.claims.user_id` / `jwt.claims.channel`
 * settings, always rolled back, client released.
 *
 * Give it a pool that logs in as the authenticator role (NOINHERIT, member of every application
 * role), as the server does. With a superuser pool the role switch works too, but identity helpers
 * that trust claims only for the authenticator will not see the user.
 *
 * @example
 * const rows = await asPersona(authenticatorPool, { role: 'clinic_doctor', userId: 42 }, async (c) =>
 *   (await c.query('select id from patients')).rows,
 * );
 */
export function asPersona<T>(pool: Pool, persona: Persona, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withPoolClient(pool, (client) =>
    runInRolledBackTransaction(client, async () => {
      await actAs(client, persona);
      return fn(client);
    }),
  );
}

/** Options of {@link actAs}. */
export interface ActAsOptions {
  /**
   * The login role requests arrive through (the app's authenticator). When given, the transaction first becomes
   * that role's (`set local session authorization`), which a superuser connection may do: a root transaction can
   * then act as a persona, and {@link backToRoot} returns it to the superuser. Leave it out on a connection that
   * already logs in as the authenticator.
   */
  readonly authenticator?: string;
}

/**
 * From the next statement on, acts as `persona` inside the open transaction, as the server does for a new
 * request: `set local role` and the `jwt.claims.user_id` / `jwt.claims.channel` settings (the channel is
 * cleared when the persona has none). Call it again to switch persona in the same transaction; everything is
 * undone by the transaction's rollback.
 *
 * @example
 * // on a superuser connection, in one rolled-back transaction
 * await client.query("begin");
 * await actAs(client, { role: "clinic_chief", userId: 15 }, { authenticator: "clinic_authenticator" });
 * await client.query("select clinic.offboard_user(5, 4, 'left')");
 * await actAs(client, { role: "clinic_doctor", userId: 5 }, { authenticator: "clinic_authenticator" });
 * (await client.query("select id from clinic.patients")).rows; // []
 * await backToRoot(client);
 * await client.query("rollback");
 */
export async function actAs(client: ClientBase, persona: Persona, options: ActAsOptions = {}): Promise<void> {
  if (options.authenticator) {
    await client.query(compile(sql`set local session authorization ${sql.identifier(options.authenticator)}`));
  }
  await client.query(compile(sql`set local role ${sql.identifier(persona.role)}`));
  await client.query("select set_config('jwt.claims.user_id', $1, true), set_config('jwt.claims.channel', $2, true)", [
    String(persona.userId),
    persona.channel ?? null,
  ]);
}

/**
 * Ends {@link actAs} (with `authenticator`) inside the same transaction: back to the connection's own user,
 * with the claims cleared, for a root check between two personas' statements.
 *
 * @example
 * await actAs(client, rep, { authenticator: "clinic_authenticator" });
 * await client.query("delete from clinic.patients where id = 3");
 * await backToRoot(client);
 * (await client.query("select deleted_at from clinic.patients where id = 3")).rows; // the row, marked
 */
export async function backToRoot(client: ClientBase): Promise<void> {
  await client.query("reset role");
  await client.query("reset session authorization");
  await client.query("select set_config('jwt.claims.user_id', '', true), set_config('jwt.claims.channel', '', true)");
}

/**
 * Runs `fn` as the pool's own user (no role switch, no claims) in a rolled-back transaction — for
 * checking, as a superuser, that a row a persona cannot see does exist.
 *
 * @example
 * const exists = await asRoot(db.pool, async (c) => (await c.query('select 1 from patients where id = 7')).rowCount === 1);
 */
export function asRoot<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withPoolClient(pool, (client) => runInRolledBackTransaction(client, fn));
}

/**
 * Connects as an existing LOGIN role, as a researcher's BI tool would: same server as `clusterUrl`,
 * with user, password and database replaced. Checks first, through `adminPool`, that the role
 * exists and may log in, so a test fails with that rather than an authentication error. It creates
 * nothing. End the client before dropping the database.
 *
 * @example
 * const researcher = await openLogin(db.pool, db.adminUrl, { login: `${db.rolePrefix}eve`, password: 'pw', database: db.name });
 * try {
 *   await researcher.query('select * from patients');
 * } finally {
 *   await researcher.end();
 * }
 */
export async function openLogin(adminPool: Pool, clusterUrl: string, options: LoginOptions): Promise<Client> {
  const { rows } = await adminPool.query<{ rolcanlogin: boolean }>("select rolcanlogin from pg_roles where rolname = $1", [
    options.login,
  ]);
  if (rows.length === 0) throw new Error(`openLogin: role "${options.login}" does not exist`);
  if (!rows[0].rolcanlogin) throw new Error(`openLogin: role "${options.login}" is not a LOGIN role`);
  const client = new Client({
    connectionString: connectionUrl(clusterUrl, {
      database: options.database,
      user: options.login,
      password: options.password,
    }),
  });
  await client.connect();
  return client;
}

async function withPoolClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await fn(client);
    client.release();
    return result;
  } catch (error) {
    client.release(true); // its state is unknown: don't return it to the pool
    throw error;
  }
}
