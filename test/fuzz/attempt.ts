import type { ClientBase } from "pg";

/** Runs `fn` inside a savepoint: its result, or the error's message with everything it did undone. */
export async function attempt<T>(client: ClientBase, fn: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  await client.query("savepoint fuzz_attempt");
  try {
    const ok = await fn();
    await client.query("release savepoint fuzz_attempt");
    return { ok };
  } catch (error) {
    await client.query("rollback to savepoint fuzz_attempt");
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
