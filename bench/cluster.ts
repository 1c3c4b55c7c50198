import path from "node:path";
import { Client } from "pg";
import { startEmbeddedPostgres } from "../db";

/** Where the embedded benchmark cluster keeps its data (gitignored with the rest of `.gatehouse/`). */
export const BENCH_DATA_DIR = ".gatehouse/bench-pgdata";

/**
 * shared_buffers of the embedded benchmark cluster. The default (128MB) is smaller than the 1M-customer
 * table, so every count would copy pages from the OS cache; a server sized for this data set would
 * hold them. Set with `alter system` (it needs a restart), only on the bench's own cluster.
 */
const EMBEDDED_SHARED_BUFFERS = "1GB";

/**
 * max_locks_per_transaction of the embedded benchmark cluster. Applying a compile is one transaction, and each view,
 * table and twin it creates or alters stays locked until the commit: the compile benchmark's 100 roles × 200 tables
 * (8,600 `select *` views) need more than the default 64 × 100 connections. Set like shared_buffers.
 */
const EMBEDDED_MAX_LOCKS = "512";

/** The PostgreSQL cluster the benchmark runs on. */
export interface BenchCluster {
  /** Superuser URL of the cluster's maintenance database. */
  readonly adminUrl: string;
  /** Where it came from, for the report. */
  readonly source: string;
  /** Stops the embedded server (nothing for an external cluster). */
  stop(): Promise<void>;
}

/**
 * `BENCH_DATABASE_URL` (a superuser URL of any PostgreSQL 15+ cluster) when set, used as is;
 * otherwise the embedded PostgreSQL 17 in {@link BENCH_DATA_DIR}, started here, with
 * shared_buffers raised to {@link EMBEDDED_SHARED_BUFFERS}.
 *
 * @example
 * const cluster = await openBenchCluster();
 * try { ... } finally { await cluster.stop(); }
 */
export async function openBenchCluster(): Promise<BenchCluster> {
  const external = process.env.BENCH_DATABASE_URL;
  if (external) return { adminUrl: external, source: "BENCH_DATABASE_URL", stop: async () => {} };
  const dataDir = path.resolve(BENCH_DATA_DIR);
  let server = await startEmbeddedPostgres({ dataDir });
  if (await raiseSettings(server.url)) {
    await server.stop();
    server = await startEmbeddedPostgres({ dataDir });
  }
  return { adminUrl: server.url, source: `embedded PostgreSQL in ${BENCH_DATA_DIR}`, stop: () => server.stop() };
}

/** Sets shared_buffers and max_locks_per_transaction with `alter system` where they differ; true when a restart is needed. */
async function raiseSettings(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    let changed = false;
    for (const [name, value] of [
      ["shared_buffers", EMBEDDED_SHARED_BUFFERS],
      ["max_locks_per_transaction", EMBEDDED_MAX_LOCKS],
    ] as const) {
      const { rows } = await client.query<{ setting: string }>("select current_setting($1) as setting", [name]);
      if (rows[0]!.setting === value) continue;
      await client.query(`alter system set ${name} = '${value}'`);
      changed = true;
    }
    return changed;
  } finally {
    await client.end();
  }
}
