import { join } from "node:path";
import type { PoolClient } from "pg";
import { roleName } from "../../../db/compile/names";
import { createAppDatabase, type AppTestDatabase } from "../../../db/testing/app-database";
import { storeChain } from "./roles";
import { STAFF, seedStoreChain, type ShopRole } from "./seed";

/** The store chain's schema migration (tables, keys, indexes; no security). */
export const STORE_CHAIN_SCHEMA = join(__dirname, "schema.sql");

/** A fresh database with the shop schema, the store chain's compiled security under a unique prefix, and the demo data. */
export const openStoreChainDatabase = (): Promise<AppTestDatabase> =>
  createAppDatabase({ app: storeChain, migrations: [STORE_CHAIN_SCHEMA], seed: seedStoreChain });

/** A staff member of the demo by login, acting in their role. */
export function persona(login: string): { role: ShopRole; userId: number } {
  const s = STAFF.find((x) => x.login === login);
  if (!s) throw new Error(`no staff member ${login}`);
  return { role: s.role, userId: s.id };
}

/** The values of the first column of every row, in order. */
export async function column<T = unknown>(client: PoolClient, text: string, values: unknown[] = []): Promise<T[]> {
  const { rows, fields } = await client.query(text, values);
  return rows.map((r) => r[fields[0]!.name] as T);
}

/**
 * Inside a root transaction (after root-only setup), acts from the next statement on as `login`
 * through the authenticator, as the server would; {@link backToRoot} returns to the superuser.
 */
export async function actAs(client: PoolClient, db: AppTestDatabase, login: string): Promise<void> {
  const p = persona(login);
  await client.query(`set local session authorization ${client.escapeIdentifier(roleName(db.app, db.app.authenticator))}`);
  await client.query(`set local role ${client.escapeIdentifier(roleName(db.app, p.role))}`);
  await client.query("select set_config('jwt.claims.user_id', $1, true)", [String(p.userId)]);
}

/** Ends {@link actAs}: back to the superuser, still in the same transaction. */
export async function backToRoot(client: PoolClient): Promise<void> {
  await client.query("reset role");
  await client.query("reset session authorization");
}

/** The SQLSTATE and message a statement fails with (fails the test if it succeeds). */
export async function failure(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run;
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code ?? "", message: e.message };
  }
  throw new Error("expected the statement to fail, and it succeeded");
}
