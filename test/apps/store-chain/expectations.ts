/**
 * What each staff member of the demo sees, by id (stores by store_id), derived by hand from the rules
 * in roles.ts and the rows in seed.ts. Large purchases (500 or more): 2 (cara), 3 (carl), 5 (leo),
 * 7 (lina), 9 (hank).
 */
export interface Visibility {
  /** Test name: the persona and what they see. */
  readonly name: string;
  readonly login: string;
  readonly stores: readonly number[];
  readonly members: readonly number[];
  readonly purchases: readonly number[];
}

export const ALL_STORES = [1, 2, 3] as const;
export const ALL_MEMBERS = [1, 2, 3, 4, 5, 6] as const;
export const ALL_PURCHASES = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

export const VISIBILITY: readonly Visibility[] = [
  {
    name: "hannah (hq) sees every store, member and purchase",
    login: "hannah",
    stores: [1, 2, 3],
    members: [1, 2, 3, 4, 5, 6],
    purchases: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  },
  {
    name: "nora (regional manager, North) sees Northgate and Lakeside (through the Lakes district), not Harbor in the South",
    login: "nora",
    stores: [1, 2],
    members: [1, 2, 3, 4, 5],
    purchases: [1, 2, 3, 4, 5, 6, 7],
  },
  {
    name: "sol (regional manager, South) sees only Harbor, its member and its purchases",
    login: "sol",
    stores: [3],
    members: [6],
    purchases: [8, 9],
  },
  {
    name: "mike (store manager, Northgate) sees his store, its members and all its purchases, large ones included",
    login: "mike",
    stores: [1],
    members: [1, 2, 3],
    purchases: [1, 2, 3, 4, 5],
  },
  {
    name: "carl (cashier, Northgate) sees his store's members and purchases, but not the large ones cara and leo rang up",
    login: "carl",
    stores: [1],
    members: [1, 2, 3],
    purchases: [1, 3, 4],
  },
  {
    name: "cara (cashier, Northgate) sees her own large purchase but not carl's or leo's",
    login: "cara",
    stores: [1],
    members: [1, 2, 3],
    purchases: [1, 2, 4],
  },
  {
    name: "lina (cashier, Lakeside) sees only Lakeside, her large purchase included",
    login: "lina",
    stores: [2],
    members: [4, 5],
    purchases: [6, 7],
  },
  { name: "hank (cashier, Harbor) sees only Harbor", login: "hank", stores: [3], members: [6], purchases: [8, 9] },
  {
    name: "leo (cashier who left Northgate) sees no store, no member, no purchase, not even his own",
    login: "leo",
    stores: [],
    members: [],
    purchases: [],
  },
];

/** purchase_stats as andy (analyst, North) reads it: Northgate and Lakeside, by store, month and range. */
export const ANDY_PURCHASE_STATS = [
  { store_id: 1, month: "2025-01-01", amount_range: "0-99" },
  { store_id: 1, month: "2025-01-01", amount_range: "700-799" },
  { store_id: 1, month: "2025-02-01", amount_range: "0-99" },
  { store_id: 1, month: "2025-02-01", amount_range: "600-699" },
  { store_id: 1, month: "2025-02-01", amount_range: "900-999" },
  { store_id: 2, month: "2025-01-01", amount_range: "100-199" },
  { store_id: 2, month: "2025-03-01", amount_range: "500-599" },
];
