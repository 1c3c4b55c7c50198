import type { LiveLintContext } from "./context";
import type { LiveLintFinding } from "./finding";

/** One lint on the live database: its name (as findings carry it), what it looks for, and how. */
export interface LiveLint {
  readonly name: string;
  readonly description: string;
  readonly run: (ctx: LiveLintContext) => Promise<LiveLintFinding[]>;
}
