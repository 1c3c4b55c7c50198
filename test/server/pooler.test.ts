/**
 * The API server behind a transaction pooler: Debian's PgBouncer 1.18 in transaction mode with 4 server
 * connections, 24 concurrent clients over every persona. With `PREPARED_STATEMENTS=off` every response is the
 * one the same persona gets from a server connected directly — no identity leaks from one request to the next
 * on a shared server connection — and no request fails. With PostGraphile's named prepared statements the same
 * load fails (the statement was prepared on another server connection), which is why the switch exists; even
 * then no request is answered with another persona's rows.
 */
import { openCrmDatabase } from "../crm/crm-database";
import { PERSONA_NAMES } from "../crm/table-access";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmApi, type CrmApi, type GraphQLResponse } from "./api";
import { pgBouncerUnavailable, startPgBouncer, type PgBouncer } from "./pgbouncer";

const unavailable = pgBouncerUnavailable();
const withPgBouncer = unavailable ? test.skip : test;

const POOL_SIZE = 4;
const CLIENTS = 24;
const REQUESTS_PER_CLIENT = 8;
const QUERY =
  "{ allCustomers(orderBy: PRIMARY_KEY_ASC) { nodes { rowId name ownerId } } allQuotes(orderBy: PRIMARY_KEY_ASC) { totalCount } }";

let crm: AppTestDatabase;
let direct: CrmApi;
let bouncer: PgBouncer;
const tokens = new Map<string, string>();
const expected = new Map<string, string>();

beforeAll(async () => {
  if (unavailable) {
    console.warn(`PgBouncer tests skipped: ${unavailable}`);
    return;
  }
  crm = await openCrmDatabase();
  direct = await openCrmApi({ crm });
  for (const name of PERSONA_NAMES) {
    const token = await direct.token(name);
    tokens.set(name, token);
    expected.set(name, JSON.stringify(await direct.query(QUERY, { token })));
  }
  bouncer = await startPgBouncer(crm.authenticatorUrl, POOL_SIZE);
});
afterAll(async () => {
  await direct?.close();
  await bouncer?.stop();
  await crm?.close();
});

/** The backends of the authenticator's server connections that are running a transaction right now. */
const busyBackends = () =>
  crm.root(async (c) => {
    const { rows } = await c.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and usename = $1 and state <> 'idle'",
      [new URL(crm.authenticatorUrl).username],
    );
    return rows.map((r) => r.pid);
  });

/** 24 clients, each sending 8 requests as personas in turn; the responses, and every backend seen busy meanwhile. */
async function load(api: CrmApi): Promise<{ responses: { name: string; body: GraphQLResponse }[]; backends: Set<number> }> {
  const responses: { name: string; body: GraphQLResponse }[] = [];
  let done = false;
  const backends = new Set<number>();
  const watching = (async () => {
    while (!done) {
      for (const pid of await busyBackends()) backends.add(pid);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
        const name = PERSONA_NAMES[(client + i) % PERSONA_NAMES.length]!;
        responses.push({ name, body: await api.query(QUERY, { token: tokens.get(name)! }) });
      }
    }),
  );
  done = true;
  await watching;
  return { responses, backends };
}

withPgBouncer(
  "with PREPARED_STATEMENTS=off, 192 requests of every persona through PgBouncer (4 server connections) each get exactly that persona's response",
  async () => {
    const api = await openCrmApi({ crm, authenticatorUrl: bouncer.url, preparedStatements: false, poolMax: 10 });
    try {
      const { responses, backends } = await load(api);
      expect(responses).toHaveLength(CLIENTS * REQUESTS_PER_CLIENT);
      const wrong = responses.filter((r) => JSON.stringify(r.body) !== expected.get(r.name));
      expect(wrong).toEqual([]);
      expect(new Set(responses.map((r) => r.name)).size).toBe(PERSONA_NAMES.length);
      // every request reached PostgreSQL through PgBouncer's 4 server connections (the API's own pool holds 10)
      expect(backends.size).toBeGreaterThan(0);
      expect(backends.size).toBeLessThanOrEqual(POOL_SIZE);
    } finally {
      await api.close();
    }
  },
);

withPgBouncer("personas see different rows through the pooler: rita her own customers, adam every one", () => {
  const customers = (name: string) =>
    (JSON.parse(expected.get(name)!) as GraphQLResponse<{ allCustomers: { nodes: unknown[] } }>).data!.allCustomers.nodes.length;
  expect(customers("rita")).toBeLessThan(customers("adam"));
});

withPgBouncer(
  "with named prepared statements the same load fails through PgBouncer, and no response carries another persona's rows",
  async () => {
    const logged: string[] = [];
    const log = (_reference: string, error: unknown) => void logged.push(String((error as Error)?.message ?? error));
    const api = await openCrmApi({ crm, authenticatorUrl: bouncer.url, poolMax: 10, log });
    try {
      const { responses } = await load(api);
      expect(responses.filter((r) => r.body.errors).length).toBeGreaterThan(0);
      expect(logged.some((message) => /prepared statement "[^"]+" (does not exist|already exists)/.test(message))).toBe(true);
      const answered = responses.filter((r) => r.body.data?.allCustomers);
      for (const r of answered) {
        const expectedData = (JSON.parse(expected.get(r.name)!) as GraphQLResponse).data as { allCustomers: unknown } | undefined;
        expect(r.body.data!.allCustomers).toEqual(expectedData?.allCustomers);
      }
    } finally {
      await api.close();
    }
  },
);
