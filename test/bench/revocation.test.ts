import { generateData } from "../../db/crm/generate";
import { crm as crmApp } from "../../db/crm/roles";
import { createAppDatabase, type AppTestDatabase } from "../../db/testing";
import { measureRevocations, type RevocationResult } from "../../bench/revocation-cases";
import { CRM_SCHEMA_MIGRATION } from "../crm/crm-database";

// The revocation benchmark's harness (bench/revocation-cases.ts) at a small size: a generated rep, acting through the
// authenticator in one open request transaction, loses the rows on the very next statement after another connection
// freezes them or closes their project, and on the first statement after their grant's expiry by the clock.
// test/crm/identity.test.ts holds the same promises on the demo seed; `npm run bench:revocation` measures them at 1M.

let crm: AppTestDatabase;
let result: RevocationResult;

beforeAll(async () => {
  crm = await createAppDatabase({
    app: crmApp,
    migrations: [CRM_SCHEMA_MIGRATION],
    seed: async (client) => {
      await generateData(client, { customers: 2_000, users: 100, depth: 4, grants: 40 });
    },
  });
  result = await measureRevocations(
    { app: crm.app, rootUrl: crm.db.url, authenticatorUrl: crm.authenticatorUrl },
    { rounds: 2, expiryMs: 200 },
  );
}, 60_000);
afterAll(() => crm?.close());

const caseOf = (key: string) => result.cases.find((c) => c.key === key)!;

test("the generated rep, frozen by another connection, sees none of their own page on the very next statement", () => {
  const freeze = caseOf("freeze");
  expect(freeze.problems).toEqual([]);
  expect(freeze.rounds.map((r) => ({ before: r.before, after: r.after, statementsAfter: r.statementsAfter }))).toEqual([
    { before: 20, after: 0, statementsAfter: 1 },
    { before: 20, after: 0, statementsAfter: 1 },
  ]);
});

test("the rep, once another connection closes their project, sees none of its 20 customers on the very next statement", () => {
  const project = caseOf("project");
  expect(project.problems).toEqual([]);
  expect(project.rounds.map((r) => [r.before, r.after, r.statementsAfter])).toEqual([
    [20, 0, 1],
    [20, 0, 1],
  ]);
});

test("the rep's grant, live for some statements, is gone from the first statement that starts after its expiry", () => {
  const expiry = caseOf("expiry");
  expect(expiry.problems).toEqual([]);
  for (const round of expiry.rounds) {
    expect(round).toMatchObject({ before: 1, after: 0, statementsAfter: 1 });
    expect(round.statementsBefore).toBeGreaterThan(0);
    expect(round.latencyMs).toBeGreaterThanOrEqual(0);
  }
});

test("the rows the rep lost still exist, the rep is active again, and the benchmark's project and grants are gone", async () => {
  const { rows } = await crm.db.pool.query(
    `select (select status from crm.users where id = $1) as status,
            (select count(*)::int from crm.customers where owner_id = $1) as owned,
            (select count(*)::int from crm.customers where id = any ($2::bigint[])) as borrowed,
            (select count(*)::int from crm.projects where name = 'revocation benchmark') as projects,
            (select count(*)::int from crm.access_grants where reason = 'revocation benchmark') as grants`,
    [result.persona.userId, [...result.borrowed.project, result.borrowed.grant]],
  );
  expect(rows[0]).toMatchObject({ status: "active", borrowed: 21, projects: 0, grants: 0 });
  expect(rows[0].owned).toBeGreaterThanOrEqual(20);
});
