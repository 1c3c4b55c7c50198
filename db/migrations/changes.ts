/**
 * The generated security as units a committed migration can carry one by one, so that a permission change is
 * committed (and reviewed) as the few statements that changed, not the whole generation again.
 *
 * A unit is what must run together for its statements to be correct on a database that holds the previous
 * generation: one policy (dropped and created again), the revoke and grants of one table, one view, one function,
 * or a single statement. Each unit is marked in the migration with its hash, and the marks of every committed
 * migration, read in order, say what the database already holds.
 */
import { createHash } from "node:crypto";
import type { Statement } from "../compile";
import { sql, toDdl } from "../sql/ddl";

/** One unit of a generation: its key, its statements' SQL with their positions in the generation, and their hash. */
export interface Unit {
  readonly key: string;
  /** Position of its first statement in the generation. */
  readonly position: number;
  /** Its statements, in generation order; they run at their own positions, since other units may come between. */
  readonly statements: readonly { readonly position: number; readonly text: string }[];
  readonly hash: string;
  /** The table a policy unit belongs to (`Statement.target`). */
  readonly table?: string;
  /**
   * SQL that removes what the unit created, written right after its mark: it runs before the unit is created again,
   * and the next compile reads it from the committed migration to remove the unit if it goes away.
   */
  readonly drop?: string;
  /** Units whose change means the view region (views, role schemas, masked columns) is rebuilt whole. */
  readonly region?: boolean;
  /** A statement that drops every policy of its table: its change rebuilds every policy of that table. */
  readonly resetsPolicies?: boolean;
}

/** A unit the committed migrations hold: its hash, and the statement that drops what it created (a policy, a `select *` view). */
export interface CommittedUnit {
  readonly hash: string;
  readonly drop?: string;
}

/** Key → each unit the committed migrations hold. */
export type CommittedGeneration = ReadonlyMap<string, CommittedUnit>;

/** What changed between the committed generation and a new one. */
export interface Changes {
  /** Units to run, in generation order: new, changed, or rebuilt with a changed unit they depend on. */
  readonly units: readonly Unit[];
  /** Keys of committed units the new generation no longer has, with the SQL that removes each (if any). */
  readonly removed: readonly { readonly key: string; readonly drop?: string }[];
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CREATE_POLICY = new RegExp(String.raw`^create policy ${IDENT} on ${IDENT}\.${IDENT}`, "m");
const CREATE_VIEW = new RegExp(String.raw`^create view ${IDENT}\.${IDENT}`, "m");

const unquote = (ident: string) => (ident.startsWith('"') ? ident.slice(1, -1).replaceAll('""', '"') : ident);
const hashOf = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/**
 * Splits generated statements (with their SQL text, as `toDdl` renders them) into units.
 *
 * @example
 * const units = toUnits(compiled.statements, compiled.statements.map((s) => toDdl(s.sql)));
 */
export function toUnits(statements: readonly Statement[], texts: readonly string[]): Unit[] {
  const byKey = new Map<string, { position: number; statements: { position: number; text: string }[]; extra: Partial<Unit> }>();
  statements.forEach((statement, position) => {
    const text = texts[position]!;
    const { key, extra } = keyOf(statement, text);
    const unit = byKey.get(key) ?? { position, statements: [], extra };
    unit.statements.push({ position, text });
    byKey.set(key, unit);
  });
  return [...byKey.entries()]
    .map(([key, u]) => ({
      key,
      position: u.position,
      statements: u.statements,
      hash: hashOf(u.statements.map((p) => p.text).join("\n\n")),
      ...u.extra,
    }))
    .sort((a, b) => a.position - b.position);
}

function keyOf(statement: Statement, text: string): { key: string; extra: Partial<Unit> } {
  const target = statement.target ?? "-";
  switch (statement.kind) {
    case "policy": {
      const m = CREATE_POLICY.exec(text);
      // a statement that drops policies may drop others of its table than the one it creates
      if (!m || /^drop policy /m.test(text)) {
        return { key: `policy:${target}:${hashOf(text)}`, extra: { table: target, resetsPolicies: true } };
      }
      const [name, schema, table] = [unquote(m[1]!), unquote(m[2]!), unquote(m[3]!)];
      const drop = toDdl(sql`drop policy if exists ${sql.identifier(name)} on ${sql.identifier(schema, table)};`);
      return { key: `policy:${schema}.${table}:${name}`, extra: { table: target, drop } };
    }
    case "grant":
      return statement.target ? { key: `grant:${target}`, extra: {} } : { key: `grant:-:${hashOf(text)}`, extra: {} };
    case "view": {
      const m = CREATE_VIEW.exec(text);
      const drop = m ? toDdl(sql`drop view if exists ${sql.identifier(unquote(m[1]!), unquote(m[2]!))};`) : undefined;
      return { key: `view:${target}`, extra: drop ? { drop } : {} };
    }
    case "column":
    case "schema":
      return { key: `${statement.kind}:${hashOf(text)}`, extra: { region: true } };
    case "function":
      if (statement.fn) {
        const name = `${statement.fn.schema ?? "-"}.${statement.fn.name}(${statement.fn.argTypes.join(", ")})`;
        return { key: `function:${name}`, extra: {} };
      }
      return { key: `function:-:${hashOf(text)}`, extra: {} };
    default:
      return { key: `${statement.kind}:${target}:${hashOf(text)}`, extra: {} };
  }
}

/**
 * The units to commit so that a database holding `committed` ends up as one that ran the whole new generation:
 * new and changed units, plus what a change forces to run again — every policy of a table whose drop-all statement
 * changed, and the whole view region (views, role schemas, masked columns, with every table's grants) when a role
 * schema or a masked column changed, since its statements drop and create one another.
 *
 * @example
 * const { units, removed } = changesSince(await readCommittedGeneration(folder, "clinic"), toUnits(statements, texts));
 */
export function changesSince(committed: CommittedGeneration, units: readonly Unit[]): Changes {
  const current = new Set(units.map((u) => u.key));
  const removedKeys = [...committed.keys()].filter((key) => !current.has(key));
  const changed = new Set(units.filter((u) => committed.get(u.key)?.hash !== u.hash).map((u) => u.key));
  const wasRegion = (key: string) => key.startsWith("column:") || key.startsWith("schema:");
  if (units.some((u) => u.region && changed.has(u.key)) || removedKeys.some(wasRegion)) {
    // a masked column dropped and added again loses its grants and the views over it: grants and views run again
    for (const u of units) if (u.region || u.key.startsWith("view:") || /^grant:(?!-:)/.test(u.key)) changed.add(u.key);
  }
  const resetTables = new Set(units.filter((u) => u.resetsPolicies && changed.has(u.key)).map((u) => u.table));
  for (const u of units) if (u.table !== undefined && resetTables.has(u.table)) changed.add(u.key);
  return {
    units: units.filter((u) => changed.has(u.key)),
    removed: removedKeys.map((key) => ({ key, drop: committed.get(key)!.drop })),
  };
}

const UNIT_MARK = /^-- gatehouse unit (\S+) ([0-9a-f]{12}) (".*")$/;
const REMOVED_MARK = /^-- gatehouse removed (\S+) (".*")$/;
const DROP = /^drop (policy|view) if exists /;

/**
 * Folds the unit marks of migration texts, oldest first, into what the database holds for app schema `app`. The
 * line after a unit's mark, when it drops a policy or a view, is kept: it removes the unit if a later generation
 * no longer has it.
 *
 * @example
 * foldCommitted(["-- gatehouse unit clinic 0a1b2c3d4e5f \"grant:patients\"\n…"], "clinic").get("grant:patients"); // { hash: "0a1b2c3d4e5f" }
 */
export function foldCommitted(migrations: readonly string[], app: string): CommittedGeneration {
  const held = new Map<string, CommittedUnit>();
  for (const text of migrations) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      const unit = UNIT_MARK.exec(line);
      if (unit && unit[1] === app) {
        const next = lines[i + 1] ?? "";
        held.set(JSON.parse(unit[3]!) as string, { hash: unit[2]!, ...(DROP.test(next) ? { drop: next } : {}) });
      }
      const removed = REMOVED_MARK.exec(line);
      if (removed && removed[1] === app) held.delete(JSON.parse(removed[2]!) as string);
    });
  }
  return held;
}

/**
 * The SQL of the changes, marked unit by unit, for migrations/current.sql to include; `undefined` when nothing changed.
 * Removed units come first (a dropped policy never blocks a new one), then the statements of the changed units, each
 * at its position in the generation.
 *
 * @example
 * renderChanges("clinic", changes, "clinic-security.sql"); // "-- gatehouse compile: 1 unit changed …"
 */
export function renderChanges(app: string, changes: Changes, reference: string): string | undefined {
  if (changes.units.length === 0 && changes.removed.length === 0) return undefined;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const header =
    `-- gatehouse compile: the generated security of schema ${app} that changed since the last committed migration ` +
    `(${count(changes.units.length, "unit")} to run, ${count(changes.removed.length, "unit")} removed).\n` +
    `-- Run after the committed migrations it gives the state of the whole generation, ${reference}.`;
  const removed = changes.removed.map(
    (r) =>
      `-- gatehouse removed ${app} ${JSON.stringify(r.key)}\n${r.drop ?? "-- (nothing to undo: the full generation leaves it too)"}`,
  );
  const parts = changes.units
    .flatMap((u) =>
      u.statements.map((part, i) => {
        const mark =
          i === 0
            ? `-- gatehouse unit ${app} ${u.hash} ${JSON.stringify(u.key)}`
            : `-- (continues gatehouse unit ${JSON.stringify(u.key)})`;
        const drop = u.drop && !u.statements.some((p) => isOwnDrop(p.text)) && i === 0 ? [u.drop] : [];
        return { position: part.position, text: [mark, ...drop, part.text].join("\n") };
      }),
    )
    .sort((a, b) => a.position - b.position)
    .map((p) => p.text);
  return [header, ...removed, ...parts].join("\n\n") + "\n";
}

/** A view unit of the app schema carries its own `drop view` statement. */
const isOwnDrop = (text: string) => /^drop view if exists /m.test(text);
