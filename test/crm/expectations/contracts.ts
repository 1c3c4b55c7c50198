/**
 * Who reads which contracts — derived by hand from CRM.md, db/crm/roles.ts and the demo seed (db/crm/seed.ts),
 * never by querying.
 *
 * Contract (customer, stage, payment, legal): 1 (3 rita, draft, pending, pending), 2 (10 roy, review, pending,
 * pending), 3 (12 wendy, signed, invoiced, approved), 4 (6 rick, active, invoiced, approved), 5 (13 wendy,
 * active, overdue, approved), 6 (7 roy, closed, paid, approved), 7 (1 rita VIP, draft, pending, pending),
 * 8 (22 rita archived, closed, paid, approved).
 *
 * Reps see contracts of customers they own; supervisors and regional managers also those of every customer of
 * their unit subtree they see: sam (East-1) customers 3, 6 and the archived 22 (VIP 1 stays hidden from him);
 * erin (East) 3, 10, 6, 7, 22 and the VIP 1.
 */
import { NO_ACCESS, type TableExpectations } from "../table-access";

const ALL = ["id", "customer_id", "amount", "stage", "payment_status", "legal_status"] as const;

export const contracts: TableExpectations = {
  table: "contracts",
  columns: ALL,
  ids: [1, 2, 3, 4, 5, 6, 7, 8],
  personas: {
    dana: { ids: [1, 2, 3, 4, 5, 6, 7, 8], columns: ALL }, // every customer she sees, archived 22 included
    erin: { ids: [1, 2, 4, 6, 7, 8], columns: ALL },
    sam: { ids: [1, 4, 8], columns: ALL },
    rita: { ids: [1, 7], columns: ALL }, // customers 3 and 1; 22 is archived
    rick: { ids: [4], columns: ALL },
    roy: { ids: [2, 6], columns: ALL },
    wendy: { ids: [3, 5], columns: ALL },
    ian: NO_ACCESS,
    fiona: { ids: [1, 2, 3, 4, 5, 6, 7, 8], columns: ALL }, // finance: all contracts
    lena: { ids: [2, 3], columns: ALL }, // legal: review and signed
    suki: NO_ACCESS,
    mark: NO_ACCESS,
    paul: NO_ACCESS,
    ana: { ids: [1, 2, 4, 6], columns: ALL }, // East customers she sees: 3, 10, 6, 7 (not VIP 1, archived 22)
    adam: { ids: [1, 2, 3, 4, 5, 6, 7, 8], columns: ALL },
    aude: { ids: [1, 2, 3, 4, 5, 6, 7, 8], columns: ALL },
    olga: { ids: [], columns: ALL },
  },
};
