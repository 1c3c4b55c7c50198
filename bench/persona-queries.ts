/**
 * The GraphQL requests of the persona load (`npm run bench:load`): one list per table (and the marketing export
 * view), each naming its rows by `rowId`, plus a customers page with columns. Every persona gets the ones it may
 * send without an error; its answers are then compared row for row.
 */
export interface PersonaQuery {
  /** Short name for the report. */
  readonly key: string;
  readonly query: string;
}

const list = (field: string, columns = "") => `{ ${field} { totalCount nodes { rowId ${columns}} } }`;

export const PERSONA_QUERIES: readonly PersonaQuery[] = [
  { key: "customers", query: list("allCustomers", "name ownerId ") },
  { key: "customer ids", query: list("allCustomers") },
  { key: "customer names", query: "{ allCustomers { totalCount nodes { name stage } } }" }, // the partner's four columns hold no key
  { key: "contacts", query: list("allContacts") },
  { key: "contracts", query: list("allContracts") },
  { key: "quotes", query: list("allQuotes") },
  { key: "service tickets", query: list("allServiceTickets") },
  { key: "follow-ups", query: list("allFollowUps") },
  { key: "projects", query: list("allProjects") },
  { key: "users", query: list("allUsers") },
  { key: "marketing export", query: list("allMarketingExports", "industry stage ") },
];

/** A GraphQL response body as text. */
export type ResponseText = string;

interface Body {
  readonly data?: Record<string, { totalCount: number; nodes: { rowId?: string | number }[] } | null> | null;
  readonly errors?: unknown[];
}

/**
 * The body in a form two answers can be compared in: each list's nodes sorted (an unordered list — a view
 * without a key — may come back in any order), the rest as it was.
 */
export function canonical(text: ResponseText): string {
  const body = JSON.parse(text) as Body;
  if (!body.data) return JSON.stringify(body);
  const data = Object.fromEntries(
    Object.entries(body.data).map(([field, list]) => [
      field,
      list ? { ...list, nodes: list.nodes.map((n) => JSON.stringify(n)).sort() } : list,
    ]),
  );
  return JSON.stringify({ ...body, data });
}

/** The rows an answer holds, as `field:rowId` (`field:<the node as JSON>` for a node without a key); none for an error. */
export function rowKeys(text: ResponseText): string[] {
  const body = JSON.parse(text) as Body;
  return Object.entries(body.data ?? {}).flatMap(([field, list]) =>
    (list?.nodes ?? []).map((n) => `${field}:${n.rowId ?? JSON.stringify(n)}`),
  );
}

/** Whether an answer carries GraphQL errors. */
export const hasErrors = (text: ResponseText): boolean => ((JSON.parse(text) as Body).errors?.length ?? 0) > 0;
