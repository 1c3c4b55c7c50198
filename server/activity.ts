import type { Pool } from "pg";
import { ACTIVITY, sql, toDdl, type AppDefinition } from "../db";
import type { Identity } from "./auth";

const HOUR_MS = 3_600_000;

/** Counts each user's requests per hour and records them in the toolkit's activity table, off the request's path. */
export interface ActivityRecorder {
  /** Counts one request of a known user; the first of an hour is written at once, the rest on the timer. */
  record(identity: Identity): void;
  /** Writes every count not yet written. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

interface Hourly {
  hour: number;
  pending: number;
}

/**
 * An activity recorder on the authenticator's pool: per user and role an in-memory count for the current hour.
 * The first request of an hour writes the row (`record_activity`, so last activity is known to the hour, and
 * written at most once an hour per user); later requests of the hour are added every `flushMs` (default a
 * minute) and on close. Each write is its own statement on the pool, never inside a request's transaction: a
 * failure loses those counts and fails no request; the first failure is logged, then nothing until a write succeeds
 * again, which is logged too (one bad write cannot silence the log for good).
 *
 * @example
 * const activity = activityRecorder(pool, app);
 * activity.record({ role: "clinic_nurse", userId: "4", channel: null });
 * await activity.close();
 */
export function activityRecorder(
  pool: Pool,
  app: AppDefinition,
  options: { flushMs?: number; now?: () => number; log?: (message: string) => void } = {},
): ActivityRecorder {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => console.error(message));
  const text = toDdl(sql`select ${sql.identifier(app.toolkitSchema, ACTIVITY.record)}($1, $2, $3, $4)`);
  const counts = new Map<string, Hourly & { userId: string; role: string }>();
  const writes = new Set<Promise<void>>();
  let failed = false;

  const write = (userId: string, role: string, hour: number, requests: number) => {
    const done = pool
      .query(text, [userId, role, new Date(hour).toISOString(), requests])
      .then(
        () => {
          if (!failed) return;
          failed = false;
          log("[gatehouse] API activity is recorded again");
        },
        (error: Error) => {
          if (failed) return;
          failed = true;
          log(
            `[gatehouse] could not record API activity (requests are served; further failures are not logged until a write succeeds): ${error.message}`,
          );
        },
      )
      .finally(() => writes.delete(done));
    writes.add(done);
  };

  const flush = async () => {
    const current = Math.floor(now() / HOUR_MS) * HOUR_MS;
    for (const [key, entry] of counts) {
      if (entry.pending > 0) write(entry.userId, entry.role, entry.hour, entry.pending);
      entry.pending = 0;
      if (entry.hour < current) counts.delete(key);
    }
    await Promise.all([...writes]);
  };

  const timer = setInterval(() => void flush(), options.flushMs ?? 60_000);
  timer.unref();

  return {
    record({ userId, role }) {
      if (userId === null) return;
      const hour = Math.floor(now() / HOUR_MS) * HOUR_MS;
      const key = `${userId}\u0000${role}`;
      const entry = counts.get(key);
      if (entry && entry.hour === hour) {
        entry.pending += 1;
        return;
      }
      if (entry && entry.pending > 0) write(userId, role, entry.hour, entry.pending);
      counts.set(key, { userId, role, hour, pending: 0 });
      write(userId, role, hour, 1);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
