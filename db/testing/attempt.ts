import type { ClientBase } from "pg";

/** What a statement did: its rows, or the SQLSTATE and message it was refused with. */
export type Outcome<R = Record<string, unknown>> =
  { readonly rowCount: number; readonly rows: R[] } | { readonly code: string; readonly message: string };

/** A database error: its SQLSTATE and message. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
}

/** Whether an {@link Outcome} is a refusal. */
export const isRefusal = (outcome: Outcome<unknown>): outcome is Refusal => "code" in outcome;

/**
 * Runs one statement inside a savepoint of the open transaction and returns what happened instead of throwing on a
 * database error: the refusal is rolled back to the savepoint, so the test goes on in the same transaction (with the
 * same persona) after a refused write. Errors that do not come from the database (no SQLSTATE) are thrown.
 *
 * @example
 * expect(await attempt(c, "update clinic.prescriptions set dose = 1 where id = 2")).toEqual({ code: "42501", message: "permission denied for table prescriptions" });
 * expect(await attempt(c, "select id::int from clinic.patients where id = $1", [3])).toEqual({ rowCount: 1, rows: [{ id: 3 }] });
 */
export async function attempt<R = Record<string, unknown>>(
  client: ClientBase,
  text: string,
  values: readonly unknown[] = [],
): Promise<Outcome<R>> {
  await client.query("savepoint gatehouse_attempt");
  try {
    const result = await client.query(text, [...values]);
    await client.query("release savepoint gatehouse_attempt");
    return { rowCount: result.rowCount ?? 0, rows: result.rows as R[] };
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (!code) throw error;
    await client.query("rollback to savepoint gatehouse_attempt");
    return { code, message };
  }
}

/**
 * The SQLSTATE and message a statement is refused with, or `null` when it succeeds; like {@link attempt}, the
 * transaction goes on either way.
 *
 * @example
 * expect(await refusal(c, "delete from clinic.patients where id = 3")).toEqual({ code: "42501", message: "gatehouse: …" });
 * expect(await refusal(c, "select 1")).toBeNull();
 */
export async function refusal(client: ClientBase, text: string, values: readonly unknown[] = []): Promise<Refusal | null> {
  const outcome = await attempt(client, text, values);
  return isRefusal(outcome) ? outcome : null;
}
