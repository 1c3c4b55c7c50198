import { field, isNode, parseNodeTree, type TreeNode, type TreeValue } from "./node-tree";
import type { LiveLintFinding } from "./finding";
import type { LiveLint } from "./lint";

/** A call a policy makes on a column of its own row: a function, an operator's function, or a cast through text. */
interface ColumnCall {
  readonly kind: "function" | "operator" | "cast";
  /** pg_proc oid for a function, pg_operator oid for an operator, the target pg_type oid for a cast. */
  readonly oid: string;
  readonly attnum: string;
}

/** The column of the policy's own row an argument is, through relabelling casts and collations; undefined otherwise. */
function ownColumn(arg: TreeValue | undefined): string | undefined {
  let v = arg;
  while (isNode(v, "RELABELTYPE") || isNode(v, "COLLATEEXPR")) v = field(v, "arg");
  if (isNode(v, "VAR") && field(v, "varlevelsup") === "0") return field(v, "varattno") as string;
  return undefined;
}

const OPERATORS = new Set(["OPEXPR", "DISTINCTEXPR", "NULLIFEXPR", "SCALARARRAYOPEXPR"]);

/**
 * Every function, operator and text cast in a policy expression applied directly to a column of the policy's row,
 * outside sub-selects: a `(select helper())` InitPlan, or the `exists (…)` of a `via`, runs on other rows.
 */
function columnCalls(value: TreeValue | undefined, into: ColumnCall[]): void {
  if (Array.isArray(value)) {
    for (const v of value) columnCalls(v, into);
    return;
  }
  if (!isNode(value) || value.type === "SUBLINK") return;
  const node: TreeNode = value;
  const args = (field(node, "args") as TreeValue[] | undefined) ?? [];
  const columns = (list: readonly TreeValue[]) => list.map(ownColumn).filter((c): c is string => c !== undefined);
  if (node.type === "FUNCEXPR")
    for (const attnum of columns(args)) into.push({ kind: "function", oid: field(node, "funcid") as string, attnum });
  if (OPERATORS.has(node.type))
    for (const attnum of columns(args)) into.push({ kind: "operator", oid: field(node, "opno") as string, attnum });
  if (node.type === "COERCEVIAIO")
    for (const attnum of columns([field(node, "arg") ?? null]))
      into.push({ kind: "cast", oid: field(node, "resulttype") as string, attnum });
  for (const values of node.fields.values()) for (const v of values) columnCalls(v, into);
}

interface PolicyRow {
  name: string;
  schema: string;
  table: string;
  relid: string;
  qual: string | null;
  check: string | null;
}

/** What a call runs, named: its function's signature and whether that function is leakproof. */
interface Callee {
  oid: string;
  label: string;
  leakproof: boolean;
}

/**
 * `leakproof-policy`: a policy of the app or toolkit schema that applies a function, operator or text cast that is not
 * LEAKPROOF to a column of its own row (`lower(email) = …`, `notes ~~ …`, `code::int > 0`). Row security evaluates a
 * policy on every row, those it hides included, so an error such a function raises can show a hidden value. Calls
 * inside sub-selects (the `(select helper())` InitPlans, a `via`'s `exists`) are not counted: they run on other rows.
 * A warning. It reads the stored expression tree (`pg_policy.polqual`, `polwithcheck`): only direct calls on a column
 * are found, not a leaky function fed a column through another function's result.
 */
export const leakproofPolicy: LiveLint = {
  name: "leakproof-policy",
  description: "a policy applying a non-leakproof function or operator to a column of its row",
  run: async ({ client, app }) => {
    const { rows: policies } = await client.query<PolicyRow>(
      `select p.polname::text as name, n.nspname::text as schema, c.relname::text as table, c.oid::text as relid,
              p.polqual::text as qual, p.polwithcheck::text as check
         from pg_catalog.pg_policy p join pg_catalog.pg_class c on c.oid = p.polrelid
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any ($1::text[])
        order by n.nspname, c.relname, p.polname`,
      [[app.schema, app.toolkitSchema]],
    );
    const calls = policies.map((p) => {
      const found: ColumnCall[] = [];
      for (const text of [p.qual, p.check]) if (text) columnCalls(parseNodeTree(text), found);
      return found;
    });
    const all = calls.flat();
    const oids = (kind: ColumnCall["kind"]) => [...new Set(all.filter((c) => c.kind === kind).map((c) => c.oid))];
    const { rows: callees } = await client.query<Callee & { kind: ColumnCall["kind"] }>(
      `select 'function' as kind, p.oid::text, p.oid::regprocedure::text as label, p.proleakproof as leakproof
         from pg_catalog.pg_proc p where p.oid = any ($1::oid[])
       union all
       select 'operator', o.oid::text, format('operator %s (function %s)', o.oid::regoperator, o.oprcode::regprocedure), p.proleakproof
         from pg_catalog.pg_operator o join pg_catalog.pg_proc p on p.oid = o.oprcode where o.oid = any ($2::oid[])
       union all
       select 'cast', t.oid::text, format('a cast to %s through %s', pg_catalog.format_type(t.oid, null), t.typinput::regprocedure), p.proleakproof
         from pg_catalog.pg_type t join pg_catalog.pg_proc p on p.oid = t.typinput where t.oid = any ($3::oid[])`,
      [oids("function"), oids("operator"), oids("cast")],
    );
    const callee = new Map(callees.map((c) => [`${c.kind} ${c.oid}`, c]));
    const { rows: attributes } = await client.query<{ relid: string; attnum: string; name: string }>(
      `select a.attrelid::text as relid, a.attnum::text, a.attname::text as name
         from pg_catalog.pg_attribute a where a.attrelid = any ($1::oid[]) and a.attnum > 0`,
      [[...new Set(policies.map((p) => p.relid))]],
    );
    const column = new Map(attributes.map((a) => [`${a.relid} ${a.attnum}`, a.name]));
    return policies.flatMap((p, i): LiveLintFinding[] => {
      const seen = new Set<string>();
      return calls[i]!.flatMap((call): LiveLintFinding[] => {
        const c = callee.get(`${call.kind} ${call.oid}`);
        const name = column.get(`${p.relid} ${call.attnum}`) ?? `#${call.attnum}`;
        if (!c || c.leakproof || seen.has(`${c.label} ${name}`)) return [];
        seen.add(`${c.label} ${name}`);
        return [
          {
            lint: "leakproof-policy",
            level: "warning",
            object: `policy ${p.name} on ${p.schema}.${p.table}`,
            message: `applies ${c.label}, which is not leakproof, to column ${name}: the policy runs on every row, hidden ones included, and an error it raises can show their values; compare the column itself with a leakproof operator, or mark the function leakproof if it truly is (alter function … leakproof)`,
          },
        ];
      });
    });
  },
};
