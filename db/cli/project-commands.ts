import type { Command } from "commander";
import { withClient } from "../runtime/client";
import { parseGeneratorFlags } from "./arguments";
import { verifyProjectAudit } from "./audit";
import { setAuthenticatorPassword } from "./authenticator";
import type { CliCommand } from "./command";
import { checkProject, driftText } from "./check";
import { colourOn } from "./colour";
import { compileProject } from "./compile";
import { generatedSummary } from "./database-state";
import { initProject } from "./init";
import { driftSummary } from "../drift/render";
import { migrateProject } from "./migrate";
import { seedProject } from "./seed";

/** `gatehouse init [dir]`: a new app from the template. */
const init: CliCommand = (program) => {
  program
    .command("init")
    .description("scaffold a new Gatehouse app in <dir> (default: the current folder): new, empty, or a fresh npm project")
    .argument("[dir]", "the folder to create the app in", ".")
    .action(async (dir: string) => {
      const outcome = await initProject(dir);
      console.log(outcome.summary);
    });
};

/** `gatehouse compile [--check]`: the generated SQL and the access matrix. */
const compile: CliCommand = (program, context) => {
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
      } else {
        const done = [
          ...(outcome.written.length ? [`wrote ${outcome.written.join(", ")}`] : []),
          ...(outcome.removed.length ? [`removed ${outcome.removed.join(", ")} (nothing left to commit)`] : []),
        ];
        console.log(done.length ? done.join("; ") : "generated files were already up to date");
      }
    });
};

/**
 * `gatehouse migrate [--committed-only]`: graphile-migrate, committed migrations then current.sql; then `check`, which
 * fails the command (exit 1, the diff on stderr) when the database does not match the definitions.
 */
const migrate: CliCommand = (program, context) => {
  program
    .command("migrate")
    .description(
      "apply the committed migrations, then migrations/current.sql (which includes the generated SQL); then check the database against the definitions and exit 1 on drift",
    )
    .option("--committed-only", "skip migrations/current.sql (and the check: the database may be behind the definitions)")
    .action(async (options: { committedOnly?: boolean }) => {
      await context.onDatabase(async (config, db) => {
        await migrateProject(config, db, { current: !options.committedOnly });
        if (options.committedOnly) return;
        const report = await checkProject(config, db.url);
        if (report.items.length === 0) return console.log(driftSummary(report));
        console.error(
          `gatehouse: migrated, but the live database does not match the definitions\n${driftText(config, report, { color: colourOn(process.stderr) })}`,
        );
        process.exitCode = 1;
      });
    });
};

/** `gatehouse seed`: the config's demo data and demo logins. */
const seed: CliCommand = (program, context) => {
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
};

/** `gatehouse generate --<flag> <n>`: the config's data generator, with the flags it declares. */
const generate: CliCommand = (program, context) => {
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
};

/** `gatehouse audit verify`: the audit trail's hash chain. */
const audit: CliCommand = (program, context) => {
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
};

/** `gatehouse authenticator-password`: the API server's login password, for deployments. */
const authenticatorPassword: CliCommand = (program, context) => {
  program
    .command("authenticator-password")
    .description("set the authenticator role's password to AUTHENTICATOR_PASSWORD, so the API server can log in (deployments)")
    .action(async () => {
      const password = process.env.AUTHENTICATOR_PASSWORD;
      if (!password) throw new Error("AUTHENTICATOR_PASSWORD is not set");
      await context.onDatabase((config, db) => setAuthenticatorPassword(config, db.url, password));
      console.log("authenticator password set");
    });
};

/**
 * The project's commands: init, compile, migrate, seed, generate, audit verify, authenticator-password.
 *
 * @example
 * projectCommands(program, context);
 */
export const projectCommands: CliCommand = (program, context) => {
  for (const add of [init, compile, migrate, seed, generate, audit, authenticatorPassword]) add(program, context);
};
