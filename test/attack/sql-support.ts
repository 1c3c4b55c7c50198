/**
 * Small helpers shared by the SQL-level attack suite (test/attack/sql-*.test.ts): run a login's statements in a
 * rolled-back transaction, and collect the notices a connection receives.
 */
import type { Client, ClientBase } from "pg";
import { attempt, isRefusal, type Refusal } from "../../db/testing";

/** Runs `fn` on a role-bound login's connection inside `begin` … `rollback`. */
export async function rolledBack<T>(client: Client, fn: (client: Client) => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    return await fn(client);
  } finally {
    await client.query("rollback").catch(() => undefined);
  }
}

/** The refusal of one statement (in a savepoint of the open transaction), or a test failure naming what ran. */
export async function refused(client: ClientBase, text: string, values: readonly unknown[] = []): Promise<Refusal> {
  const outcome = await attempt(client, text, values);
  if (!isRefusal(outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.rows)} for: ${text}`);
  return { code: outcome.code, message: outcome.message };
}

/** Ids (as numbers) of the first column of `text`, in the order returned. */
export async function ids(client: ClientBase, text: string, values: readonly unknown[] = []): Promise<number[]> {
  const { rows, fields } = await client.query(text, [...values]);
  return rows.map((r) => Number(r[fields[0]!.name]));
}

/** Collects the messages of the notices `client` receives while `fn` runs. */
export async function notices<T>(client: ClientBase, fn: () => Promise<T>): Promise<{ result: T; messages: string[] }> {
  const messages: string[] = [];
  const listener = (notice: { message?: string }) => messages.push(notice.message ?? "");
  client.on("notice", listener);
  try {
    const result = await fn();
    return { result, messages };
  } finally {
    client.removeListener("notice", listener);
  }
}
