import fc from "fast-check";
import type { PoolClient } from "pg";
import { crm } from "../../db/crm/roles";
import type { AppTestDatabase } from "../../db/testing";
import { checkWorld, emptyTally, type Disagreement, type Tally } from "./compare";
import { describeFailure } from "./report";
import { emptyTables, raiseSequences, vacuumTables } from "./load";
import { readSchema } from "./schema";
import { worldSpec, type WorldSpec } from "./world";

/** Worlds between two vacuums of the tables they load into. */
const VACUUM_EVERY = 50;

export interface FuzzOptions {
  readonly worlds: number;
  readonly seed: number;
  /** Called after each world (progress). */
  readonly onWorld?: (done: number) => void;
  /** Once aborted, the remaining worlds are skipped (generated, not run) and the run ends as if they agreed. */
  readonly signal?: AbortSignal;
}

export interface FuzzResult {
  /** Worlds run (shrinking runs included; skipped ones after an abort not). */
  readonly worlds: number;
  readonly seed: number;
  /** What the worlds compared (the shrinking runs included). */
  readonly tally: Tally;
  /** The shrunk world and what disagreed on it, printed; undefined when every world agreed. */
  readonly failure?: string;
}

/**
 * Runs `worlds` random worlds on one CRM database (each loaded and rolled back in a transaction) and compares
 * PostgreSQL's answers with the reference evaluator's; on a disagreement fast-check shrinks the world to a minimal one.
 */
export async function fuzz(db: AppTestDatabase, options: FuzzOptions): Promise<FuzzResult> {
  const client: PoolClient = await db.db.pool.connect();
  try {
    const schema = await readSchema(client, crm.schema);
    await emptyTables(client, crm.schema, schema);
    await raiseSequences(client, crm.schema, schema);
    let done = 0;
    const tally = emptyTally();
    const found = new Map<WorldSpec, Disagreement[]>();
    const property = fc.asyncProperty(worldSpec, async (spec) => {
      if (options.signal?.aborted) return true;
      if (done > 0 && done % VACUUM_EVERY === 0) await vacuumTables(client, [crm.schema, crm.toolkitSchema]);
      const disagreements = await checkWorld(db, client, schema, spec, tally);
      done++;
      options.onWorld?.(done);
      if (disagreements.length > 0) found.set(spec, disagreements);
      return disagreements.length === 0;
    });
    const details = await fc.check(property, { numRuns: options.worlds, seed: options.seed, endOnFailure: false });
    if (!details.failed) return { worlds: done, seed: options.seed, tally };
    if (details.counterexample === null) {
      const error: unknown = details.errorInstance;
      return {
        worlds: details.numRuns,
        seed: options.seed,
        tally,
        failure: `the fuzzer failed: ${error instanceof Error ? error.stack : String(error)}`,
      };
    }
    const [spec] = details.counterexample;
    const disagreements = found.get(spec) ?? (await checkWorld(db, client, schema, spec));
    return { worlds: done, seed: options.seed, tally, failure: describeFailure(spec, disagreements, options.seed) };
  } finally {
    client.release();
  }
}

/** Runs one world given as its spec (the json a failure prints): its disagreements, printed, or undefined when it agrees. */
export async function replay(db: AppTestDatabase, spec: WorldSpec): Promise<string | undefined> {
  const client = await db.db.pool.connect();
  try {
    const schema = await readSchema(client, crm.schema);
    await emptyTables(client, crm.schema, schema);
    await raiseSequences(client, crm.schema, schema);
    const disagreements = await checkWorld(db, client, schema, spec);
    return disagreements.length === 0 ? undefined : describeFailure(spec, disagreements);
  } finally {
    client.release();
  }
}
