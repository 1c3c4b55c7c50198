import { Client } from "pg";

/**
 * Runs `fn` with a client connected to `url`, always closing it.
 *
 * @example
 * const version = await withClient(url, async (c) => (await c.query("show server_version")).rows[0].server_version);
 */
export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
