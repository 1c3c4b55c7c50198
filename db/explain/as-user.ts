import type { ClientBase } from "pg";
import { roleName } from "../compile/names";
import type { IdentityUser } from "../cli/identity-user";
import type { AppDefinition } from "../policy/define";
import { sql, toDdl, trusted } from "../sql/ddl";

/** Evaluates one boolean SQL expression over the row, as the user: its value as text, or the error it raised. */
export type Evaluate = (expression: string) => Promise<{ value: string | null; error?: string }>;

/** Who to act as, and the row to evaluate on. */
export interface Acting {
  readonly app: AppDefinition;
  readonly role: string;
  readonly user: IdentityUser;
  readonly channel: string | undefined;
  /** Act as the authenticator with `set local session authorization` (the connection is a superuser's). */
  readonly impersonate: boolean;
  readonly table: string;
  /** The row's values as json. */
  readonly row: string;
}

/**
 * Runs `fn` acting as the user in `role`, as the API server does for a request: the authenticator (its own login,
 * or the owner's `set local session authorization`), `set local role`, the claims; read only, rolled back.
 * `evaluate` reads one boolean expression over the row — the table's name binds to the row's values, so a policy's
 * column references read them, while its sub-selects and helpers run as the user — each in its own savepoint, so
 * an error is reported, not fatal.
 */
export async function asTheUser<T>(client: ClientBase, acting: Acting, fn: (evaluate: Evaluate) => Promise<T>): Promise<T> {
  const { app, role, user, channel, table, row } = acting;
  const signedIn = { role, userId: user.id, channel, impersonate: acting.impersonate };
  return asSignedIn(client, app, signedIn, async () => {
    const from = sql`pg_catalog.jsonb_populate_record(null::${sql.identifier(app.schema, table)}, $1::jsonb) as ${sql.identifier(table)}`;
    return fn(async (expression) => {
      await client.query("savepoint gatehouse_explain");
      try {
        const { rows } = await client.query<{ value: string | null }>(
          toDdl(sql`select (${trusted(expression)})::text as value from ${from}`),
          [row],
        );
        await client.query("release savepoint gatehouse_explain");
        return { value: rows[0]?.value ?? null };
      } catch (error) {
        await client.query("rollback to savepoint gatehouse_explain");
        return { value: null, error: (error as Error).message };
      }
    });
  });
}

/** Who a request acts as: the unprefixed app role, the user id and channel claims the server would set. */
export interface SignedIn {
  readonly role: string;
  readonly userId: string;
  readonly channel: string | undefined;
  /** Act as the authenticator with `set local session authorization` (the connection is a superuser's). */
  readonly impersonate?: boolean;
}

/**
 * Runs `fn` in a read-only transaction that always rolls back, acting as the API server acts for a request: the
 * authenticator (its own login, or a superuser's `set local session authorization`), `set local role`, the claims.
 * Everything `fn` reads on `client` is under the role's grants and row security.
 *
 * @example
 * await asSignedIn(client, clinic, { role: "doctor", userId: "4", channel: undefined }, () => client.query("select 1"));
 */
export async function asSignedIn<T>(client: ClientBase, app: AppDefinition, who: SignedIn, fn: () => Promise<T>): Promise<T> {
  await client.query("begin read only");
  try {
    if (who.impersonate)
      await client.query(toDdl(sql`set local session authorization ${sql.identifier(roleName(app, app.authenticator))}`));
    await client.query(toDdl(sql`set local role ${sql.identifier(roleName(app, who.role))}`));
    await client.query("select set_config('jwt.claims.user_id', $1, true), set_config('jwt.claims.channel', $2, true)", [
      who.userId,
      who.channel ?? null,
    ]);
    return await fn();
  } finally {
    await client.query("rollback").catch(() => undefined);
  }
}
