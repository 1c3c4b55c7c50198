/**
 * The store chain's access rules: a second app, shaped unlike the CRM (schema `shop`, identity in
 * staff / staff_roles / regions with their own column names, role prefix `shop_`), to show the
 * toolkit assumes nothing of the CRM.
 *
 * Visibility flows from stores: each role says which stores it sees (its own store, its region's
 * subtree, or all), and members and purchases follow their store through `via`, so the store's own
 * row security decides.
 */
import {
  all,
  and,
  dateToMonth,
  defineApp,
  granted,
  isNull,
  keepFirst,
  keepLast,
  mask,
  numberToRange,
  or,
  own,
  raw,
  restrict,
  role,
  softDelete,
  sql,
  unit,
  unitTree,
  via,
  view,
} from "../../../db";

/** Rows whose store the user may see (the stores table's row security applies inside). */
const visibleStore = via("store_id", "stores");

export const storeManager = role("store_manager", {
  description: "their own store, its members (card numbers masked) and purchases; sets the store's opening hours",
  tables: {
    stores: {
      select: unit("region_id"),
      update: { using: unit("region_id") },
      columns: { default: "read", opening_hours: "write" },
    },
    members: { select: visibleStore, columns: { default: "read", card_number: "masked" } },
    purchases: { select: visibleStore, columns: { default: "read" } },
  },
});

export const regionalManager = role("regional_manager", {
  extends: [storeManager],
  description: "a store manager over every store of their region's subtree",
  tables: { stores: { select: unitTree("region_id"), update: { using: unitTree("region_id") } } },
});

export const hq = role("hq", {
  extends: [regionalManager],
  description: "head office: every store, member and purchase; member phones and card numbers masked",
  tables: {
    stores: { select: all() },
    members: { select: all(), columns: { phone: "masked" } },
    purchases: { select: all() },
  },
});

export const cashier = role("cashier", {
  description: "their own store: rings up purchases there, reads its members with card numbers masked",
  tables: {
    stores: { select: unit("region_id"), columns: { default: "hidden", store_id: "read", region_id: "read", name: "read" } },
    members: {
      select: or(visibleStore, granted("id")),
      columns: { default: "hidden", id: "read", store_id: "read", full_name: "read", phone: "read", card_number: "masked" },
    },
    purchases: {
      select: visibleStore,
      insert: { check: and(visibleStore, own("cashier_id"), or(isNull("member_id"), via("member_id", "members"))) },
      columns: { default: "read", member_id: "insert", store_id: "insert", cashier_id: "insert", amount: "insert" },
    },
  },
});

export const memberService = role("member_service", {
  description: "members of every store in their region's subtree, read and write; no purchases",
  tables: {
    stores: { select: unitTree("region_id"), columns: { default: "hidden", store_id: "read", name: "read" } },
    members: {
      select: visibleStore,
      insert: { check: visibleStore },
      update: { using: visibleStore },
      // a soft delete (softDeletes below): the member is marked and hidden, hq may bring them back
      delete: visibleStore,
      columns: { default: "write", id: "read" },
    },
  },
});

export const analyst = role("analyst", {
  description: "stores of their region's subtree, and their purchases only through purchase_stats",
  tables: { stores: { select: unitTree("region_id"), columns: { default: "read" } } },
});

/** The store chain: schema `shop`, roles `shop_<role>`, toolkit objects in `gatehouse`. */
export const storeChain = defineApp({
  schema: "shop",
  rolePrefix: "shop_",
  identity: {
    users: { table: "staff", id: "staff_id", unit: "region_id", status: "state", activeStatus: "employed", username: "login" },
    userRoles: { table: "staff_roles", user: "staff_id", role: "role_name" },
    units: { table: "regions", id: "region_id", parent: "parent_region_id" },
    grants: {
      table: "staff_passes",
      grantee: "holder_id",
      tableName: "target_table",
      row: "target_id",
      privilege: "access",
      expires: "valid_until",
      grantedBy: "issued_by",
      reason: "why",
    },
  },
  roles: [storeManager, regionalManager, hq, cashier, memberService, analyst],
  restrictions: [
    restrict("large_purchases", {
      table: "purchases",
      hides: raw(sql`${sql.identifier("amount")} >= 500`, "amount of 500 or more"),
      unless: own("cashier_id"),
      exempt: [
        [storeManager, all()],
        [analyst, all()],
      ],
    }),
  ],
  masks: [
    mask("members", "phone", keepFirst(5)),
    mask("members", "card_number", keepLast(4)),
    mask("purchases", "amount", numberToRange(100), { as: "amount_range" }),
    mask("purchases", "created_at", dateToMonth(), { as: "month" }),
  ],
  views: [
    view("purchase_stats", {
      from: "purchases",
      columns: ["store_id", "month", "amount_range"],
      where: visibleStore,
      roles: [analyst],
      description: "purchases per store and month with the amount as a 100-wide range: no member, no cashier, no exact amount",
    }),
  ],
  audit: { readers: [hq] },
  // a member who cancels is removed: the compile adds the marker columns, hq alone sees and restores them
  softDeletes: [
    softDelete("members", {
      column: "removed_at",
      by: "removed_by",
      reason: "removal_reason",
      visibleTo: [hq],
      restore: [hq],
      retention: "30 days",
    }),
  ],
  // a regional manager lets a cashier of their region look up a member of another store for a shift
  grants: { by: [regionalManager], anywhere: [hq], maxDuration: "12 hours", tables: ["members"], privileges: ["select"] },
});
