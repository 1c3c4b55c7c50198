import type { Persona } from "./reference/identity";

/** One place where PostgreSQL and the reference evaluator answer differently. */
export interface Disagreement {
  readonly persona: Persona;
  readonly table: string;
  /** What was asked: `select`, or the write statement. */
  readonly asked: string;
  readonly database: unknown;
  readonly reference: unknown;
}

/** How many answers a run compared, by kind: evidence that the worlds exercise both sides of each rule. */
export interface Tally {
  /** Rows a persona saw, and rows of a table they may read that they did not see. */
  seen: number;
  hidden: number;
  /** Reads refused outright (no column privilege). */
  refusedReads: number;
  writes: Record<"changed" | "untouched" | "refused", number>;
}

export const emptyTally = (): Tally => ({
  seen: 0,
  hidden: 0,
  refusedReads: 0,
  writes: { changed: 0, untouched: 0, refused: 0 },
});
