/**
 * Connection failures as messages that name the setting they came from and the fix. pg reports a refused
 * port, an unknown host, a missing database or a wrong password each in its own way; the user should not
 * have to know which.
 */

/** The expected form of a connection URL, for messages. */
export const URL_FORM = "postgres://user:password@host:5432/database";

/**
 * Checks that `value` (the setting `name`) is a PostgreSQL connection URL; throws an error naming the
 * setting and the expected form otherwise. The value itself is not echoed: it may hold a password.
 *
 * @example
 * parseConnectionUrl("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/app").port; // "5432"
 * parseConnectionUrl("DATABASE_URL", "localhost:5432"); // throws: DATABASE_URL is not a PostgreSQL connection URL …
 */
export function parseConnectionUrl(name: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "postgres:" && url.protocol !== "postgresql:") || !url.hostname) {
    throw new Error(`${name} is not a PostgreSQL connection URL: expected ${URL_FORM}`);
  }
  return url;
}

/**
 * Turns a failed connection to `url` (from the setting `name`) into an error that says where it tried and
 * what to do; other errors are returned unchanged.
 *
 * @example
 * await client.connect().catch((e) => { throw explainConnectionError(e, "DATABASE_URL", url); });
 */
export function explainConnectionError(error: unknown, name: string, url: string): unknown {
  const { hostname, port, pathname, username } = new URL(url);
  const where = `${hostname}:${port || "5432"}`;
  const database = decodeURIComponent(pathname.slice(1)) || decodeURIComponent(username) || "postgres";
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const because = (text: string) => new Error(`cannot connect to PostgreSQL at ${where} (${name}): ${text}`, { cause: error });
  switch (code) {
    case "ECONNREFUSED":
      return because(
        "connection refused. Is the server running, on that host and port? Unset DATABASE_URL to use the project's embedded PostgreSQL (npm start).",
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return because(`no host named "${hostname}". Check the host in ${name}.`);
    case "ETIMEDOUT":
      return because("the connection timed out. Check the host and port, and any firewall between.");
    case "3D000":
      return because(
        `database "${database}" does not exist. Create it with: createdb -h ${hostname} -p ${port || "5432"} "${database}" (or, as a superuser: create database "${database}"), then run gatehouse migrate.`,
      );
    case "28P01":
      return because(
        `password authentication failed for user "${decodeURIComponent(username)}". Check the user and password in ${name}.`,
      );
    case "28000":
      return because(`${(error as Error).message}. Check the user in ${name}.`);
    default:
      return error;
  }
}
