/**
 * What every demo persona may read of `crm.customers`: the exact rows (web channel) and the exact columns.
 *
 * Derived by hand from CRM.md, db/crm/roles.ts and the demo seed (db/crm/seed.ts) — never by querying the
 * database, so that the tests that compare the two test something. The database suite
 * (test/crm/customers.test.ts) checks these against PostgreSQL; the GraphQL suite reuses them over HTTP.
 *
 * The demo customers, for reading the reasons below (owner, unit, what is special):
 *
 * | id | owner | unit | stage | notes |
 * |---|---|---|---|---|
 * | 1 | rita | East-1 | negotiation | VIP |
 * | 2 | rita | East-1 | lead | consent |
 * | 3 | rita | East-1 | contract | |
 * | 4 | rick | East-1 | qualified | consent |
 * | 5 | rick | East-1 | lead | |
 * | 6 | rick | East-1 | won | |
 * | 7 | roy | East-2 | won | consent; expired partner share |
 * | 8 | roy | East-2 | negotiation | live `select` grant to rick |
 * | 9 | roy | East-2 | qualified | closed project (rick) |
 * | 10 | roy | East-2 | contract | expired grant to rick |
 * | 11 | wendy | West-1 | lead | consent; open project (rita) |
 * | 12 | wendy | West-1 | contract | consent; live partner share (Partner Co) |
 * | 13 | wendy | West-1 | won | |
 * | 14 | wendy | West-1 | lost | |
 * | 15 | ian | East-1 | lead | |
 * | 16 | — pool | East-1 | lead | consent |
 * | 17 | — pool | East-2 | qualified | |
 * | 18 | — pool | West-1 | lead | consent |
 * | 19 | olga | East-1 | negotiation | owner frozen |
 * | 20 | olga | East-1 | qualified | owner frozen |
 * | 21 | rick | East-1 | lead | consent; soft-deleted |
 * | 22 | rita | East-1 | won | consent; archived |
 */

/**
 * Every column of `crm.customers`, in table order: the raw columns of the schema, the masked twin, then who
 * and why of a soft delete, which the compile adds (`softDelete("customers", { by, reason })`).
 */
export const CUSTOMER_COLUMNS = [
  "id",
  "name",
  "industry",
  "region",
  "tier",
  "stage",
  "owner_id",
  "unit_id",
  "consent_marketing",
  "last_contacted_at",
  "archived_at",
  "deleted_at",
  "created_at",
  "created_month",
  "deleted_by",
  "deleted_reason",
] as const;

export type CustomerColumn = (typeof CUSTOMER_COLUMNS)[number];

/** The columns of the `crm.marketing_export` view, in the view's order. */
export const MARKETING_EXPORT_COLUMNS = ["id", "region", "industry", "tier", "stage", "created_month"] as const;

/** What one persona may read of `crm.customers`. */
export interface CustomerExpectation {
  /** Ids of the customers the persona selects on the web channel, ascending (marketing: through the export view). */
  readonly ids: readonly number[];
  /**
   * Columns of `crm.customers` the persona may select, in table order; selecting any other column (twins
   * included) is refused with 42501. Column privileges belong to the role, so a frozen user keeps their
   * role's columns and simply sees no row.
   */
  readonly columns: readonly CustomerColumn[];
  /** Where CRM.md lets the persona read customers: the table, or (marketing) only the export view. */
  readonly relation: "crm.customers" | "crm.marketing_export";
  /** The rules that give exactly these rows and columns. */
  readonly why: string;
}

/** Who and why of a soft delete: only the roles that see soft-deleted customers (admin, auditor) read them. */
const DELETED_BY_AND_WHY: readonly CustomerColumn[] = ["deleted_by", "deleted_reason"];

/** All raw columns, no twin, without who and why of a soft delete: what roles that read customers in full may select. */
const RAW: readonly CustomerColumn[] = CUSTOMER_COLUMNS.filter((c) => c !== "created_month" && !DELETED_BY_AND_WHY.includes(c));

/** Every raw column: what admin and auditor, who also see soft-deleted customers, may select. */
const FULL: readonly CustomerColumn[] = CUSTOMER_COLUMNS.filter((c) => c !== "created_month");

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

const REP_WHY = "own customers + the pool (16, 17, 18); no VIP but their own, no archived, no soft-deleted";

/** Per persona (username of PERSONAS): rows and columns of `crm.customers`. */
export const CUSTOMER_EXPECTATIONS: Readonly<Record<string, CustomerExpectation>> = Object.freeze({
  dana: {
    ids: [...upTo(20), 22],
    columns: RAW,
    relation: "crm.customers",
    why: "director: every customer, VIP and archived included; not the soft-deleted 21",
  },
  erin: {
    ids: [...upTo(10), 15, 16, 17, 18, 19, 20, 22],
    columns: RAW,
    relation: "crm.customers",
    why: "regional manager of East: the East-1 and East-2 customers (VIP 1 and archived 22 included), plus the pool's West-1 18; not 21",
  },
  sam: {
    ids: [2, 3, 4, 5, 6, 15, 16, 17, 18, 19, 20, 22],
    columns: RAW,
    relation: "crm.customers",
    why: "supervisor of East-1: its customers (archived 22 included) but not rita's VIP 1, plus the pool (17 East-2, 18 West-1); none of roy's East-2 customers; not 21",
  },
  rita: {
    ids: [1, 2, 3, 11, 16, 17, 18],
    columns: RAW,
    relation: "crm.customers",
    why: `${REP_WHY}: her 1 (VIP), 2, 3 but not her archived 22; 11 through the open project`,
  },
  rick: {
    ids: [4, 5, 6, 8, 16, 17, 18],
    columns: RAW,
    relation: "crm.customers",
    why: `${REP_WHY}: his 4, 5, 6 but not his soft-deleted 21; 8 through the live grant; not 10 (expired grant) nor 9 (closed project)`,
  },
  roy: { ids: [7, 8, 9, 10, 16, 17, 18], columns: RAW, relation: "crm.customers", why: `${REP_WHY}: his 7, 8, 9, 10` },
  wendy: { ids: [11, 12, 13, 14, 16, 17, 18], columns: RAW, relation: "crm.customers", why: `${REP_WHY}: her 11 to 14` },
  ian: { ids: [15], columns: RAW, relation: "crm.customers", why: "intern: only the customers he owns, no pool" },
  fiona: {
    ids: [3, 6, 7, 10, 12, 13],
    columns: RAW,
    relation: "crm.customers",
    why: "finance: stage contract or won; not the archived 22 (won)",
  },
  lena: { ids: [], columns: [], relation: "crm.customers", why: "legal: contracts only, no privilege on customers at all" },
  suki: {
    ids: upTo(20).slice(1),
    columns: ["id", "name", "industry", "region", "tier", "stage"],
    relation: "crm.customers",
    why: "support: every customer except the VIP 1, the soft-deleted 21 and the archived 22; six columns",
  },
  mark: {
    ids: [2, 4, 7, 11, 12, 16, 18],
    columns: [],
    relation: "crm.marketing_export",
    why: "marketing: no privilege on crm.customers at all. Through the export view, which runs as its own owner role (security_barrier), the consenting customers minus the soft-deleted 21 and archived 22, as for a role exempt from no restriction (VIP 1 does not consent); the month created, never created_at or a name",
  },
  paul: {
    ids: [12],
    columns: ["name", "industry", "region", "stage"],
    relation: "crm.customers",
    why: "partner: the live Partner Co share only (7's share expired); four columns, not even id",
  },
  ana: {
    ids: [2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 19, 20],
    columns: [
      "id",
      "industry",
      "region",
      "tier",
      "stage",
      "unit_id",
      "consent_marketing",
      "last_contacted_at",
      "archived_at",
      "deleted_at",
      "created_at",
    ],
    relation: "crm.customers",
    why: "analyst of East: East-1 and East-2 customers except the VIP 1, the soft-deleted 21 and the archived 22; no name, no owner",
  },
  adam: { ids: upTo(22), columns: FULL, relation: "crm.customers", why: "admin: everything, soft-deleted and archived included" },
  aude: { ids: upTo(22), columns: FULL, relation: "crm.customers", why: "auditor: reads everything" },
  olga: {
    ids: [],
    columns: RAW,
    relation: "crm.customers",
    why: "frozen sales rep: no row, although she still owns 19 and 20; her role keeps its column privileges",
  },
});

/**
 * The expectation for one persona.
 *
 * @example
 * customerExpectation("rita").ids; // [1, 2, 3, 11, 16, 17, 18]
 */
export function customerExpectation(username: string): CustomerExpectation {
  const expectation = CUSTOMER_EXPECTATIONS[username];
  if (!expectation) throw new Error(`no customers expectation for persona "${username}"`);
  return expectation;
}
