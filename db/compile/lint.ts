import type { Catalog } from "../catalog/introspect";
import { writesSublinks } from "../policy/define";
import { sql, toDdl } from "../sql/ddl";
import { requestRoles, roleName, viewOwner } from "./names";
import type { Plan } from "./plan";
import type { Statement } from "./statement";

/** One finding of a security lint; any finding fails the compile. */
export interface LintFinding {
  readonly lint: "force" | "view-invoker" | "definer" | "raw-and-twin" | "helper-call" | "view-as";
  readonly message: string;
}

/** Every table that gets a policy must also get ENABLE and FORCE row level security. */
function lintForce(plan: Plan, statements: readonly Statement[]): LintFinding[] {
  const forced = new Set(statements.filter((s) => s.kind === "rls" && s.force).map((s) => s.target));
  const protectedTables = new Set([
    ...plan.tables.map((t) => t.name),
    ...statements.filter((s) => s.kind === "policy" && s.target).map((s) => s.target!),
  ]);
  return [...protectedTables]
    .filter((t) => !forced.has(t))
    .map((t) => ({
      lint: "force" as const,
      message: `table ${t.includes(".") ? t : `${plan.app.schema}.${t}`} has policies but row level security is not forced: its owner would bypass them`,
    }));
}

/**
 * Every view an app role can reach either runs with the caller's rights (`security_invoker`), or is a masking
 * view the compile generates: `security_barrier`, owned by its own view owner role (`viewOwner`), its condition
 * generated from the definitions. Views the compile does not manage must be `security_invoker` and not owned by
 * an app role (which could redefine them).
 */
function lintViews(plan: Plan, statements: readonly Statement[], catalog: Catalog): LintFinding[] {
  const { app } = plan;
  const findings: LintFinding[] = [];
  const managedViews = new Set<string>();
  const fix = "define it with view(…) so the compile generates it";
  for (const s of statements.filter((x) => x.kind === "view" && x.securityInvoker !== undefined)) {
    managedViews.add(s.target!);
    if (s.securityInvoker) continue;
    const name = s.target!.includes(".") ? s.target! : `${app.schema}.${s.target}`;
    if (!plan.views.some((v) => v.name === s.target)) {
      findings.push({ lint: "view-invoker", message: `view ${name} is generated without security_invoker` });
      continue;
    }
    const expected = roleName(app, viewOwner(s.target!));
    if (!s.securityBarrier)
      findings.push({
        lint: "view-invoker",
        message: `view ${name} is generated without security_invoker or security_barrier: a view that runs as its owner must be security_barrier; ${fix}`,
      });
    if (s.owner !== expected)
      findings.push({
        lint: "view-invoker",
        message: `view ${name} is generated to run as ${s.owner ?? "whoever applies the migration (a superuser)"}, not as its own owner role ${expected}: alter view … owner to ${expected}; ${fix}`,
      });
  }
  const appRoles = new Set(requestRoles(plan).map((r) => roleName(app, r)));
  for (const t of catalog.tables.values()) {
    if (t.kind !== "view" || managedViews.has(t.name)) continue;
    const reachable = t.grantees.filter((g) => g === "public" || appRoles.has(g));
    if (appRoles.has(t.owner)) {
      findings.push({
        lint: "view-invoker",
        message: `view ${app.schema}.${t.name} is owned by app role ${t.owner}, which could redefine it: alter view … owner to the role that applies the migrations`,
      });
    }
    if (reachable.length > 0 && !t.securityInvoker) {
      findings.push({
        lint: "view-invoker",
        message: `view ${app.schema}.${t.name} is reachable by ${reachable.join(", ")} without security_invoker: it would bypass row security; alter view … set (security_invoker = true), ${fix} as a security_barrier view run by its own owner, or revoke it`,
      });
    }
  }
  return findings;
}

/** SECURITY DEFINER functions have a fixed search_path and are not executable by PUBLIC (a grant statement `revokes` them). */
function lintDefiners(plan: Plan, statements: readonly Statement[], catalog: Catalog): LintFinding[] {
  const findings: LintFinding[] = [];
  const revoked = new Set(statements.flatMap((s) => s.revokes ?? []));
  const generated = new Set<string>();
  for (const s of statements) {
    if (!s.fn) continue;
    generated.add(s.fn.name);
    if (!s.fn.securityDefiner) continue;
    if (!s.fn.searchPath)
      findings.push({ lint: "definer", message: `security definer function ${s.fn.name} has no fixed search_path` });
    if (!revoked.has(`${s.fn.schema ?? plan.app.toolkitSchema}.${s.fn.name}`)) {
      findings.push({ lint: "definer", message: `security definer function ${s.fn.name} is not revoked from public` });
    }
  }
  for (const f of catalog.functions) {
    if (!f.securityDefiner || (f.schema === plan.app.toolkitSchema && generated.has(f.name))) continue;
    if (!f.fixedSearchPath)
      findings.push({
        lint: "definer",
        message: `security definer function ${f.schema}.${f.name} has no fixed search_path: add set search_path = pg_catalog, pg_temp`,
      });
    if (f.publicExecute)
      findings.push({
        lint: "definer",
        message: `security definer function ${f.schema}.${f.name} is executable by public: revoke execute … from public`,
      });
  }
  return findings;
}

/** A role that may see a column only masked must not also hold the raw column. */
function lintRawAndTwin(plan: Plan): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const table of plan.tables) {
    const masks = plan.app.masks.filter((x) => x.table === table.name);
    for (const grant of table.grants) {
      for (const m of masks) {
        if (grant.select.includes(m.column) && grant.select.includes(m.twin)) {
          findings.push({
            lint: "raw-and-twin",
            message: `role ${grant.role} holds both ${table.name}.${m.column} and its masked twin ${m.twin}: give it one or the other`,
          });
        }
      }
    }
  }
  return findings;
}

/**
 * What `target` reads that `actor` does not, by the compiled policies and grants: tables it selects from that
 * `actor` has no select rule on, columns it selects that `actor` holds neither raw nor (for a twin) as the raw
 * column, columns it reads in full on some rows (a row mask) that `actor` does not read raw, masking views granted
 * to it and not to `actor`, and — without an audit trail, whose append a read-only transaction refuses — the
 * reveals it may make and `actor` may not. Rows are not compared: scopes are not comparable without data.
 */
function readsBeyond(plan: Plan, actor: string, target: string): string[] {
  const more: string[] = [];
  for (const table of plan.tables) {
    const selects = (role: string) => table.policies.some((p) => p.role === role && p.command === "select");
    const targetColumns = table.grants.find((g) => g.role === target)?.select ?? [];
    if (!selects(target) || targetColumns.length === 0) continue;
    if (!selects(actor)) {
      more.push(`table ${table.name}`);
      continue;
    }
    const held = new Set(table.grants.find((g) => g.role === actor)?.select ?? []);
    for (const column of targetColumns) {
      const masked = plan.masks.find((m) => m.table === table.name && m.twin === column);
      if (!held.has(column) && !(masked && held.has(masked.column))) more.push(`${table.name}.${column}`);
    }
    for (const m of plan.rowMasks)
      if (m.role === target && m.table === table.name && !held.has(m.column))
        more.push(`${table.name}.${m.column} (in full on some rows)`);
  }
  for (const v of plan.views) if (v.roles.includes(target) && !v.roles.includes(actor)) more.push(`view ${v.name}`);
  if (!plan.app.audit)
    for (const [column, revealers] of Object.entries(plan.privileges.reveals))
      if (revealers.some((r) => r.role === target) && !revealers.some((r) => r.role === actor))
        more.push(`the reveal of ${column}`);
  return more;
}

/**
 * Viewing as someone shows what they see, so a role may view only as roles that read nothing it cannot read itself
 * (see `readsBeyond`): viewing as someone must not widen what a viewer sees.
 */
function lintViewAs(plan: Plan): LintFinding[] {
  return plan.privileges.viewAs.flatMap(({ actor, targets }) =>
    targets.flatMap((target) => {
      const more = readsBeyond(plan, actor, target);
      return more.length === 0
        ? []
        : [
            {
              lint: "view-as" as const,
              message: `role ${actor} may view as ${target}, who reads what ${actor} cannot (${more.join(", ")}): remove "${target}" from ${actor}'s viewAs, or let ${actor} read them`,
            },
          ];
    }),
  );
}

/** An SQL name as pg-sql2 writes it (quoted, quotes doubled) or bare. */
const NAME = `"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*`;
const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A bare name in any case, as PostgreSQL folds it: `[cC][lL]…`. */
const anyCase = (name: string) => [...name].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : escapeRegExp(c))).join("");

/**
 * A call of a function in one of `schemas`: `<schema>.<name>(`, the schema quoted or bare (bare in any case, as
 * PostgreSQL folds it), not the tail of a longer name. Searching for the schema names first keeps the scan linear.
 */
function callPattern(schemas: ReadonlySet<string>): RegExp {
  const spellings = [...schemas].flatMap((schema) => [
    `(?<!")${escapeRegExp(`"${schema.replace(/"/g, '""')}"`)}`,
    ...(/^[a-z_][a-z0-9_$]*$/.test(schema) ? [`(?<![A-Za-z0-9_$"])${anyCase(schema)}`] : []),
  ]);
  return new RegExp(`(${spellings.join("|")})\\s*\\.\\s*(${NAME})\\s*\\(`, "g");
}

/** `(select ` right before a position: the call there runs once per statement. */
const WRAPPED = /(?<=\(\s*select\s+)/y;

/**
 * What a policy or view statement creates, for messages, from its structured fields: `policy "doctor__select"`,
 * `view "clinic"."research_export"`; undefined for a statement that creates neither (a drop).
 */
function createdBy(plan: Plan, s: Statement): string | undefined {
  if (s.kind === "policy" && s.policies?.length) return `policy ${toDdl(sql.identifier(s.policies[0]!))}`;
  if (s.kind === "view" && s.securityInvoker !== undefined && s.target) {
    const [schema, name] = s.target.includes(".") ? s.target.split(".") : [plan.app.schema, s.target];
    return `view ${toDdl(sql.identifier(schema!, name!))}`;
  }
  return undefined;
}

/**
 * Helpers called from policies and views are STABLE (or IMMUTABLE) and wrapped as `(select helper(...))` (called
 * directly under `policies: { sublinks: false }`); a row mask function, which reads one row by its key, is called per row. The statements say what they create (`policies`,
 * `securityInvoker`, `target`); the calls are found in their text, since a `raw()` predicate is text the definitions wrote.
 */
function lintHelperCalls(plan: Plan, statements: readonly Statement[], catalog: Catalog): LintFinding[] {
  const findings: LintFinding[] = [];
  const volatility = new Map<string, string>();
  for (const f of catalog.functions) volatility.set(`${f.schema}.${f.name}`, f.volatility);
  for (const s of statements) if (s.fn) volatility.set(`${plan.app.toolkitSchema}.${s.fn.name}`, s.fn.volatility);
  const schemas = new Set([plan.app.toolkitSchema, plan.app.schema]);
  const call = callPattern(schemas);
  // a row mask function reads one row by its key: it runs per row by design
  const perRow = new Set(plan.rowMasks.map((m) => `${plan.app.toolkitSchema}.${m.fn}`));
  for (const s of statements) {
    const created = createdBy(plan, s);
    if (!created) continue;
    const text = toDdl(s.sql);
    for (const match of text.matchAll(call)) {
      const [schema, fn] = [unquote(match[1]!), unquote(match[2]!)];
      if (!schemas.has(schema)) continue;
      const name = `${schema}.${fn}`;
      const v = volatility.get(name);
      if (v === undefined) continue;
      if (v === "volatile")
        findings.push({
          lint: "helper-call",
          message: `${created} on ${s.target} calls ${name}, which is volatile and would run once per row: make it stable`,
        });
      WRAPPED.lastIndex = match.index;
      if (writesSublinks(plan.app) && !perRow.has(name) && !WRAPPED.test(text))
        findings.push({
          lint: "helper-call",
          message: `${created} on ${s.target} calls ${name} without (select …): wrap it so it runs once per statement`,
        });
    }
  }
  return findings;
}

/**
 * Runs every security lint over the generated statements and the live catalog.
 *
 * @example
 * const findings = lint(plan, statements, catalog); // [] when the compile may go on
 */
export function lint(plan: Plan, statements: readonly Statement[], catalog: Catalog): LintFinding[] {
  return [
    ...lintForce(plan, statements),
    ...lintViews(plan, statements, catalog),
    ...lintDefiners(plan, statements, catalog),
    ...lintRawAndTwin(plan),
    ...lintHelperCalls(plan, statements, catalog),
    ...lintViewAs(plan),
  ];
}
