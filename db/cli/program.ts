import { Command, Option } from "commander";
import { CompileError } from "../compile";
import type { GatehouseConfig } from "../config";
import { compileProject } from "./compile";
import { loadConfig } from "./config";
import { withClient } from "../runtime/client";
import { openProjectDatabase, type ProjectDatabase } from "./database";
import { migrateProject } from "./migrate";
import { seedProject } from "./seed";
import { verifyProjectAudit } from "./audit";
import { generatedSummary } from "./database-state";
import { setAuthenticatorPassword } from "./authenticator";
import { ExportInterrupted, exportView, type ExportFormat } from "./export";
import { EXPORT_FORMATS } from "../compile/emit/exports";
import { handleSignalsYourself } from "../runtime/embedded";
import { createLogin, disableUserLogin, listProjectLogins, loginTable, rotateLogin, type LoginCredentials } from "./login";
import { parseGeneratorFlags } from "./arguments";
import { initProject } from "./init";

/** What a command contributed from outside the toolkit (the server's `start`, `serve`, `token`, `schema`) may use. */
export interface CliContext {
  /** The project's configuration, from `--config` (default `gatehouse.config.ts`). */
  config(): GatehouseConfig;
  /** Runs `fn` against the project database (`DATABASE_URL`, else the embedded cluster), stopping an embedded server afterwards. */
  onDatabase<T>(fn: (config: GatehouseConfig, db: ProjectDatabase) => Promise<T>): Promise<T>;
}

/** Adds one or more commands to the program; the server side contributes its own this way. */
export type CliCommand = (program: Command, context: CliContext) => void;

/**
 * The `gatehouse` program: the toolkit's commands (init, compile, migrate, seed, generate, audit,
 * authenticator-password, login, export) and the `extraCommands` given, which is how the server side adds
 * `start`, `serve`, `token` and `schema` without the toolkit importing it.
 *
 * @example
 * await runProgram(createProgram([serverCommands]));
 */
export function createProgram(extraCommands: readonly CliCommand[] = []): Command {
  const program = new Command("gatehouse")
    .description(
      "Row- and column-level security for PostgreSQL, written once in TypeScript.\nEvery command uses DATABASE_URL when set, else the project's embedded PostgreSQL 17.",
    )
    .option("-c, --config <file>", "project configuration", "gatehouse.config.ts")
    .showHelpAfterError();

  const context: CliContext = {
    config: () => loadConfig(program.opts<{ config: string }>().config),
    onDatabase: async (fn) => {
      const config = context.config();
      const db = await openProjectDatabase(config);
      try {
        return await fn(config, db);
      } finally {
        await db.stop();
      }
    },
  };

  program
    .command("init")
    .description("scaffold a new Gatehouse app in <dir> (default: the current folder, which must be empty)")
    .argument("[dir]", "the folder to create the app in", ".")
    .action(async (dir: string) => {
      const outcome = await initProject(dir);
      console.log(outcome.summary);
    });

  program
    .command("compile")
    .description("validate the role definitions against the live schema and write the SQL fixture and the access matrix")
    .option("--check", "write nothing; exit 1 if the generated files are stale")
    .action(async (options: { check?: boolean }) => {
      const outcome = await context.onDatabase((config, db) => compileProject(config, db.url, options));
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
      await context.onDatabase((config, db) => migrateProject(config, db, { current: !options.committedOnly }));
    });

  program
    .command("seed")
    .description(
      "load the demo data if the database is empty; in the embedded cluster, create the demo's role-bound logins that do not exist yet",
    )
    .action(async () => {
      const outcome = await context.onDatabase((config, db) => seedProject(config, db.url, { demoCredentials: db.embedded }));
      console.log(outcome.seeded ? "seeded" : "already seeded; nothing loaded");
      for (const username of outcome.loginsCreated) console.log(`created demo login ${username}`);
      for (const { username, reason } of outcome.loginsSkipped) console.log(`demo login ${username} not created: ${reason}`);
    });

  program
    .command("generate")
    .description(
      "fill an empty, migrated database with generated data for benchmarks; its flags (--<name> <n>) come from generate.flags in the config",
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      await context.onDatabase(async (config, db) => {
        if (!config.generate) throw new Error("the config has no generate function: add generate to defineConfig(...)");
        const options = parseGeneratorFlags(config.generate.flags, command.args);
        const started = Date.now();
        const interactive = Boolean(process.stderr.isTTY);
        await withClient(db.url, (client) => config.generate!.run(client, options, { progress: interactive }));
        if (!interactive) console.log(await generatedSummary(config.app, db.url, Date.now() - started));
      });
    });

  program
    .command("audit")
    .description("the audit trail")
    .command("verify")
    .description("walk the audit trail's hash chain: exit 0 when intact, 1 naming the first broken link")
    .action(async () => {
      const outcome = await context.onDatabase((config, db) => verifyProjectAudit(config, db.url));
      if (outcome.intact) console.log(outcome.message);
      else {
        console.error(outcome.message);
        process.exitCode = 1;
      }
    });

  program
    .command("authenticator-password")
    .description("set the authenticator role's password to AUTHENTICATOR_PASSWORD, so the API server can log in (deployments)")
    .action(async () => {
      const password = process.env.AUTHENTICATOR_PASSWORD;
      if (!password) throw new Error("AUTHENTICATOR_PASSWORD is not set");
      await context.onDatabase((config, db) => setAuthenticatorPassword(config, db.url, password));
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
        const outcome = await context.onDatabase((config, db) =>
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
      const outcome = await context.onDatabase((config, db) =>
        rotateLogin(config, db.url, { username, ...(password === undefined ? {} : { password }) }),
      );
      printCredentials("rotated", outcome);
    });

  login
    .command("disable <username>")
    .description("stop <username>'s login from logging in (NOLOGIN) and end its open sessions")
    .action(async (username: string) => {
      const { login: name, sessionsEnded } = await context.onDatabase((config, db) => disableUserLogin(config, db.url, username));
      console.log(`disabled ${name}; ended ${sessionsEnded} open session${sessionsEnded === 1 ? "" : "s"}`);
    });

  login
    .command("list")
    .description(
      "every role-bound login: user, role, enabled or disabled, open sessions, last activity, when created, rotated, disabled",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const logins = await context.onDatabase((config, db) => listProjectLogins(config, db.url));
      console.log(options.json ? JSON.stringify(logins, null, 2) : loginTable(logins));
    });

  program
    .command("export")
    .description(
      "export a masking view as a user, under their rules: streamed, written atomically, refused off-channel or over the daily quota, recorded in the audit trail",
    )
    .argument("<view>", "the masking view, e.g. a view of the app's definitions")
    .requiredOption("--as <username>", "the user (username in the identity users table) the export runs as")
    .option("--role <role>", "the app role to act in, when the user holds several")
    .option("--channel <channel>", "request channel claim, e.g. mobile")
    .addOption(new Option("--format <format>", "file format").choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption("--out <file>", "the file to write (replaced only when the export succeeds)")
    .action(async (view: string, options: { as: string; role?: string; channel?: string; format: ExportFormat; out: string }) => {
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      await context.onDatabase(async (config, db) => {
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

  for (const add of extraCommands) add(program, context);
  return program;
}

/**
 * Runs the program on `argv` and prints an error the way the CLI does (refusals from generated SQL already
 * start with `gatehouse: `), exiting 1.
 *
 * @example
 * await runProgram(createProgram());
 */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    console.error(
      error instanceof CompileError
        ? error.message
        : error instanceof Error
          ? `gatehouse: ${error.message.replace(/^gatehouse: /, "")}`
          : error,
    );
    process.exit(1);
  }
}
