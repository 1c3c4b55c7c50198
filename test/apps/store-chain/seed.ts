/**
 * The store chain's demo data: an org tree HQ → North (→ Lakes district), South, with three stores as
 * leaves; eleven staff, one of whom has left; six members; nine purchases, five of them large (500 or
 * more). Every row has an explicit id so the tests can name it.
 */
import type { ClientBase } from "pg";

/** The app roles a staff member may hold (unprefixed, as stored in shop.staff_roles). */
export type ShopRole = "hq" | "regional_manager" | "store_manager" | "cashier" | "member_service" | "analyst";

/** A staff member of the demo: id, home node in the region tree, role, and whether they have left. */
export interface StaffMember {
  readonly login: string;
  readonly id: number;
  readonly regionId: number;
  readonly role: ShopRole;
  readonly left?: boolean;
}

/** The region tree, parents first; stores are leaves (see {@link STORES}). */
export const REGIONS: readonly { id: number; parent: number | null; label: string }[] = [
  { id: 1, parent: null, label: "HQ" },
  { id: 2, parent: 1, label: "North" },
  { id: 3, parent: 1, label: "South" },
  { id: 4, parent: 2, label: "Lakes district" },
  { id: 11, parent: 2, label: "Northgate store" },
  { id: 12, parent: 4, label: "Lakeside store" },
  { id: 31, parent: 3, label: "Harbor store" },
];

/** Stores and their node in the region tree: Northgate (North), Lakeside (North → Lakes), Harbor (South). */
export const STORES: readonly { id: number; regionId: number; name: string }[] = [
  { id: 1, regionId: 11, name: "Northgate" },
  { id: 2, regionId: 12, name: "Lakeside" },
  { id: 3, regionId: 31, name: "Harbor" },
];

export const STAFF: readonly StaffMember[] = [
  { login: "hannah", id: 1, regionId: 1, role: "hq" },
  { login: "nora", id: 2, regionId: 2, role: "regional_manager" },
  { login: "sol", id: 3, regionId: 3, role: "regional_manager" },
  { login: "mike", id: 4, regionId: 11, role: "store_manager" },
  { login: "carl", id: 5, regionId: 11, role: "cashier" },
  { login: "cara", id: 6, regionId: 11, role: "cashier" },
  { login: "leo", id: 7, regionId: 11, role: "cashier", left: true },
  { login: "lina", id: 8, regionId: 12, role: "cashier" },
  { login: "hank", id: 9, regionId: 31, role: "cashier" },
  { login: "mia", id: 10, regionId: 2, role: "member_service" },
  { login: "andy", id: 11, regionId: 2, role: "analyst" },
];

export const MEMBERS: readonly {
  id: number;
  storeId: number;
  fullName: string;
  phone: string;
  email: string;
  cardNumber: string;
}[] = [
  {
    id: 1,
    storeId: 1,
    fullName: "Alice Archer",
    phone: "07700900001",
    email: "alice@example.org",
    cardNumber: "4000000000001111",
  },
  { id: 2, storeId: 1, fullName: "Ben Brook", phone: "07700900002", email: "ben@example.org", cardNumber: "4000000000002222" },
  { id: 3, storeId: 1, fullName: "Cleo Cross", phone: "07700900003", email: "cleo@example.org", cardNumber: "4000000000003333" },
  { id: 4, storeId: 2, fullName: "Dev Dunn", phone: "07700900004", email: "dev@example.org", cardNumber: "4000000000004444" },
  { id: 5, storeId: 2, fullName: "Eve Ellis", phone: "07700900005", email: "eve@example.org", cardNumber: "4000000000005555" },
  { id: 6, storeId: 3, fullName: "Finn Ford", phone: "07700900006", email: "finn@example.org", cardNumber: "4000000000006666" },
];

/** Purchases; `cashierId` is the staff member who rang it up. Large ones: 2, 3, 5, 7, 9. */
export const PURCHASES: readonly {
  id: number;
  memberId: number | null;
  storeId: number;
  cashierId: number;
  amount: string;
  createdAt: string;
}[] = [
  { id: 1, memberId: 1, storeId: 1, cashierId: 5, amount: "25.00", createdAt: "2025-01-05T12:00:00Z" },
  { id: 2, memberId: 2, storeId: 1, cashierId: 6, amount: "750.00", createdAt: "2025-01-12T12:00:00Z" },
  { id: 3, memberId: null, storeId: 1, cashierId: 5, amount: "620.00", createdAt: "2025-02-03T12:00:00Z" },
  { id: 4, memberId: 1, storeId: 1, cashierId: 7, amount: "40.00", createdAt: "2025-02-10T12:00:00Z" },
  { id: 5, memberId: 3, storeId: 1, cashierId: 7, amount: "980.00", createdAt: "2025-02-20T12:00:00Z" },
  { id: 6, memberId: 4, storeId: 2, cashierId: 8, amount: "130.00", createdAt: "2025-01-20T12:00:00Z" },
  { id: 7, memberId: 5, storeId: 2, cashierId: 8, amount: "510.00", createdAt: "2025-03-01T12:00:00Z" },
  { id: 8, memberId: 6, storeId: 3, cashierId: 9, amount: "60.00", createdAt: "2025-01-08T12:00:00Z" },
  { id: 9, memberId: 6, storeId: 3, cashierId: 9, amount: "1200.00", createdAt: "2025-02-14T12:00:00Z" },
];

/** Where identity columns continue after the seeded ids, so rows inserted by tests get ids from here. */
export const NEXT_ID = 100;

/**
 * Inserts the demo data into a fresh `shop` schema. Run as the owner (the superuser in tests).
 *
 * @example
 * await createAppDatabase({ app: storeChain, migrations: [STORE_CHAIN_SCHEMA], seed: seedStoreChain });
 */
export async function seedStoreChain(client: ClientBase): Promise<void> {
  for (const r of REGIONS) {
    await client.query("insert into shop.regions (region_id, parent_region_id, label) values ($1, $2, $3)", [
      r.id,
      r.parent,
      r.label,
    ]);
  }
  for (const s of STAFF) {
    await client.query("insert into shop.staff (staff_id, login, region_id, state) values ($1, $2, $3, $4)", [
      s.id,
      s.login,
      s.regionId,
      s.left ? "left" : "employed",
    ]);
    await client.query("insert into shop.staff_roles (staff_id, role_name) values ($1, $2)", [s.id, s.role]);
  }
  for (const s of STORES) {
    await client.query("insert into shop.stores (store_id, region_id, name) values ($1, $2, $3)", [s.id, s.regionId, s.name]);
  }
  for (const m of MEMBERS) {
    await client.query(
      "insert into shop.members (id, store_id, full_name, phone, email, card_number) values ($1, $2, $3, $4, $5, $6)",
      [m.id, m.storeId, m.fullName, m.phone, m.email, m.cardNumber],
    );
  }
  for (const p of PURCHASES) {
    await client.query(
      "insert into shop.purchases (id, member_id, store_id, cashier_id, amount, created_at) values ($1, $2, $3, $4, $5, $6)",
      [p.id, p.memberId, p.storeId, p.cashierId, p.amount, p.createdAt],
    );
  }
  await client.query(`alter table shop.members alter column id restart with ${NEXT_ID}`);
  await client.query(`alter table shop.purchases alter column id restart with ${NEXT_ID}`);
}
