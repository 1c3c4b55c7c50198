/**
 * Fault: the database host stops answering without refusing (a dropped route, a firewall that discards packets).
 * The API server reaches PostgreSQL through a TCP relay the test controls; when the relay goes silent — it cuts the
 * open connections and accepts new ones without ever answering — a request gets 503 after `DB_CONNECT_TIMEOUT_MS`,
 * not after the operating system's TCP timeout, and the same server answers again once the relay speaks.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { AppTestDatabase } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { customerExpectation } from "../crm/expectations/customers";
import { openCrmApi, type CrmApi } from "../server/api";

const CONNECT_TIMEOUT_MS = 1_000;

/** A TCP relay to `target` that can go silent: then it accepts connections and never sends a byte. */
function relay(target: { host: string; port: number }) {
  const open = new Set<Socket>();
  let silent = false;
  const server: Server = createServer((inbound) => {
    open.add(inbound);
    inbound.on("close", () => open.delete(inbound));
    inbound.on("error", () => {});
    if (silent) return;
    const outbound = connect(target.port, target.host);
    open.add(outbound);
    outbound.on("close", () => open.delete(outbound));
    outbound.on("error", () => inbound.destroy());
    inbound.on("error", () => outbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  });
  return {
    listen: () =>
      new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))),
    silence() {
      silent = true;
      for (const socket of open) socket.destroy();
    },
    speak() {
      silent = false;
      for (const socket of open) socket.destroy();
    },
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let crm: AppTestDatabase;
let api: CrmApi;
let wire: ReturnType<typeof relay>;

beforeAll(async () => {
  crm = await openCrmDatabase();
  const direct = new URL(crm.authenticatorUrl);
  wire = relay({ host: direct.hostname, port: Number(direct.port || 5432) });
  const relayed = new URL(crm.authenticatorUrl);
  relayed.hostname = "127.0.0.1";
  relayed.port = String(await wire.listen());
  api = await openCrmApi({ crm, authenticatorUrl: relayed.toString(), connectTimeoutMs: CONNECT_TIMEOUT_MS });
}, 60_000);

afterAll(async () => {
  await api?.server.close().catch(() => {});
  await wire?.close();
  await crm?.close();
});

const PAGE = "{ allCustomers { nodes { rowId } } }";
const ids = (data: { allCustomers: { nodes: { rowId: string }[] } } | null | undefined) =>
  data!.allCustomers.nodes.map((n) => Number(n.rowId)).sort((a, b) => a - b);

test("rita's request while the database host is silent gets 503 after the 1 s connect timeout, then her rows once it answers", async () => {
  const rita = await api.token("rita");
  const before = await api.query<{ allCustomers: { nodes: { rowId: string }[] } }>(PAGE, { token: rita });
  expect(ids(before.data)).toEqual(customerExpectation("rita").ids);

  wire.silence();
  const started = Date.now();
  const silent = await api.query(PAGE, { token: rita });
  const waited = Date.now() - started;
  expect(silent.status).toBe(503);
  expect(silent.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
    ["the database is unavailable; try again shortly", "UNAVAILABLE"],
  ]);
  expect(waited).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
  expect(waited).toBeLessThan(CONNECT_TIMEOUT_MS + 3_000);

  wire.speak();
  const after = await api.query<{ allCustomers: { nodes: { rowId: string }[] } }>(PAGE, { token: rita });
  expect(after.status).toBe(200);
  expect(ids(after.data)).toEqual(customerExpectation("rita").ids);
});
