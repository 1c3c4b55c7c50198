/**
 * Who reads which quotes — derived by hand from CRM.md, db/crm/roles.ts and the demo seed (db/crm/seed.ts),
 * never by querying. A quote is visible when its customer is.
 *
 * Quote (customer, status): 1 (1, submitted), 2 (2, draft), 3 (3, approved by sam), 4 (5, submitted),
 * 5 (8, submitted), 6 (10, approved by erin), 7 (11, draft), 8 (12, approved by dana), 9 (14, rejected),
 * 10 (16, draft).
 */
import { NO_ACCESS, type TableExpectations } from "../table-access";

const ALL = ["id", "customer_id", "amount", "status", "approved_by"] as const;

export const quotes: TableExpectations = {
  table: "quotes",
  columns: ALL,
  ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  personas: {
    dana: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], columns: ALL },
    erin: { ids: [1, 2, 3, 4, 5, 6, 10], columns: ALL }, // East and the East-1 pool customer 16
    sam: { ids: [2, 3, 4, 10], columns: ALL }, // East-1 without the VIP 1
    rita: { ids: [1, 2, 3, 7, 10], columns: ALL }, // her 1, 2, 3, the project's 11, the pool's 16
    rick: { ids: [4, 5, 10], columns: ALL }, // his 5, the granted 8, the pool's 16
    roy: { ids: [5, 6, 10], columns: ALL },
    wendy: { ids: [7, 8, 9, 10], columns: ALL },
    ian: NO_ACCESS,
    fiona: NO_ACCESS,
    lena: NO_ACCESS,
    suki: NO_ACCESS,
    mark: NO_ACCESS,
    paul: NO_ACCESS,
    ana: NO_ACCESS,
    adam: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], columns: ALL },
    aude: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], columns: ALL },
    olga: { ids: [], columns: ALL },
  },
};
