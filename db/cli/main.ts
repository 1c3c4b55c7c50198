import { Command, InvalidArgumentError, Option } from "commander";
import { CompileError } from "../compile";
import { compileProject } from "./compile";
import { loadConfig } from "./config";
import { withClient } from "../runtime/client";
import { openProjectDatabase, type ProjectDatabase } from "./database";
import { migrateProject } from "./migrate";
import { seedProject } from "./seed";
import { verifyProjectAudit } from "./audit";
import { generatedSummary, requireMigrated } from "./database-state";
import { DEV_AUTHENTICATOR_PASSWORD, setAuthenticatorPassword } from "./authenticator";
import { startDemo } from "./start";
import { ExportInterrupted, exportView, type ExportFormat } from "./export";
import { EXPORT_FORMATS } from "../compile/emit/exports";
import { handleSignalsYourself } from "../runtime/embedded";
import { devToken } from "./token";
import { createLogin, disableUserLogin, listProjectLogins, loginTable, rotateLogin, type LoginCredentials } from "./login";
import { writeApiSchemas } from "../../server/generate";
import { serveUntilSignal } from "../../server/main";

const positive = (value: string) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive whole number");
  return n;
};

/** Runs a command against the project database, stopping an embedded server afterwards. */
async function onDatabase<T>(
  options: { config: string },
  fn: (config: ReturnType<typeof loadConfig>, db: ProjectDatabase) => Promise<T>,
) {
  const config = loadConfig(options.config);
  const db = await openProjectDatabase(config);
  try {
    return await fn(config, db);
  } finally {
    await db.stop();
  }
}

const program = new Command("gatehouse")
  .description(
    "Row- and column-level security for PostgreSQL, written once in TypeScript.\nEvery command uses DATABASE_URL when set, else the project's embedded PostgreSQL 17.",
  )
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
    } else
      console.log(outcome.written.length ? `wrote ${outcome.written.join(", ")}` : "generated files were already up to date");
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
  .description(
    "load the demo data if the database is empty; in the embedded cluster, create the demo's role-bound logins that do not exist yet",
  )
  .action(async () => {
    const outcome = await onDatabase(program.opts(), (config, db) =>
      seedProject(config, db.url, { demoCredentials: db.embedded }),
    );
    console.log(outcome.seeded ? "seeded" : "already seeded; nothing loaded");
    for (const username of outcome.loginsCreated) console.log(`created demo login ${username}`);
    for (const { username, reason } of outcome.loginsSkipped) console.log(`demo login ${username} not created: ${reason}`);
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
      if (!config.generate) throw new Error("the config has no generate function: add generate to defineConfig(...)");
      const started = Date.now();
      const interactive = Boolean(process.stderr.isTTY);
      await withClient(db.url, (client) => config.generate!(client, { ...options, progress: interactive }));
      if (!interactive) console.log(await generatedSummary(config.app, db.url, Date.now() - started));
    });
  });

program
  .command("audit")
  .description("the audit trail")
  .command("verify")
  .description("walk the audit trail's hash chain: exit 0 when intact, 1 naming the first broken link")
  .action(async () => {
    const outcome = await onDatabase(program.opts(), (config, db) => verifyProjectAudit(config, db.url));
    if (outcome.intact) console.log(outcome.message);
    else {
      console.error(outcome.message);
      process.exitCode = 1;
    }
  });

program
  .command("start")
  .description(
    "the demo: embedded PostgreSQL 17, migrations, seed data, the GraphQL API with Ruru, and a token and query per persona",
  )
  .option("--port <port>", "port of the embedded PostgreSQL", positive)
  .option("--api-port <port>", "port of the GraphQL API (default PORT or 5678)", positive)
  .option("--no-api", "do not start the GraphQL API")
  .action(async (options: { port?: number; apiPort?: number; api: boolean }) => {
    await startDemo(loadConfig(program.opts().config), options);
  });

program
  .command("serve")
  .description("the GraphQL API alone, on a migrated database (configured by the environment: see README)")
  .action(async () => {
    const config = loadConfig(program.opts().config);
    const db = process.env.AUTHENTICATOR_DATABASE_URL ? undefined : await openProjectDatabase(config);
    try {
      await requireMigrated(
        config.app,
        db?.url ?? process.env.AUTHENTICATOR_DATABASE_URL!,
        db ? "DATABASE_URL" : "AUTHENTICATOR_DATABASE_URL",
      );
    } catch (error) {
      await db?.stop();
      throw error;
    }
    const env = db
      ? {
          ...process.env,
          DATABASE_URL: db.url,
          // the demo password is only ever set in the demo's own embedded cluster
          ...(db.embedded ? { AUTHENTICATOR_PASSWORD: process.env.AUTHENTICATOR_PASSWORD ?? DEV_AUTHENTICATOR_PASSWORD } : {}),
        }
      : process.env;
    try {
      await serveUntilSignal(config.app, env, async () => db?.stop());
    } catch (error) {
      await db?.stop();
      throw error;
    }
  });

program
  .command("authenticator-password")
  .description("set the authenticator role's password to AUTHENTICATOR_PASSWORD, so the API server can log in (deployments)")
  .action(async () => {
    const password = process.env.AUTHENTICATOR_PASSWORD;
    if (!password) throw new Error("AUTHENTICATOR_PASSWORD is not set");
    await onDatabase(program.opts(), (config, db) => setAuthenticatorPassword(config, db.url, password));
    console.log("authenticator password set");
  });

/** Reads a password piped to stdin (`--password-stdin`), without its final line break. */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("password (then Ctrl-D): ");
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, "");
}

/** Prints what create or rotate did; a generated password only here, once, on stdout. */
function printCredentials(verb: string, outcome: LoginCredentials): void {
  console.log(`${verb} ${outcome.login}: ${outcome.username} (user ${outcome.userId}) in the role ${outcome.role}`);
  if (outcome.settings) console.log(`settings: ${outcome.settings}`);
  if (outcome.reenabled) console.log("it was disabled and may log in again");
  if (outcome.password) console.log(`password (shown once, store it now): ${outcome.password}`);
  console.log(`connect: ${outcome.url}`);
}

/** `--password` is declared (hidden) only to refuse it without repeating its value, as commander's own errors would. */
const passwordArgument = () => new Option("--password <password>").hideHelp();
function refusePasswordArgument(options: { password?: string }): void {
  if (options.password !== undefined)
    throw new Error(
      "a password is never taken as an argument (it would stay in your shell history): pipe it with --password-stdin, or let gatehouse generate one",
    );
}

const login = program.command("login").description("role-bound database logins for BI tools and psql: one user, one app role");

login
  .command("create <username>")
  .description(
    "create a login acting as <username> (the identity users table) in one app role they hold; prints a generated password once",
  )
  .requiredOption("--role <role>", "the app role it acts in, e.g. analyst")
  .option("--password-stdin", "read the password from stdin instead of generating one")
  .addOption(passwordArgument())
  .option("--read-only", "transactions start read-only (default; grants, not this, are the boundary)")
  .option("--no-read-only", "transactions start read-write")
  .option("--statement-timeout <duration>", "longest statement: 30s, 5min, 1h or milliseconds (default 5min)")
  .option("--idle-in-transaction-timeout <duration>", "longest idle time inside a transaction (default 1min)")
  .option("--transaction-timeout <duration>", "longest transaction, PostgreSQL 17+ (default 15min)")
  .option("--connection-limit <n>", "sessions open at once (default 5)")
  .action(
    async (
      username: string,
      options: {
        role: string;
        password?: string;
        passwordStdin?: boolean;
        readOnly?: boolean;
        statementTimeout?: string;
        idleInTransactionTimeout?: string;
        transactionTimeout?: string;
        connectionLimit?: string;
      },
    ) => {
      refusePasswordArgument(options);
      const { role, passwordStdin, password: _refused, ...flags } = options;
      const password = passwordStdin ? await passwordFromStdin() : undefined;
      const outcome = await onDatabase(program.opts(), (config, db) =>
        createLogin(config, db.url, { username, role, ...(password === undefined ? {} : { password }), flags }),
      );
      printCredentials("created", outcome);
    },
  );

login
  .command("rotate <username>")
  .description("give <username>'s login a new password (the old one stops working); prints a generated password once")
  .option("--password-stdin", "read the password from stdin instead of generating one")
  .addOption(passwordArgument())
  .action(async (username: string, options: { password?: string; passwordStdin?: boolean }) => {
    refusePasswordArgument(options);
    const password = options.passwordStdin ? await passwordFromStdin() : undefined;
    const outcome = await onDatabase(program.opts(), (config, db) =>
      rotateLogin(config, db.url, { username, ...(password === undefined ? {} : { password }) }),
    );
    printCredentials("rotated", outcome);
  });

login
  .command("disable <username>")
  .description("stop <username>'s login from logging in (NOLOGIN) and end its open sessions")
  .action(async (username: string) => {
    const { login: name, sessionsEnded } = await onDatabase(program.opts(), (config, db) =>
      disableUserLogin(config, db.url, username),
    );
    console.log(`disabled ${name}; ended ${sessionsEnded} open session${sessionsEnded === 1 ? "" : "s"}`);
  });

login
  .command("list")
  .description(
    "every role-bound login: user, role, enabled or disabled, open sessions, last activity, when created, rotated, disabled",
  )
  .option("--json", "print JSON")
  .action(async (options: { json?: boolean }) => {
    const logins = await onDatabase(program.opts(), (config, db) => listProjectLogins(config, db.url));
    console.log(options.json ? JSON.stringify(logins, null, 2) : loginTable(logins));
  });

program
  .command("token")
  .description("print a development token for a persona (refused in production)")
  .requiredOption("--user <username>", "the persona, e.g. rita")
  .option("--role <role>", "act in this app role (default: the user's first role)")
  .option("--channel <channel>", "request channel claim, e.g. mobile")
  .option("--expires <span>", "lifetime: 15m, 1h, 7d", "1h")
  .action(async (options: { user: string; role?: string; channel?: string; expires: string }) => {
    const { token, warning } = await devToken(loadConfig(program.opts().config), options, process.env);
    if (warning) console.error(`warning: ${warning}`);
    console.log(token);
  });

program
  .command("export")
  .description(
    "export a masking view as a user, under their rules: streamed, written atomically, refused off-channel or over the daily quota, recorded in the audit trail",
  )
  .argument("<view>", "the masking view, e.g. marketing_export")
  .requiredOption("--as <username>", "the user the export runs as, e.g. mark")
  .option("--role <role>", "the app role to act in, when the user holds several")
  .option("--channel <channel>", "request channel claim, e.g. mobile")
  .addOption(new Option("--format <format>", "file format").choices(EXPORT_FORMATS).makeOptionMandatory())
  .requiredOption("--out <file>", "the file to write (replaced only when the export succeeds)")
  .action(async (view: string, options: { as: string; role?: string; channel?: string; format: ExportFormat; out: string }) => {
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    await onDatabase(program.opts(), async (config, db) => {
      handleSignalsYourself();
      process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
      try {
        const outcome = await exportView(
          config,
          db,
          { view, ...options },
          { signal: interrupt.signal, progress: Boolean(process.stderr.isTTY) },
        );
        console.log(
          `exported ${outcome.rows} rows of ${outcome.view} as ${outcome.username} to ${outcome.file} (sha256 ${outcome.sha256})`,
        );
      } catch (error) {
        if (!(error instanceof ExportInterrupted)) throw error;
        console.error(`gatehouse: ${error.message}`);
        process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      }
    });
  });

program
  .command("schema")
  .description("write generated/schema.<role>.graphql for every role (as each role sees the database) and the typed client")
  .option("--check", "write nothing; exit 1 if a generated file is stale")
  .action(async (options: { check?: boolean }) => {
    const stale = await onDatabase(program.opts(), (config, db) => writeApiSchemas(config.app, db.url, options));
    if (options.check && stale.length) {
      console.error(`stale: ${stale.join(", ")}: run gatehouse schema and commit the result`);
      process.exitCode = 1;
    } else
      console.log(
        options.check
          ? "API schemas and typed client are up to date"
          : stale.length
            ? `wrote ${stale.join(", ")}`
            : "API schemas and typed client were already up to date",
      );
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  // refusals from generated SQL already start with "gatehouse: "
  console.error(
    error instanceof CompileError
      ? error.message
      : error instanceof Error
        ? `gatehouse: ${error.message.replace(/^gatehouse: /, "")}`
        : error,
  );
  process.exit(1);
});
