import { InvalidArgumentError } from "commander";
import type { GeneratorFlags } from "../config";
import { didYouMean } from "../policy/suggest";

/**
 * A commander argument parser for a positive whole number; `_` may group digits.
 *
 * @example
 * new Option("--port <port>").argParser(positive); // "54_329" → 54329
 */
export const positive = (value: string): number => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive whole number");
  return n;
};

/**
 * The values of `gatehouse generate`'s flags, declared by the config (`generate.flags`): each `--<name> <n>`
 * given, else the flag's default. An unknown flag or a value that is not a positive whole number is refused.
 *
 * @example
 * parseGeneratorFlags({ users: { description: "users", default: 100 } }, ["--users", "20"]); // { users: 20 }
 */
export function parseGeneratorFlags(flags: GeneratorFlags, args: readonly string[]): Record<string, number> {
  const values = Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, flag.default]));
  const known = Object.keys(flags);
  for (let i = 0; i < args.length; i += 2) {
    const [arg, value] = [args[i]!, args[i + 1]];
    const name = arg.replace(/^--/, "");
    if (!arg.startsWith("--") || !(name in flags)) {
      const hint = didYouMean(name, known);
      throw new Error(
        `generate: unknown argument ${arg}${hint}; flags (generate.flags in the config): ${
          Object.entries(flags)
            .map(([k, f]) => `--${k} <n> (${f.description}, default ${f.default})`)
            .join(", ") || "none"
        }`,
      );
    }
    if (value === undefined) throw new Error(`generate: ${arg} needs a value`);
    try {
      values[name] = positive(value);
    } catch {
      throw new Error(`generate: ${arg} must be a positive whole number, not "${value}"`);
    }
  }
  return values;
}
