/**
 * Who reads which follow-ups — derived by hand from CRM.md, db/crm/roles.ts and the demo seed
 * (db/crm/seed.ts), never by querying. A follow-up is visible when its customer is (interns: when they own it).
 *
 * Follow-up (customer, author): 1 (1, rita), 2 (1, rita), 3 (2, rita), 4 (3, rita), 5 (4, rick), 6 (6, rick),
 * 7 (8, roy), 8 (10, roy), 9 (11, wendy), 10 (13, wendy), 11 (15, ian), 12 (19, olga), 13 (20, olga).
 */
import { NO_ACCESS, type TableExpectations } from "../table-access";

const ALL = ["id", "customer_id", "author_id", "body", "created_at"] as const;

export const followUps: TableExpectations = {
  table: "follow_ups",
  columns: ALL,
  ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  personas: {
    dana: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], columns: ALL },
    erin: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13], columns: ALL }, // East; not wendy's West customers 11, 13
    sam: { ids: [3, 4, 5, 6, 11, 12, 13], columns: ALL }, // East-1 without the VIP 1
    rita: { ids: [1, 2, 3, 4, 9], columns: ALL }, // her customers 1, 2, 3 and the open-project customer 11
    rick: { ids: [5, 6, 7], columns: ALL }, // his customers 4, 6 and the granted 8
    roy: { ids: [7, 8], columns: ALL },
    wendy: { ids: [9, 10], columns: ALL },
    ian: { ids: [11], columns: ALL },
    fiona: NO_ACCESS,
    lena: NO_ACCESS,
    suki: { ids: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], columns: ALL }, // read-only; not the VIP 1
    mark: NO_ACCESS,
    paul: NO_ACCESS,
    ana: NO_ACCESS,
    adam: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], columns: ALL },
    aude: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], columns: ALL },
    olga: { ids: [], columns: ALL },
  },
};
