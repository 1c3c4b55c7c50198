/**
 * The long differential fuzzing run: `npm run fuzz -- --worlds 10000 [--seed N]`. Provisions a cluster the way the
 * tests do (TEST_DATABASE_URL, else a container, else embedded PostgreSQL 17), loads one CRM database, runs the
 * worlds, and prints the minimal world of the first disagreement (exit code 1) or how many worlds agreed;
 * `--replay '<json>'` runs the one world a disagreement printed.
 */
import { Command, InvalidArgumentError } from "commander";
import { provisionTestCluster, TEST_ADMIN_URL_ENV } from "../../db/testing";
import { openCrmDatabase } from "../crm/crm-database";
import { fuzz, replay } from "./fuzz";
import type { WorldSpec } from "./world";

const count = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("a whole number");
  return n;
};

async function main(): Promise<number> {
  const options = new Command("fuzz")
    .description("compare PostgreSQL's row security with the reference evaluator on random CRM worlds")
    .option("--worlds <n>", "how many random worlds", count, 1000)
    .option("--seed <n>", "fast-check seed (default: random, printed)", count)
    .option("--replay <json>", "run only this world (the json a disagreement prints)")
    .parse()
    .opts<{ worlds: number; seed?: number; replay?: string }>();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const cluster = await provisionTestCluster();
  process.env[TEST_ADMIN_URL_ENV] = cluster.adminUrl;
  const db = await openCrmDatabase();
  // an interrupted run skips the worlds left, then drops its database and stops what it started
  const interrupt = new AbortController();
  process.once("SIGINT", () => interrupt.abort());
  process.once("SIGTERM", () => interrupt.abort());
  const started = Date.now();
  try {
    if (options.replay !== undefined) {
      const failure = await replay(db, JSON.parse(options.replay) as WorldSpec);
      console.log(failure ?? "fuzz: the world agrees");
      return failure ? 1 : 0;
    }
    console.log(`fuzz: ${options.worlds} worlds, seed ${seed} (${cluster.source} PostgreSQL)`);
    const result = await fuzz(db, {
      worlds: options.worlds,
      seed,
      signal: interrupt.signal,
      onWorld: (done) => {
        if (done % 100 === 0) console.log(`  ${done} worlds, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      },
    });
    if (interrupt.signal.aborted && !result.failure) {
      console.log(`fuzz: interrupted; ${result.worlds} worlds agreed (seed ${seed})`);
      return 130;
    }
    if (result.failure) {
      console.error(result.failure);
      return 1;
    }
    console.log(`fuzz: ${result.worlds} worlds agreed in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
    console.log(`  compared: ${JSON.stringify(result.tally)}`);
    return 0;
  } finally {
    await db.close();
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
