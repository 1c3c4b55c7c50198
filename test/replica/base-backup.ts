import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Client } from "pg";

/** Files and folders a base backup leaves out (PostgreSQL's own list for pg_basebackup, the parts that matter here). */
const SKIPPED_FILES = new Set(["postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map"]);
const EMPTIED_FOLDERS = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_stat_tmp",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
]);

/**
 * Copies the running cluster `dataDir` into `target` with the low-level backup API (PostgreSQL 15+): in one session
 * `pg_backup_start(label, fast => true)`, a file copy while the server keeps running, `pg_backup_stop()`, whose
 * `labelfile` becomes the copy's `backup_label` (its `spcmapfile`, when the cluster has tablespaces,
 * `tablespace_map`). The copy holds no WAL: a standby started on it streams what it needs from the primary
 * (through a replication slot made before the backup, which keeps that WAL). What pg_basebackup does, with
 * nothing but a superuser connection, so it works with the embedded binaries, which ship no pg_basebackup.
 */
export async function lowLevelBaseBackup(session: Client, dataDir: string, target: string): Promise<void> {
  await session.query("select pg_backup_start('gatehouse replica test', true)");
  let stopped = false;
  try {
    cpSync(dataDir, target, {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(dataDir, source);
        if (relative === "") return true;
        const [top, ...rest] = relative.split(path.sep);
        if (rest.length === 0) return !SKIPPED_FILES.has(top!);
        return !EMPTIED_FOLDERS.has(top!) || (top === "pg_wal" && relative === path.join("pg_wal", "archive_status"));
      },
    });
    for (const folder of EMPTIED_FOLDERS) mkdirSync(path.join(target, folder), { recursive: true });
    const { rows } = await session.query<{ labelfile: string; spcmapfile: string | null }>(
      "select labelfile, spcmapfile from pg_backup_stop(true)",
    );
    stopped = true;
    writeFileSync(path.join(target, "backup_label"), rows[0]!.labelfile);
    if (rows[0]!.spcmapfile) writeFileSync(path.join(target, "tablespace_map"), rows[0]!.spcmapfile);
  } finally {
    if (!stopped) await session.query("select pg_backup_stop(false)").catch(() => {});
  }
}
