import type { DriftItem } from "./check";
import type { Entity, PolicyRow, Snapshot } from "./snapshot";

const NONE = "(none)";

const summary = (e: Entity): string =>
  Object.entries(e.fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");

/** For a role's attributes: `: superuser, bypassrls`, the ones only the actual has. */
const wordsAdded = (want: string, have: string): string => {
  const wanted = new Set(want.split(" "));
  const added = have.split(" ").filter((w) => !wanted.has(w));
  return added.length ? `: ${added.join(", ")}` : "";
};

/** Entities by kind and object: missing ones, ones not in the definitions, and each field that differs. */
function compareEntities(expected: readonly Entity[], actual: readonly Entity[]): DriftItem[] {
  const key = (e: Entity) => `${e.kind}\u0000${e.object}`;
  const theirs = new Map(actual.map((e) => [key(e), e]));
  const items: DriftItem[] = [];
  for (const e of expected) {
    const a = theirs.get(key(e));
    theirs.delete(key(e));
    if (!a) {
      items.push({ kind: e.kind, object: e.object, message: `${e.what} missing from the database`, expected: summary(e) });
      continue;
    }
    for (const field of [...new Set([...Object.keys(e.fields), ...Object.keys(a.fields)])]) {
      const want = e.fields[field] ?? NONE;
      const have = a.fields[field] ?? NONE;
      if (want === have) continue;
      const message =
        want === NONE
          ? `${field}: not in the definitions`
          : have === NONE
            ? `${field}: missing`
            : `${field} changed${field === "attributes" ? wordsAdded(want, have) : ""}`;
      items.push({ kind: e.kind, object: e.object, message, expected: want, actual: have });
    }
  }
  for (const a of theirs.values())
    items.push({ kind: a.kind, object: a.object, message: `${a.what} not in the definitions`, actual: summary(a) });
  return items;
}

/** A policy as `create policy` would read, without its name: what the multiset comparison compares. */
export const policyDefinition = (p: PolicyRow): string =>
  [
    `as ${p.permissive} for ${p.command} to ${p.roles.join(", ")}`,
    ...(p.using === null ? [] : [`using (${p.using})`]),
    ...(p.check === null ? [] : [`with check (${p.check})`]),
  ].join("\n");

const PARTS: readonly [string, (p: PolicyRow) => string | null][] = [
  ["permissive/restrictive", (p) => p.permissive],
  ["command", (p) => p.command],
  ["roles", (p) => p.roles.join(", ")],
  ["using", (p) => p.using],
  ["with check", (p) => p.check],
];

/**
 * Policies compared as a multiset per table, by definition (permissive or restrictive, command, roles, and the
 * expressions as PostgreSQL deparses them), not by name: a renamed policy that does the same is no drift. A policy
 * only on one side that has a namesake on the other side of the same table is reported once, as changed.
 */
function comparePolicies(expected: readonly PolicyRow[], actual: readonly PolicyRow[]): DriftItem[] {
  const key = (p: PolicyRow) => `${p.table}\u0000${policyDefinition(p)}`;
  const left = [...actual];
  const missing: PolicyRow[] = [];
  for (const p of expected) {
    const i = left.findIndex((a) => key(a) === key(p));
    if (i >= 0) left.splice(i, 1);
    else missing.push(p);
  }
  const items: DriftItem[] = [];
  for (const p of missing) {
    const object = `${p.table} policy ${p.name}`;
    const namesake = left.findIndex((a) => a.table === p.table && a.name === p.name);
    if (namesake < 0) {
      items.push({ kind: "policy", object, message: "policy missing from the database", expected: policyDefinition(p) });
      continue;
    }
    const [a] = left.splice(namesake, 1) as [PolicyRow];
    const changed = PARTS.filter(([, part]) => part(p) !== part(a)).map(([name]) => name);
    items.push({
      kind: "policy",
      object,
      message: `policy changed: ${changed.join(", ")} ${changed.length === 1 ? "differs" : "differ"}`,
      expected: policyDefinition(p),
      actual: policyDefinition(a),
    });
  }
  for (const a of left)
    items.push({
      kind: "policy",
      object: `${a.table} policy ${a.name}`,
      message: "policy not in the definitions",
      actual: policyDefinition(a),
    });
  return items;
}

/**
 * Every difference between the snapshot as the definitions make it and as the database is.
 *
 * @example
 * const items = compareSnapshots(expected, actual);
 */
export function compareSnapshots(expected: Snapshot, actual: Snapshot): DriftItem[] {
  return [...comparePolicies(expected.policies, actual.policies), ...compareEntities(expected.entities, actual.entities)];
}
