/**
 * Who reads which service tickets — derived by hand from CRM.md, db/crm/roles.ts and the demo seed
 * (db/crm/seed.ts), never by querying. A ticket is visible when its customer is.
 *
 * Ticket (customer): 1 (1, rita's VIP), 2 (6, rick), 3 (7, roy), 4 (13, wendy), 5 (22, rita's archived).
 */
import { NO_ACCESS, type TableExpectations } from "../table-access";

const ALL = ["id", "customer_id", "status", "subject", "body", "created_at"] as const;

export const serviceTickets: TableExpectations = {
  table: "service_tickets",
  columns: ALL,
  ids: [1, 2, 3, 4, 5],
  personas: {
    dana: { ids: [1, 2, 3, 4, 5], columns: ALL },
    erin: { ids: [1, 2, 3, 5], columns: ALL }, // East, VIP and archived included
    sam: { ids: [2, 5], columns: ALL }, // East-1 without the VIP 1; archived 22 stays
    rita: { ids: [1], columns: ALL }, // her VIP customer; 22 is archived
    rick: { ids: [2], columns: ALL },
    roy: { ids: [3], columns: ALL },
    wendy: { ids: [4], columns: ALL },
    ian: NO_ACCESS,
    fiona: NO_ACCESS,
    lena: NO_ACCESS,
    suki: { ids: [2, 3, 4], columns: ALL }, // support: not the VIP 1, not the archived 22
    mark: NO_ACCESS,
    paul: NO_ACCESS,
    ana: NO_ACCESS,
    adam: { ids: [1, 2, 3, 4, 5], columns: ALL },
    aude: { ids: [1, 2, 3, 4, 5], columns: ALL },
    olga: { ids: [], columns: ALL },
  },
};
