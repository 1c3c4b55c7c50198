/** How bad a finding is: an `error` fails `gatehouse lint` (exit 1), a `warning` is printed only. */
export type LiveLintLevel = "error" | "warning";

/** One finding of a lint on the live database: the object it is about, and what is wrong and how to fix it. */
export interface LiveLintFinding {
  /** The lint that found it, e.g. `force-rls`. */
  readonly lint: string;
  readonly level: LiveLintLevel;
  /** The object, qualified: `table clinic.patients`, `role clinic_doctor`, `function clinic.discharge(bigint)`. */
  readonly object: string;
  /** What is wrong, then the fix. */
  readonly message: string;
}
