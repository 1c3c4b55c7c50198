/**
 * Revocation latency (DESIGN.md invariant 5): a sales rep reads through the authenticator as the API does, another
 * connection revokes (freezes the rep, closes a project the rep belongs to) and commits, and the rep's very next
 * statement — in the same open request transaction — must no longer see the rows; a temporary grant that expires by
 * the clock must be gone from the first statement that starts after its expiry. Used by `npm run bench:revocation`
 * (at 1M customers) and by test/bench/revocation.test.ts (at a small size).
 */
import { Client } from "pg";
import { roleName, sql, toDdl, type AppDefinition } from "../db";
import { summarize, type Summary } from "./measure";
import { pickReps, type BenchPersona } from "./personas";
import { PAGE_SIZE } from "./workload";

/** Where to measure: the database's superuser URL (the revoking side) and the authenticator's (the persona's side). */
export interface RevocationTarget {
  readonly app: AppDefinition;
  readonly rootUrl: string;
  readonly authenticatorUrl: string;
}

/** One revocation, as measured. */
export interface RevocationRound {
  /** Rows the persona saw on the statement before the revocation. */
  readonly before: number;
  /** Rows the persona saw on the first statement after it (0, or the bench fails). */
  readonly after: number;
  /**
   * Freeze and project: milliseconds from the revoking commit's acknowledgement to the persona's next statement's
   * result. Expiry: milliseconds from `expires_at` to the start of the first statement that no longer saw the row
   * (server clock).
   */
  readonly latencyMs: number;
  /** Statements the persona ran after the revocation until the rows were gone: 1 means the very next one. */
  readonly statementsAfter: number;
  /** Expiry only: statements run while the grant was live (each saw the row, or started just before expiry). */
  readonly statementsBefore?: number;
}

export type RevocationKey = "freeze" | "expiry" | "project";

/** One case over its rounds. */
export interface RevocationCase {
  readonly key: RevocationKey;
  readonly title: string;
  /** What the persona reads, and what revokes. */
  readonly read: string;
  readonly revoke: string;
  readonly rounds: readonly RevocationRound[];
  readonly latency: Summary;
  /** What went wrong (rows still seen, or none seen before): the bench exits 1 when any case has one. */
  readonly problems: readonly string[];
}

export interface RevocationResult {
  readonly persona: BenchPersona;
  /** The customers the rep saw only through the benchmark's project, and the one only through its grant. */
  readonly borrowed: { readonly project: readonly number[]; readonly grant: number };
  readonly cases: readonly RevocationCase[];
}

/** Rows the customers the rep can see through the project and the grant only, by rule. */
const HIDDEN_CUSTOMERS = `
  select c.id::int from crm.customers c
   where c.owner_id is not null and c.owner_id <> $1 and c.unit_id <> $2
     and c.tier = 'standard' and c.deleted_at is null and c.archived_at is null
     and not exists (select 1 from crm.access_grants g where g.grantee_id = $1 and g."table" = 'customers' and g.row_id = c.id)
     and not exists (select 1 from crm.project_customers pc join crm.project_members pm using (project_id)
                      where pm.user_id = $1 and pc.customer_id = c.id)
   order by c.id
   limit $3`;

const OWN_PAGE = `select id::int from crm.customers where owner_id = $1 order by id limit ${PAGE_SIZE}`;
const BY_IDS = "select id::int from crm.customers where id = any ($1::bigint[]) order by id";
/** The granted customer, and how long after the grant's expiry the statement started (negative: before it). */
const EXPIRY_PROBE = `select array(select id::int from crm.customers where id = $1) as ids,
       extract(epoch from statement_timestamp() - $2::timestamptz)::float8 * 1000 as since_ms`;

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The persona's open request transaction, as the API server opens one: role and claims set locally. */
async function beginRequest(persona: Client, role: string, userId: number): Promise<void> {
  await persona.query("begin");
  await persona.query(toDdl(sql`set local role ${sql.identifier(role)}`));
  await persona.query("select set_config('jwt.claims.user_id', $1, true)", [String(userId)]);
}

const rowCount = async (client: Client, text: string, values: unknown[]) => (await client.query(text, values)).rowCount ?? 0;

/**
 * Read, revoke on the other connection (autocommit), read again in the same transaction: the rows must be gone
 * on that very next statement. `restore` undoes the revocation for the next round.
 */
async function revokeBetweenStatements(
  clients: { persona: Client; root: Client },
  request: () => Promise<void>,
  read: { text: string; values: unknown[] },
  revoke: { text: string; values: unknown[] },
  restore: { text: string; values: unknown[] },
): Promise<RevocationRound> {
  await request();
  try {
    const before = await rowCount(clients.persona, read.text, read.values);
    await clients.root.query(revoke.text, revoke.values);
    const committed = process.hrtime.bigint();
    const after = await rowCount(clients.persona, read.text, read.values);
    const latencyMs = ms(committed);
    return { before, after, latencyMs, statementsAfter: after === 0 ? 1 : 0 };
  } finally {
    await clients.persona.query("commit");
    await clients.root.query(restore.text, restore.values);
  }
}

/**
 * A grant of `customer` to the rep, expiring `expiryMs` after it is committed; the rep's request transaction reads
 * the customer statement after statement until one starts after the expiry.
 */
async function expiryRound(
  clients: { persona: Client; root: Client },
  request: () => Promise<void>,
  rep: BenchPersona,
  customer: number,
  granter: number,
  expiryMs: number,
): Promise<RevocationRound> {
  const { rows } = await clients.root.query<{ id: string; expires_at: string }>(
    `insert into crm.access_grants (grantee_id, "table", row_id, privilege, expires_at, granted_by, reason)
     values ($1, 'customers', $2, 'select', clock_timestamp() + $3 * interval '1 millisecond', $4, 'revocation benchmark')
     returning id, expires_at::text`,
    [rep.userId, customer, expiryMs, granter],
  );
  const grant = rows[0]!;
  await request();
  try {
    let statementsBefore = 0;
    let before = 0;
    for (;;) {
      const probe = await clients.persona.query<{ ids: number[]; since_ms: number }>(EXPIRY_PROBE, [customer, grant.expires_at]);
      const row = probe.rows[0]!;
      if (row.since_ms < 0) {
        statementsBefore++;
        before = Math.max(before, row.ids.length);
        continue;
      }
      return {
        before,
        after: row.ids.length,
        latencyMs: row.since_ms,
        statementsAfter: row.ids.length === 0 ? 1 : 0,
        statementsBefore,
      };
    }
  } finally {
    await clients.persona.query("commit");
    await clients.root.query("delete from crm.access_grants where id = $1", [grant.id]);
  }
}

function caseOf(
  key: RevocationKey,
  title: string,
  read: string,
  revoke: string,
  rounds: RevocationRound[],
  expected: number,
): RevocationCase {
  const problems = rounds.flatMap((r, i) => [
    ...(r.before < expected ? [`round ${i + 1}: saw ${r.before} of ${expected} rows before the revocation`] : []),
    ...(r.after > 0 ? [`round ${i + 1}: still saw ${r.after} rows on the first statement after the revocation`] : []),
  ]);
  return { key, title, read, revoke, rounds, latency: summarize(rounds.map((r) => r.latencyMs)), problems };
}

/**
 * Measures the three revocations, `rounds` times each, as the generated data's representative rep (`pickRep`). Leaves
 * the data as it found it: the rep active again, the benchmark's project and grants removed.
 *
 * @example
 * const result = await measureRevocations({ app, rootUrl, authenticatorUrl }, { rounds: 10, expiryMs: 300 });
 */
export async function measureRevocations(
  target: RevocationTarget,
  options: { rounds: number; expiryMs: number; onRound?: () => void },
): Promise<RevocationResult> {
  const root = await connect(target.rootUrl);
  const persona = await connect(target.authenticatorUrl);
  const clients = { root, persona };
  let project: number | undefined;
  try {
    const { rep } = await pickReps(root);
    const role = roleName(target.app, rep.role);
    const request = () => beginRequest(persona, role, rep.userId);
    const hidden = (await root.query<{ id: number }>(HIDDEN_CUSTOMERS, [rep.userId, rep.unitId, PAGE_SIZE + 1])).rows.map(
      (r) => r.id,
    );
    if (hidden.length <= PAGE_SIZE)
      throw new Error(`found only ${hidden.length} customers the rep cannot see: generate more data`);
    const [projectCustomers, grantCustomer] = [hidden.slice(0, PAGE_SIZE), hidden[PAGE_SIZE]!];
    const granter = (
      await root.query<{ id: number }>("select id::int from crm.users where unit_id = $1 order by id limit 1", [rep.unitId])
    ).rows[0]!.id;
    project = (
      await root.query<{ id: number }>(
        "insert into crm.projects (name, status) values ('revocation benchmark', 'open') returning id::int",
      )
    ).rows[0]!.id;
    await root.query("insert into crm.project_members (project_id, user_id) values ($1, $2)", [project, rep.userId]);
    await root.query("insert into crm.project_customers (project_id, customer_id) select $1, unnest($2::bigint[])", [
      project,
      projectCustomers,
    ]);
    const own = await rowCount(root, OWN_PAGE, [rep.userId]);

    const freeze: RevocationRound[] = [];
    const closing: RevocationRound[] = [];
    const expiry: RevocationRound[] = [];
    for (let i = 0; i < options.rounds; i++) {
      freeze.push(
        await revokeBetweenStatements(
          clients,
          request,
          { text: OWN_PAGE, values: [rep.userId] },
          { text: "update crm.users set status = 'frozen' where id = $1", values: [rep.userId] },
          { text: "update crm.users set status = 'active' where id = $1", values: [rep.userId] },
        ),
      );
      closing.push(
        await revokeBetweenStatements(
          clients,
          request,
          { text: BY_IDS, values: [projectCustomers] },
          { text: "update crm.projects set status = 'closed' where id = $1", values: [project] },
          { text: "update crm.projects set status = 'open' where id = $1", values: [project] },
        ),
      );
      expiry.push(await expiryRound(clients, request, rep, grantCustomer, granter, options.expiryMs));
      options.onRound?.();
    }
    return {
      persona: rep,
      borrowed: { project: projectCustomers, grant: grantCustomer },
      cases: [
        caseOf(
          "freeze",
          "Freeze: the rep's status set to frozen",
          `the rep's first page of own customers (${own} rows)`,
          `\`update crm.users set status = 'frozen'\` on another connection, committed`,
          freeze,
          own,
        ),
        caseOf(
          "project",
          "Project closed: the rep is a member of an open project",
          `the ${PAGE_SIZE} customers linked to the project (visible to the rep only through it)`,
          `\`update crm.projects set status = 'closed'\` on another connection, committed`,
          closing,
          PAGE_SIZE,
        ),
        caseOf(
          "expiry",
          "Temporary grant expires by the clock",
          "the granted customer (visible to the rep only through the grant), statement after statement",
          `a grant committed with \`expires_at = clock_timestamp() + ${options.expiryMs} ms\`; nothing else happens`,
          expiry,
          1,
        ),
      ],
    };
  } finally {
    if (project !== undefined) await root.query("delete from crm.projects where id = $1", [project]);
    await Promise.all([root.end(), persona.end()]);
  }
}
