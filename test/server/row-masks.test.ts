/**
 * Row-dependent masks over HTTP: a role that reads a column row by row gets the column back under its own name,
 * computed per row by its row mask function — raw where the mask's scope holds, masked elsewhere — and nothing that
 * would read the raw value of other rows (no condition or order on it).
 */
import { column } from "../crm/crm-database";
import { rows } from "../crm/table-access";
import { openCrmApi, type CrmApi } from "./api";

let api: CrmApi;
beforeAll(async () => {
  api = await openCrmApi();
});
afterAll(() => api?.close());

interface ContactNode {
  rowId: string;
  phone: string | null;
  email: string | null;
  phoneMasked: string | null;
}

const CONTACTS = "{ allContacts(orderBy: PRIMARY_KEY_ASC) { nodes { rowId phone email phoneMasked } } }";

async function contactsOf(username: string): Promise<ContactNode[]> {
  const { data, errors } = await api.query<{ allContacts: { nodes: ContactNode[] } }>(CONTACTS, {
    token: await api.token(username),
  });
  expect(errors).toBeUndefined();
  return data!.allContacts.nodes;
}

/** The stored values of some contacts, read as the superuser. */
const stored = (ids: readonly number[]) =>
  api.crm.root((c) =>
    rows(c, `select id::text as "rowId", phone, email from crm.contacts where id = any ($1) order by id`, [ids]),
  );

test("rita's contacts over GraphQL: her own customers' in full, her project customer's masked", async () => {
  const nodes = await contactsOf("rita");
  const raw = await stored([1, 2, 3, 4, 12]);
  expect(nodes.map((n) => n.rowId)).toEqual(["1", "2", "3", "4", "12"]);
  for (const [i, n] of nodes.entries()) {
    const r = raw[i]!;
    if (n.rowId === "12") {
      expect(n).toEqual({
        rowId: "12",
        phone: `*******${String(r.phone).slice(-4)}`,
        email: `***@${String(r.email).split("@")[1]}`,
        phoneMasked: `*******${String(r.phone).slice(-4)}`,
      });
    } else expect({ rowId: n.rowId, phone: n.phone, email: n.email }).toEqual(r);
  }
});

test("rick's contacts over GraphQL: the contact of the customer granted to him masked, his own in full", async () => {
  const nodes = await contactsOf("rick");
  expect(nodes.map((n) => [n.rowId, n.phone === n.phoneMasked])).toEqual([
    ["5", false],
    ["6", false],
    ["7", false],
    ["9", true],
  ]);
  expect(nodes.find((n) => n.rowId === "9")!.phone).toMatch(/^\*+\d{4}$/);
});

test("suki's schema has no raw phone field at all: support reads only the twin", async () => {
  const { data, errors } = await api.query("{ allContacts { nodes { phone } } }", { token: await api.token("suki") });
  expect(data).toBeUndefined();
  expect(errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
});

test("rita cannot filter or order contacts by the phone she reads row by row", async () => {
  const token = await api.token("rita");
  const filtered = await api.query('{ allContacts(condition: { phone: "+1-555-0112" }) { nodes { rowId } } }', { token });
  expect(filtered.data).toBeUndefined();
  expect(filtered.errors?.length).toBe(1);
  const ordered = await api.query("{ allContacts(orderBy: PHONE_ASC) { nodes { rowId } } }", { token });
  expect(ordered.data).toBeUndefined();
  expect(ordered.errors?.length).toBe(1);
  expect(await api.crm.root((c) => column(c, "select id::int from crm.contacts where phone = '+1-555-0112'"))).toEqual([12]);
});

test("dana reads every contact's phone from the raw column, in full, and has no twin to read", async () => {
  const { data } = await api.query<{ allContacts: { nodes: { rowId: string; phone: string | null }[] } }>(
    '{ allContacts(condition: { rowId: "12" }) { nodes { rowId phone } } }',
    { token: await api.token("dana") },
  );
  expect(data!.allContacts.nodes).toEqual([{ rowId: "12", phone: (await stored([12]))[0]!.phone }]);
});

test("rita writes the phone of her own customer's contact and the mutation's payload reads it back in full", async () => {
  const { data, errors } = await api.query(
    'mutation { updateContactByRowId(input: { rowId: "3", contactPatch: { phone: "+1-555-0777" } }) { contact { rowId phone phoneMasked } } }',
    { token: await api.token("rita") },
  );
  expect(errors).toBeUndefined();
  expect(data).toEqual({ updateContactByRowId: { contact: { rowId: "3", phone: "+1-555-0777", phoneMasked: "*******0777" } } });
  expect(await stored([3])).toEqual([{ rowId: "3", phone: "+1-555-0777", email: expect.any(String) }]);
});

test("rita asking for the contact of rick's customer by its key gets null, and no phone; the contact exists", async () => {
  const { data, errors } = await api.query('{ contactByRowId(rowId: "5") { rowId phone email } }', {
    token: await api.token("rita"),
  });
  expect(errors).toBeUndefined();
  expect(data).toEqual({ contactByRowId: null });
  expect((await stored([5])).map((r) => r.rowId)).toEqual(["5"]);
});
