import { randomBytes } from "node:crypto";
import { GraphQLError } from "postgraphile/graphql";
import { isSafeError } from "postgraphile/grafast";
import { isDatabaseUnavailable, UNAVAILABLE_MESSAGE } from "./unavailable";

/** What the server writes about a masked error: the reference the client got, and the error itself. */
export type ErrorLog = (reference: string, error: unknown) => void;

const defaultLog: ErrorLog = (reference, error) => console.error(`[gatehouse] error ${reference}:`, error);

interface DatabaseError {
  code: string;
  message: string;
}

const isDatabaseError = (error: unknown): error is DatabaseError => {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
};

/**
 * Makes grafserv's `maskError`: a PostgreSQL permission error (42501) becomes `FORBIDDEN` naming the
 * table (or the row-security policy that refused a write), a write while viewing as someone else (25006, read only)
 * `FORBIDDEN` too, the toolkit's own refusal of a bad argument (22023,
 * "gatehouse: …") becomes `INVALID_INPUT` with its message, a statement timeout becomes `TIMEOUT`, a database that
 * cannot be reached `UNAVAILABLE` (see `unavailable.ts`, which also makes the answer a 503), and every
 * other database or unexpected error is replaced by a reference id — logged server-side with the full
 * error — so no SQL, constraint or value leaks. GraphQL's own errors (validation, input coercion) and
 * deliberate safe errors pass through unchanged.
 *
 * @example
 * const preset = { grafserv: { maskError: makeMaskError() } };
 */
export function makeMaskError(log: ErrorLog = defaultLog): (error: GraphQLError) => GraphQLError {
  return (error) => {
    const original = error.originalError;
    if (!original || original instanceof GraphQLError) return error;
    if (isSafeError(original)) return rebuild(error, original.message, original.extensions ?? undefined);
    // the database is down, restarting or dropped the connection: nothing the client did; it may retry
    if (isDatabaseUnavailable(original)) return rebuild(error, UNAVAILABLE_MESSAGE, { code: "UNAVAILABLE" });
    if (isDatabaseError(original)) {
      if (original.code === "42501") {
        const { message, table } = forbidden(original);
        return rebuild(error, message, { code: "FORBIDDEN", ...(table ? { table } : {}) });
      }
      // the toolkit's own refusals of bad input (e.g. grant_access past its longest duration) say what to change
      if (original.code === "22023" && original.message.startsWith("gatehouse: "))
        return rebuild(error, `invalid input: ${original.message.slice("gatehouse: ".length)}`, { code: "INVALID_INPUT" });
      // only a view-as request runs read only (preset.ts)
      if (original.code === "25006")
        return rebuild(error, "forbidden: you are viewing as someone else, read only: end the view to make changes", {
          code: "FORBIDDEN",
        });
      if (original.code === "57014")
        return rebuild(error, "the request ran longer than its statement timeout and was cancelled", { code: "TIMEOUT" });
    }
    const reference = randomBytes(6).toString("hex");
    log(reference, original);
    return rebuild(error, `internal error (reference ${reference}); the details are in the server log`, {
      code: "INTERNAL",
      reference,
    });
  };
}

/** PostgreSQL's own wording names the table ("permission denied for table patients"); keep that, drop the rest. */
function forbidden(error: DatabaseError): { message: string; table?: string } {
  // the toolkit's own refusals (emit/guard.ts) are written for the client and say what to do
  if (error.message.startsWith("gatehouse: ")) return { message: `forbidden: ${error.message.slice("gatehouse: ".length)}` };
  const rls = /^new row violates row-level security policy(?: "[^"]*")? for table "([^"]+)"/.exec(error.message);
  if (rls) return { message: `forbidden: row-level security does not let you write this row of ${rls[1]}`, table: rls[1]! };
  const denied = /^permission denied for (table|view|sequence|function|schema) (\S+)/.exec(error.message);
  if (denied)
    return {
      message: `forbidden: permission denied for ${denied[1]} ${denied[2]}`,
      ...(denied[1] === "table" || denied[1] === "view" ? { table: denied[2]! } : {}),
    };
  return { message: "forbidden: permission denied" };
}

function rebuild(error: GraphQLError, message: string, extensions: Record<string, unknown> | undefined): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: extensions ?? {},
  });
}
