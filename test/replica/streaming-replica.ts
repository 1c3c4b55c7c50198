import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { freePort } from "../../db";
import { lowLevelBaseBackup } from "./base-backup";
import { postgresBinaries, type PostgresBinaries } from "./postgres-binaries";
import { giveToServer, initCluster, serverOsUser, startServer, type PostgresServer } from "./postgres-process";

const REPLICATOR = "replicator";
const REPLICATOR_PASSWORD = "replica-test-replicator";
const SLOT = "gatehouse_replica";

/** A primary cluster this test owns and a hot standby streaming from it. */
export interface StreamingPair {
  readonly primary: PostgresServer;
  readonly replica: PostgresServer;
  readonly binaries: PostgresBinaries;
  /** Resolves once the replica has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  /** Stops both servers and removes their data. */
  stop(): Promise<void>;
}

const query = async <T>(url: string, text: string, values: unknown[] = []): Promise<T[]> => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
};

/**
 * initdb a primary (wal_level replica), give it a replication role and a physical slot, take a base backup of it
 * while it runs ({@link lowLevelBaseBackup}), and start the copy as a hot standby (`standby.signal`,
 * `primary_conninfo`, `primary_slot_name`); resolves when the primary's `pg_stat_replication` shows it streaming.
 * Both run the binaries of the test cluster's major version when present ({@link postgresBinaries}).
 */
export async function startStreamingPair(testClusterMajor: number): Promise<StreamingPair> {
  const binaries = postgresBinaries(testClusterMajor);
  const user = serverOsUser();
  const folder = mkdtempSync(path.join(tmpdir(), "gatehouse-replica-"));
  chmodSync(folder, 0o755);
  giveToServer(folder, user);
  const started: PostgresServer[] = [];
  const stop = async () => {
    for (const server of [...started].reverse()) await server.stop();
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    const primaryDir = path.join(folder, "primary");
    initCluster(binaries, primaryDir, user);
    const primary = await startServer(binaries, primaryDir, await freePort(), user, {
      wal_level: "replica",
      max_wal_senders: "4",
      max_replication_slots: "4",
      hot_standby_feedback: "on",
    });
    started.push(primary);
    await query(primary.url(), `create role ${REPLICATOR} replication login password '${REPLICATOR_PASSWORD}'`);
    await query(primary.url(), `select pg_create_physical_replication_slot('${SLOT}', true)`);

    const replicaDir = path.join(folder, "replica");
    const session = new Client({ connectionString: primary.url() });
    await session.connect();
    try {
      await lowLevelBaseBackup(session, primaryDir, replicaDir);
    } finally {
      await session.end();
    }
    writeFileSync(path.join(replicaDir, "standby.signal"), "");
    appendFileSync(
      path.join(replicaDir, "postgresql.auto.conf"),
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=${REPLICATOR} password=${REPLICATOR_PASSWORD} application_name=gatehouse_replica'\n` +
        `primary_slot_name = '${SLOT}'\nhot_standby = on\n`,
    );
    giveToServer(replicaDir, user);
    chmodSync(replicaDir, 0o700);
    const replica = await startServer(binaries, replicaDir, await freePort(), user);
    started.push(replica);
    await waitFor(async () => {
      const rows = await query<{ state: string }>(
        primary.url(),
        "select state from pg_stat_replication where application_name = 'gatehouse_replica'",
      );
      return rows[0]?.state === "streaming";
    }, "the replica to stream from the primary");
    const caughtUp = async () => {
      const [{ lsn }] = await query<{ lsn: string }>(primary.url(), "select pg_current_wal_lsn()::text as lsn");
      await waitFor(async () => {
        const [row] = await query<{ done: boolean }>(replica.url(), "select pg_last_wal_replay_lsn() >= $1::pg_lsn as done", [
          lsn,
        ]);
        return row!.done;
      }, `the replica to replay up to ${lsn}`);
    };
    return { primary, replica, binaries, caughtUp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
