import type { PersonaCase } from "./persona-expectations";
import { canonical, hasErrors, rowKeys } from "./persona-queries";

/**
 * What one answer under load was, against its case: `ok` (the persona's own answer, lists in any order), `error`
 * (no answer, not a 200, or GraphQL errors), `mismatch` (an answer, not the persona's own), or `foreign` (an answer,
 * or an error's partial data, holding a row the persona's own answer lacks: another persona's rows).
 */
export type Verdict =
  | { readonly kind: "ok" }
  | { readonly kind: "error"; readonly detail: string }
  | { readonly kind: "mismatch"; readonly detail: string }
  | { readonly kind: "foreign"; readonly rows: readonly string[] };

/**
 * Checks one answer against its case.
 *
 * @example
 * checkAnswer(ritasCustomers, { status: 200, text: adamsCustomersAnswer }); // { kind: "foreign", rows: ["allCustomers:7", …] }
 */
export function checkAnswer(c: PersonaCase, answer: { status: number; text: string } | undefined): Verdict {
  if (!answer) return { kind: "error", detail: "no answer" };
  const foreign = safeRowKeys(answer.text).filter((k) => !c.expectedRows.has(k));
  if (foreign.length > 0) return { kind: "foreign", rows: foreign };
  if (answer.status !== 200 || safeHasErrors(answer.text))
    return { kind: "error", detail: `${answer.status}: ${answer.text.slice(0, 300)}` };
  if (canonical(answer.text) === c.expected) return { kind: "ok" };
  return { kind: "mismatch", detail: answer.text.slice(0, 300) };
}

/** An answer that is not JSON (a proxy's error page) holds no rows. */
function safeRowKeys(text: string): string[] {
  try {
    return rowKeys(text);
  } catch {
    return [];
  }
}

function safeHasErrors(text: string): boolean {
  try {
    return hasErrors(text);
  } catch {
    return true;
  }
}
