import { Command, InvalidArgumentError } from "commander";
import { CompileError } from "../compile";
import { compileProject } from "./compile";
import { loadConfig } from "./config";
import { openProjectDatabase, withClient } from "./database";
import { migrateProject } from "./migrate";
import { seedProject } from "./seed";
import { startDemo } from "./start";

const positive = (value: string) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive whole number");
  return n;
};

/** Runs a command against the project database, stopping an embedded server afterwards. */
async function onDatabase<T>(options: { config: string }, fn: (config: ReturnType<typeof loadConfig>, db: { url: string; rootUrl: string }) => Promise<T>) {
  const config = loadConfig(options.config);
  const db = await openProjectDatabase(config);
  try {
    return await fn(config, db);
  } finally {
    await db.stop();
  }
}

const program = new Command("gatehouse")
  .description("Row- and column-level security for PostgreSQL, written once in TypeScript.\nEvery command uses DATABASE_URL when set, else the project's embedded PostgreSQL 17.")
  .option("-c, --config <file>", "project configuration", "gatehouse.config.ts")
  .showHelpAfterError();

program
  .command("compile")
  .description("validate the role definitions against the live schema and write the SQL fixture and the access matrix")
  .option("--check", "write nothing; exit 1 if the generated files are stale")
  .action(async (options: { check?: boolean }) => {
    const outcome = await onDatabase(program.opts(), (config, db) => compileProject(config, db.url, options));
    if (options.check) {
      if (outcome.stale.length) {
        console.error(`stale: ${outcome.stale.join(", ")}: run gatehouse compile and commit the result`);
        process.exitCode = 1;
      } else console.log("generated files are up to date");
    } else console.log(outcome.written.length ? `wrote ${outcome.written.join(", ")}` : "generated files were already up to date");
  });

program
  .command("migrate")
  .description("apply the committed migrations, then migrations/current.sql (which includes the generated SQL)")
  .option("--committed-only", "skip migrations/current.sql")
  .action(async (options: { committedOnly?: boolean }) => {
    await onDatabase(program.opts(), (config, db) => migrateProject(config, db, { current: !options.committedOnly }));
  });

program
  .command("seed")
  .description("load the demo data if the database is empty, and create the demo's role-bound logins")
  .action(async () => {
    const seeded = await onDatabase(program.opts(), (config, db) => seedProject(config, db.url));
    console.log(seeded ? "seeded" : "already seeded; nothing loaded");
  });

program
  .command("generate")
  .description("fill an empty, migrated database with generated data for benchmarks")
  .option("--customers <n>", "customers", positive, 1_000_000)
  .option("--users <n>", "users", positive, 10_000)
  .option("--depth <n>", "levels of the org tree", positive, 6)
  .option("--grants <n>", "temporary grants", positive, 20_000)
  .action(async (options: { customers: number; users: number; depth: number; grants: number }) => {
    await onDatabase(program.opts(), async (config, db) => {
      if (!config.generate) throw new Error("gatehouse.config.ts has no generate function");
      await withClient(db.url, (client) => config.generate!(client, { ...options, progress: true }));
    });
  });

program
  .command("start")
  .description("the demo: embedded PostgreSQL 17, migrations, seed data, and how to act as each persona")
  .option("--port <port>", "port of the embedded PostgreSQL", positive)
  .action(async (options: { port?: number }) => {
    await startDemo(loadConfig(program.opts().config), options);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof CompileError ? error.message : error instanceof Error ? `gatehouse: ${error.message}` : error);
  process.exit(1);
});
