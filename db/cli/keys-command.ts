import { Presets, SingleBar } from "cli-progress";
import type { Command } from "commander";
import { withClient } from "../runtime/client";
import { keyStatus, rotateKeys, type RotationProgress } from "../runtime/keys";
import type { CliCommand } from "./command";

/** Reports a rotation's progress on stderr: a bar on a terminal, else one plain line per batch. */
function progressReporter(): { report: (p: RotationProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    return {
      report: ({ done, total, column }) =>
        process.stderr.write(`keys rotate: ${done}/${total} values re-encrypted (${column})\n`),
      stop: () => {},
    };
  }
  const bar = new SingleBar(
    { format: "keys rotate {bar} {value}/{total} values | {column}", hideCursor: true, stream: process.stderr },
    Presets.shades_classic,
  );
  let started = false;
  return {
    report: ({ done, total, column }) => {
      if (!started) bar.start(total, 0, { column });
      started = true;
      bar.setTotal(total);
      bar.update(done, { column });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** `gatehouse keys status` and `gatehouse keys rotate [--batch N]`: the encryption keys of the encrypted columns. */
export const keysCommands: CliCommand = (program, context) => {
  const keys: Command = program
    .command("keys")
    .description("the encryption keys of the encrypted columns (encrypt()): status, rotation; the owner's connection only");
  keys
    .command("status")
    .description("list the keys: id, created, retired, and how many stored values each encrypts")
    .action(async () => {
      const status = await context.onDatabase((config, db) => withClient(db.url, (c) => keyStatus(c, config.app)));
      for (const k of status)
        console.log(
          `key ${k.id}${k.current ? " (current)" : ""}: ${k.values} values, created ${k.createdAt.toISOString()}${
            k.retiredAt ? `, retired ${k.retiredAt.toISOString()}` : ""
          }`,
        );
    });
  keys
    .command("rotate")
    .description(
      "make a new key and re-encrypt every encrypted value with it in batches (each its own transaction), then retire the old keys once no value uses them; Ctrl-C stops between batches, and running it again resumes",
    )
    .option("--batch <rows>", "rows per batch (one transaction each)", "1000")
    .action(async (options: { batch: string }) => {
      const batch = Number(options.batch);
      const interrupt = new AbortController();
      const stop = () => interrupt.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const progress = progressReporter();
      try {
        const outcome = await context.onDatabase((config, db) =>
          withClient(db.url, (c) => rotateKeys(c, config.app, { batch, onProgress: progress.report, signal: interrupt.signal })),
        );
        progress.stop();
        const what = `${outcome.resumed ? "resumed the rotation to" : "rotated to"} key ${outcome.key}: ${outcome.reencrypted} values re-encrypted`;
        if (outcome.interrupted) {
          console.error(`${what}; interrupted: run gatehouse keys rotate again to finish`);
          process.exitCode = 1;
        } else
          console.log(
            `${what}; ${outcome.retired.length ? `retired key ${outcome.retired.join(", ")}` : "no key left to retire"}`,
          );
      } finally {
        progress.stop();
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });
};
