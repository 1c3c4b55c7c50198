import { Option } from "commander";
import type { CliCommand } from "./command";
import { createLogin, disableUserLogin, listProjectLogins, loginTable, rotateLogin, type LoginCredentials } from "./login";

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

/**
 * `gatehouse login create|rotate|disable|list`: role-bound database logins for BI tools and psql.
 *
 * @example
 * loginCommands(program, context);
 */
export const loginCommands: CliCommand = (program, context) => {
  const login = program.command("login").description("role-bound database logins for BI tools and psql: one user, one app role");

  login
    .command("create <username>")
    .description(
      "create a login acting as <username> (the identity users table) in one app role they hold; prints a generated password once",
    )
    .requiredOption("--role <role>", "the app role it acts in, e.g. researcher")
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
};
