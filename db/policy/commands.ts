/** The four commands a row rule can cover. */
export type Command = "select" | "insert" | "update" | "delete";
export const COMMANDS: readonly Command[] = ["select", "insert", "update", "delete"];
