import { performance } from "node:perf_hooks";
import { post, type PersonaCase } from "./persona-expectations";
import { checkAnswer } from "./persona-check";

/** What one persona's requests did under load. */
export interface PersonaTally {
  requests: number;
  /** Non-200 answers, answers with GraphQL errors, and requests that failed to get an answer. */
  errors: number;
  /** Answers that differ from the persona's expected answer (those with another persona's rows included). */
  mismatches: number;
  /** Answers (or errors' partial data) holding a row the persona's expected answer does not hold: another persona's rows. */
  foreignRows: number;
  /** Latency of every request, ms. */
  readonly latencies: number[];
  /** The first few problems, for the report. */
  readonly samples: string[];
}

const SAMPLES = 5;

/**
 * Drives `clients` concurrent clients for `seconds`: each sends one request at a time, the next case of a shared
 * round-robin over `cases` (so at any moment the clients act as many different personas at once), and checks every
 * answer against that case's expectation. Returns a tally per persona label.
 */
export async function drivePersonas(
  url: string,
  cases: readonly PersonaCase[],
  options: { clients: number; seconds: number },
): Promise<Map<string, PersonaTally>> {
  const tallies = new Map<string, PersonaTally>();
  for (const c of cases)
    if (!tallies.has(c.persona.label))
      tallies.set(c.persona.label, { requests: 0, errors: 0, mismatches: 0, foreignRows: 0, latencies: [], samples: [] });
  const deadline = performance.now() + options.seconds * 1000;
  let next = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const c = cases[next++ % cases.length]!;
      const tally = tallies.get(c.persona.label)!;
      const note = (problem: string) => tally.samples.length < SAMPLES && tally.samples.push(`${c.query.key}: ${problem}`);
      const started = performance.now();
      let answer: { status: number; text: string } | undefined;
      try {
        answer = await post(url, c.body, c.token);
      } catch (error) {
        note(`no answer: ${(error as Error).message}`);
      }
      tally.latencies.push(performance.now() - started);
      tally.requests++;
      const verdict = checkAnswer(c, answer);
      if (verdict.kind === "error") {
        tally.errors++;
        if (answer) note(verdict.detail);
      } else if (verdict.kind === "mismatch") {
        tally.mismatches++;
        note(`differs from the persona's own answer: ${verdict.detail}`);
      } else if (verdict.kind === "foreign") {
        tally.mismatches++;
        tally.foreignRows++;
        note(`rows not its own: ${verdict.rows.slice(0, 10).join(", ")}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  return tallies;
}
