/**
 * Who reads which contacts, and which of their columns — derived by hand from CRM.md, db/crm/roles.ts and
 * the demo seed (db/crm/seed.ts), never by querying.
 *
 * Contacts follow their customer: contact (customer) 1 (1), 2 (1), 3 (2), 4 (3), 5 (4), 6 (5), 7 (6), 8 (7),
 * 9 (8), 10 (9), 11 (10), 12 (11), 13 (12), 14 (13), 15 (15), 16 (16), 17 (17), 18 (18), 19 (19), 20 (21),
 * 21 (22). Customer 1 is the VIP (rita), 16–18 the pool, 21 soft-deleted, 22 archived.
 */
import { NO_ACCESS, type TableExpectations } from "../table-access";

/**
 * Raw personal data on every row they see: the director, admin, auditor. The id number is encrypted at rest
 * (encrypt() in roles.ts): nobody selects it, so they too read its masked twin.
 */
const FULL = ["id", "customer_id", "full_name", "phone", "email", "id_number_masked"] as const;
/**
 * Reps, supervisors and regional managers: phone and email raw only where they own the customer (reps) or manage
 * its unit (supervisors and above), masked on the other contacts they see — so they select the masked twins, and read
 * the raw values row by row through their row mask function (test/crm/row-masks.test.ts); the id number masked.
 */
const BY_ROW = ["id", "customer_id", "full_name", "phone_masked", "email_masked", "id_number_masked"] as const;
/** Intern and support: the masked twins instead of phone, email and id_number. */
const MASKED = ["id", "customer_id", "full_name", "phone_masked", "email_masked", "id_number_masked"] as const;
/** Analyst: no name, masked twins only. */
const ANALYST = ["id", "customer_id", "phone_masked", "email_masked", "id_number_masked"] as const;

/**
 * The personas whose role reads phone, email and id_number row by row (BY_ROW above): over the API their contact
 * type has those three fields again, computed per row (test/server/row-masks.test.ts checks the values).
 */
export const CONTACTS_READ_BY_ROW = {
  personas: ["erin", "sam", "rita", "rick", "roy", "wendy", "olga"],
  columns: ["phone", "email"],
} as const;

export const contacts: TableExpectations = {
  table: "contacts",
  columns: ["id", "customer_id", "full_name", "phone", "email", "id_number", "phone_masked", "email_masked", "id_number_masked"],
  ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
  personas: {
    // director: every customer she sees (all but the soft-deleted 21, so not contact 20)
    dana: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21], columns: FULL },
    // regional manager of East: customers of East-1 and East-2 she sees (VIP 1 and archived 22 included,
    // deleted 21 not); the West-1 pool customer 18 is visible to her but not in her subtree
    erin: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 19, 21], columns: BY_ROW },
    // supervisor of East-1: his unit's customers except the VIP 1 he does not own and the deleted 21;
    // archived 22 (contact 21) stays; the East-2 pool customer 17 is outside his subtree
    sam: { ids: [3, 4, 5, 6, 7, 15, 16, 19, 21], columns: BY_ROW },
    // reps: customers they own, and those granted to them or in their open projects; never the pool (16–18)
    rita: { ids: [1, 2, 3, 4, 12], columns: BY_ROW }, // customers 1, 2, 3 (22 is archived) and 11 (open project)
    rick: { ids: [5, 6, 7, 9], columns: BY_ROW }, // customers 4, 5, 6 (21 is deleted) and 8 (granted; 10's grant expired)
    roy: { ids: [8, 9, 10, 11], columns: BY_ROW }, // customers 7, 8, 9, 10
    wendy: { ids: [12, 13, 14], columns: BY_ROW }, // customers 11, 12, 13 (14 has no contact)
    ian: { ids: [15], columns: MASKED }, // intern: his own customer 15, masked
    fiona: NO_ACCESS,
    lena: NO_ACCESS,
    // support: every customer it sees — not archived (22), and per the restrictions not the VIP 1 or deleted 21
    suki: { ids: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19], columns: MASKED },
    mark: NO_ACCESS,
    paul: NO_ACCESS,
    // analyst of East: customers of East-1 and East-2 she sees (not VIP 1, deleted 21, archived 22)
    ana: { ids: [3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 19], columns: ANALYST },
    adam: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], columns: FULL },
    aude: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], columns: FULL },
    // frozen: holds the sales_rep grants, sees no row
    olga: { ids: [], columns: BY_ROW },
  },
};
