import { canonical, hasErrors, PERSONA_QUERIES, rowKeys, type PersonaQuery } from "./persona-queries";
import type { PersonaHolder } from "./persona-holders";

/** One request the load sends: who, with which token, which query, and the answer it must get. */
export interface PersonaCase {
  readonly persona: PersonaHolder;
  readonly token: string;
  readonly query: PersonaQuery;
  /** The request body, as sent. */
  readonly body: string;
  /** The answer the same request got alone, before the load, as sent. */
  readonly answer: string;
  /** That answer in {@link canonical} form. */
  readonly expected: string;
  /** The rows of that answer (`field:rowId`): a row outside it in an answer under load is another persona's. */
  readonly expectedRows: ReadonlySet<string>;
}

/** POSTs one GraphQL request; the status and the body text. */
export async function post(url: string, body: string, token: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      authorization: `Bearer ${token}`,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Sends every query once as every persona, one request at a time per persona (the personas side by side), and keeps
 * those answered with a 200 and no error as that persona's cases, each with its answer as the expectation. A query
 * a persona may not send (a table outside its schema, a refused column) is left out for it, not counted as an error
 * under load. The cases come interleaved — each persona's first, then each one's second, … — so a round-robin over
 * them puts different personas next to each other.
 */
export async function expectedCases(
  url: string,
  personas: readonly { persona: PersonaHolder; token: string }[],
): Promise<PersonaCase[]> {
  const perPersona = await Promise.all(
    personas.map(async ({ persona, token }) => {
      const cases: PersonaCase[] = [];
      for (const query of PERSONA_QUERIES) {
        const body = JSON.stringify({ query: query.query });
        const { status, text } = await post(url, body, token);
        if (status !== 200 || hasErrors(text)) continue;
        cases.push({
          persona,
          token,
          query,
          body,
          answer: text,
          expected: canonical(text),
          expectedRows: new Set(rowKeys(text)),
        });
      }
      return cases;
    }),
  );
  const longest = Math.max(0, ...perPersona.map((c) => c.length));
  return Array.from({ length: longest }, (_, i) => perPersona.flatMap((cases) => (i < cases.length ? [cases[i]!] : []))).flat();
}
