import { join } from "node:path";
import type { PoolClient } from "pg";
import { createAppDatabase, type AppTestDatabase } from "../../../db/testing";
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
