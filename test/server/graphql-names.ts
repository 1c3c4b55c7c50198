import { CUSTOMER_EXPECTATIONS, MARKETING_EXPORT_COLUMNS } from "../crm/expectations/customers";
import { contacts, CONTACTS_READ_BY_ROW } from "../crm/expectations/contacts";
import { contracts } from "../crm/expectations/contracts";
import { followUps } from "../crm/expectations/follow-ups";
import { quotes } from "../crm/expectations/quotes";
import { serviceTickets } from "../crm/expectations/service-tickets";
import { PERSONA_NAMES, type PersonaName, type TableAccess } from "../crm/table-access";

/** The GraphQL field amber gives a column: camelCase, and `id` becomes `rowId` (`id` is the global node id). */
export const fieldOf = (column: string): string =>
  column === "id" ? "rowId" : column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** One relation as the API shows it, with what each persona may read of it (shared with the SQL-level tests). */
export interface ApiRelation {
  /** `schema.relation` in the database. */
  readonly relation: string;
  /** Its GraphQL object type and the root connection field listing it. */
  readonly type: string;
  readonly list: string;
  /** Every row id the superuser sees. */
  readonly ids: readonly number[];
  /** How the superuser lists those ids, when not `select id from <relation>` (a view run by its owner shows it nothing). */
  readonly rootIds?: string;
  readonly personas: Readonly<Record<PersonaName, TableAccess>>;
}

/** A table's expectations as the API shows them; `byRow`: personas that also get the columns they read row by row, as fields. */
const fromTable = (
  e: { table: string; ids: readonly number[]; personas: Readonly<Record<PersonaName, TableAccess>> },
  type: string,
  list: string,
  byRow?: { readonly personas: readonly string[]; readonly columns: readonly string[] },
): ApiRelation => ({
  relation: `crm.${e.table}`,
  type,
  list,
  ids: e.ids,
  personas: Object.fromEntries(
    PERSONA_NAMES.map((name) => {
      const access = e.personas[name];
      return [name, byRow?.personas.includes(name) ? { ...access, columns: [...access.columns, ...byRow.columns] } : access];
    }),
  ) as Record<PersonaName, TableAccess>,
});

/**
 * crm.customers: the expected rows and columns. Marketing holds nothing on the table (its expectation's rows are
 * the export view's), so the API shows it no customers type at all.
 */
const customersAccess = Object.fromEntries(
  PERSONA_NAMES.map((name) => {
    const e = CUSTOMER_EXPECTATIONS[name]!;
    const access: TableAccess = e.columns.length === 0 ? { ids: null, columns: [] } : { ids: e.ids, columns: e.columns };
    return [name, access];
  }),
) as Record<PersonaName, TableAccess>;

/** crm.marketing_export: marketing's rows, the view's six columns; nobody else may read it. */
const exportAccess = Object.fromEntries(
  PERSONA_NAMES.map((name) => {
    const e = CUSTOMER_EXPECTATIONS[name]!;
    const access: TableAccess =
      e.relation === "crm.marketing_export" ? { ids: e.ids, columns: MARKETING_EXPORT_COLUMNS } : { ids: null, columns: [] };
    return [name, access];
  }),
) as Record<PersonaName, TableAccess>;

const ALL_CUSTOMERS = Array.from({ length: 22 }, (_, i) => i + 1);

/** Every relation the per-persona API tests cover. */
export const API_RELATIONS: readonly ApiRelation[] = [
  { relation: "crm.customers", type: "Customer", list: "allCustomers", ids: ALL_CUSTOMERS, personas: customersAccess },
  {
    relation: "crm.marketing_export",
    type: "MarketingExport",
    list: "allMarketingExports",
    ids: [2, 4, 7, 11, 12, 16, 18],
    // the view runs as its own owner, under the caller's identity: the superuser has none and reads no row of it
    rootIds: "select id from crm.customers where consent_marketing and deleted_at is null and archived_at is null order by id",
    personas: exportAccess,
  },
  fromTable(contacts, "Contact", "allContacts", CONTACTS_READ_BY_ROW),
  fromTable(followUps, "FollowUp", "allFollowUps"),
  fromTable(quotes, "Quote", "allQuotes"),
  fromTable(contracts, "Contract", "allContracts"),
  fromTable(serviceTickets, "ServiceTicket", "allServiceTickets"),
];
