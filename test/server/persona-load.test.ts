/**
 * `npm run bench:load` at a small duration (issue 12, item 7): 50 concurrent clients as every demo persona against
 * the real API server (its own process) for 5 s. No answer differs from the persona's own — none holds another
 * persona's rows — and no request fails. The expectations the bench takes from the server (each query alone,
 * before the load) are held here against the hand-derived ones of test/crm/expectations.
 */
import { TEST_ADMIN_URL_ENV } from "../../db/testing";
import { runPersonaLoad, type PersonaLoadResult } from "../../bench/persona-load-run";
import { totals } from "../../bench/persona-report";
import { checkAnswer } from "../../bench/persona-check";
import { customerExpectation } from "../crm/expectations/customers";
import { PERSONA_NAMES } from "../crm/table-access";

let result: PersonaLoadResult;

beforeAll(async () => {
  result = await runPersonaLoad({
    adminUrl: process.env[TEST_ADMIN_URL_ENV]!,
    clients: 50,
    seconds: 5,
    poolMax: 10,
    smoke: true,
  });
}, 90_000);

test("50 clients for 5 s as every persona: no answer differs from the persona's own, none holds another's rows, no error", () => {
  const t = totals(result.tallies);
  expect({ mismatches: t.mismatches, foreignRows: t.foreignRows, errors: t.errors }).toEqual({
    mismatches: 0,
    foreignRows: 0,
    errors: 0,
  });
  expect(t.requests).toBeGreaterThanOrEqual(50);
  const samples = [...result.tallies.values()].flatMap((x) => x.samples);
  expect(samples).toEqual([]);
});

test("every persona in its role, and rita in a role she does not hold, sent requests under the load", () => {
  const labels = [...result.tallies.keys()].sort();
  expect(labels).toHaveLength(PERSONA_NAMES.length + 1);
  for (const name of PERSONA_NAMES) expect(labels.some((l) => l.startsWith(`${name} (`))).toBe(true);
  for (const [label, tally] of result.tallies) expect([label, tally.requests > 0]).toEqual([label, true]);
});

test("the answers the load is checked against are the hand-derived customers of every persona", () => {
  const caseOf = (name: string, key: string) =>
    result.cases.find((c) => c.persona.label.startsWith(`${name} (`) && c.query.key === key);
  for (const name of PERSONA_NAMES) {
    const expected = customerExpectation(name);
    const c = expected.relation === "crm.marketing_export" ? caseOf(name, "marketing export") : caseOf(name, "customer ids");
    if (!c) {
      // the partner's columns hold no key: its customers are counted instead; legal reads no customer
      const names = caseOf(name, "customer names");
      expect([name, names?.expectedRows.size ?? 0]).toEqual([name, expected.ids.length]);
      continue;
    }
    const field = expected.relation === "crm.marketing_export" ? "allMarketingExports" : "allCustomers";
    const ids = [...c.expectedRows].map((k) => Number(k.slice(field.length + 1))).sort((a, b) => a - b);
    expect([name, ids]).toEqual([name, expected.ids]);
  }
  const notHers = result.cases.filter((c) => c.persona.label === "rita (supervisor, not hers)");
  expect(notHers.length).toBeGreaterThan(0);
  for (const c of notHers) expect([c.query.key, c.expectedRows.size]).toEqual([c.query.key, 0]);
});

test("the check would catch a leak: another persona's answer is reported as rows not the persona's own", () => {
  const caseOf = (label: string, key = "customers") =>
    result.cases.find((c) => c.persona.label === label && c.query.key === key)!;
  const rita = caseOf("rita (sales_rep)");
  const adam = caseOf("adam (admin)");
  const olga = caseOf("olga (sales_rep)");
  expect(checkAnswer(rita, { status: 200, text: rita.answer })).toEqual({ kind: "ok" });
  expect(checkAnswer(rita, { status: 200, text: adam.answer }).kind).toBe("foreign");
  expect(checkAnswer(olga, { status: 200, text: rita.answer }).kind).toBe("foreign"); // the frozen rep sees nothing
  expect(checkAnswer(adam, { status: 200, text: rita.answer }).kind).toBe("mismatch"); // fewer rows: wrong, not a leak
  const reversed = JSON.parse(adam.answer) as { data: { allCustomers: { nodes: unknown[] } } };
  reversed.data.allCustomers.nodes.reverse();
  expect(checkAnswer(adam, { status: 200, text: JSON.stringify(reversed) })).toEqual({ kind: "ok" }); // order is free
  expect(checkAnswer(rita, { status: 504, text: '{"errors":[{"message":"deadline"}]}' }).kind).toBe("error");
  expect(checkAnswer(rita, undefined).kind).toBe("error");
});
