import { AsyncLocalStorage } from "node:async_hooks";
import type { Client } from "pg";
import { SafeError } from "postgraphile/grafast";

/** The time a request has left: set when it arrives, read by every statement it sends. */
interface Budget {
  /** `Date.now()` past which the request's statements are refused. */
  readonly at: number;
  readonly ms: number;
  /** The statement timeout its transactions start with (`STATEMENT_TIMEOUT_MS`). */
  readonly statementMs: number;
}

const budgets = new AsyncLocalStorage<Budget>();

/** Ends a transaction or frees what it held: always sent, so a connection never goes back to the pool mid-transaction. */
const CLOSING = /^\s*(commit|rollback|release|deallocate)\b/i;
/** Starts a transaction, whose settings then set the statement timeout afresh: refused late, never cut. */
const OPENING = /^\s*(begin|savepoint)\b/i;
const TIGHTEN = "select pg_catalog.set_config('statement_timeout', $1, true)";
const QUERY_CANCELED = "57014";

/** The client's error when a request's deadline has passed (grafserv shows a safe error's message and code). */
export function deadlineError(ms: number): SafeError {
  return new SafeError(`the request ran past its deadline of ${ms} ms and was stopped`, { code: "REQUEST_TIMEOUT" });
}

/**
 * Runs `fn` (the handling of one HTTP request) with a deadline `ms` from now that holds across all the statements it
 * sends, through a client class made by {@link deadlineClient}: a statement that would start past the deadline is
 * refused, and one that starts with less time left than the statement timeout runs with its timeout cut to what is
 * left. A request of a thousand statements is stopped at its deadline, not after a thousand statement timeouts.
 *
 * @example
 * const pool = new Pool({ connectionString, Client: deadlineClient(Client) });
 * server.on("request", (req, res) => withDeadline({ ms: 10_000, statementMs: 5_000 }, () => handle(req, res)));
 */
export function withDeadline<T>(limits: { ms: number; statementMs: number }, fn: () => T): T {
  return budgets.run({ at: Date.now() + limits.ms, ms: limits.ms, statementMs: limits.statementMs }, fn);
}

/**
 * A subclass of the `pg` client class `base` whose queries keep the deadline of the request that sends them
 * ({@link withDeadline}). Queries outside a request (the health check, the activity record) and the statements that
 * close a transaction are sent as they are.
 *
 * @example
 * const pool = new Pool({ connectionString, Client: deadlineClient(UnnamedStatementClient) });
 */
export function deadlineClient<C extends typeof Client>(base: C): C {
  const send = base.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  const DeadlineClient = class extends (base as typeof Client) {} as unknown as C;
  DeadlineClient.prototype.query = function (this: Client, ...args: unknown[]) {
    const budget = budgets.getStore();
    if (!budget || typeof args[args.length - 1] === "function" || CLOSING.test(textOf(args[0]))) return send.apply(this, args);
    return withinBudget(this, budget, send, args, !OPENING.test(textOf(args[0])));
  } as Client["query"];
  return DeadlineClient;
}

async function withinBudget(
  client: Client,
  budget: Budget,
  send: (this: Client, ...args: unknown[]) => unknown,
  args: unknown[],
  cuttable: boolean,
) {
  const left = budget.at - Date.now();
  if (left <= 0) throw deadlineError(budget.ms);
  const cut = cuttable && left < budget.statementMs;
  if (cut) await send.call(client, { text: TIGHTEN, values: [String(Math.ceil(left))] });
  try {
    return await send.apply(client, args);
  } catch (error) {
    if (cut && (error as { code?: unknown }).code === QUERY_CANCELED) throw deadlineError(budget.ms);
    throw error;
  }
}

function textOf(config: unknown): string {
  if (typeof config === "string") return config;
  if (config !== null && typeof config === "object" && "text" in config) return String(config.text);
  return "";
}
