import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
export { freePort } from "../../db";

const ROOT = path.join(__dirname, "../..");
const BIN = path.join(ROOT, "bin/gatehouse.js");

/** What a finished CLI run printed, and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment a user's shell would give the CLI: this process's, without the test cluster's settings and
 * without DATABASE_URL, plus `env` (a value of `undefined` removes the variable).
 */
function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development", FORCE_COLOR: "0" };
  for (const name of [
    "DATABASE_URL",
    "ROOT_DATABASE_URL",
    "AUTHENTICATOR_PASSWORD",
    "AUTHENTICATOR_DATABASE_URL",
    "JEST_WORKER_ID",
  ])
    delete base[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/** Starts `gatehouse <args>` from the project folder, as the `gatehouse` bin does; `input`, when given, is piped to its stdin. */
export function spawnCli(args: readonly string[], env: Record<string, string | undefined> = {}, input?: string): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: environment(env),
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (input !== undefined) child.stdin!.end(input);
  return new CliProcess(child);
}

/** Runs `gatehouse <args>` to the end (at most `timeoutMs`), with `input` on its stdin when given. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
  input?: string,
): Promise<CliResult> {
  const cli = spawnCli(args, env, input);
  const timer = setTimeout(() => cli.child.kill("SIGKILL"), timeoutMs);
  try {
    return await cli.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A running CLI command (`start`, `serve`): its output so far, and its end. */
export class CliProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<CliResult>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.on("close", (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  /** Resolves when stdout contains `text`; rejects with everything printed when the process ends first or after `timeoutMs`. */
  async waitFor(text: string, timeoutMs = 120_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !this.stdout.includes(text);) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`"${text}" never came (exit ${this.child.exitCode}):\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends SIGINT (Ctrl-C) and waits for the end. */
  async interrupt(): Promise<CliResult> {
    this.child.kill("SIGINT");
    return this.exited;
  }
}

/** The project's configuration with `overrides`, written as a TypeScript config file the CLI loads with `--config`. */
export function configSource(overrides: string): string {
  return `import base from ${JSON.stringify(path.join(ROOT, "gatehouse.config"))};
import { defineConfig } from ${JSON.stringify(path.join(ROOT, "db/config"))};
export default defineConfig({ ...base, ${overrides} });
`;
}
