import type { ClientBase } from "pg";

/**
 * Runs `fn` inside a savepoint: its result, or the error's message with everything it did undone. With `undo`, what
 * it did is undone when it succeeds too (a write tried on the world must not change it for the next one).
 */
export async function attempt<T>(client: ClientBase, fn: () => Promise<T>, undo = false): Promise<{ ok: T } | { error: string }> {
  await client.query("savepoint fuzz_attempt");
  try {
    const ok = await fn();
    await client.query(undo ? "rollback to savepoint fuzz_attempt" : "release savepoint fuzz_attempt");
    return { ok };
  } catch (error) {
    await client.query("rollback to savepoint fuzz_attempt");
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
