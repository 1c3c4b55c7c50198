import { colourOn, paint as style } from "../cli/colour";
import type { ArmVerdict, ColumnVerdict, Explanation, PolicyVerdict, RoleExplanation } from "./explain";

/** Colours for a terminal: green for what passes, red for what stops, dim for detail; identity when plain. */
export interface Paint {
  readonly pass: (text: string) => string;
  readonly fail: (text: string) => string;
  readonly dim: (text: string) => string;
}

const paintOf = (on: boolean): Paint => ({
  pass: (t) => style(on, "green", t),
  fail: (t) => style(on, "red", t),
  dim: (t) => style(on, "dim", t),
});
const PLAIN = paintOf(false);

/** Colours when `stream` is a terminal and NO_COLOR is unset, plain otherwise. */
export const paintFor = (stream: NodeJS.WriteStream): Paint => paintOf(colourOn(stream));

const mark = (paint: Paint, passes: boolean) => (passes ? paint.pass("pass") : paint.fail("FAIL"));

function armLines(paint: Paint, arms: readonly ArmVerdict[], indent: string): string[] {
  return arms.flatMap((arm) => [
    `${indent}${mark(paint, arm.passes)}  arm ${arm.label}  ${paint.dim(arm.words)}${arm.error ? `  error: ${arm.error}` : ""}`,
    ...armLines(paint, arm.parts, `${indent}  `),
  ]);
}

function policyLines(paint: Paint, policy: PolicyVerdict): string[] {
  const what = policy.restriction
    ? `restriction ${policy.restriction.name}: ${policy.restriction.words}`
    : `${policy.permissive ? "permissive" : "restrictive"}, for ${policy.command}`;
  return [
    `      ${mark(paint, policy.passes)}  ${policy.name}  ${paint.dim(what)}${policy.error ? `  error: ${policy.error}` : ""}`,
    ...(policy.arms ? armLines(paint, policy.arms, "            ") : []),
  ];
}

function columnLine(columns: readonly ColumnVerdict[]): string[] {
  const list = (pick: (c: ColumnVerdict) => boolean, show: (c: ColumnVerdict) => string = (c) => c.column) =>
    columns.filter(pick).map(show).join(", ") || "none";
  return [
    `    reads      ${list((c) => c.select === "granted")}`,
    ...(columns.some((c) => c.select === "masked")
      ? [
          `    masked     ${list(
            (c) => c.select === "masked",
            (c) =>
              c.byRow
                ? `${c.column} (as ${c.twin}; raw on ${c.byRow.rows}: ${c.byRow.raw === null ? "unknown" : c.byRow.raw ? "raw" : "masked"} on this row)`
                : `${c.column} (as ${c.twin})`,
          )}`,
        ]
      : []),
    `    no access  ${list((c) => c.select === "none")}`,
    `    inserts    ${list((c) => c.insert)}`,
    `    updates    ${list((c) => c.update)}`,
  ];
}

function roleLines(paint: Paint, explanation: Explanation, role: RoleExplanation): string[] {
  const { user } = explanation;
  return [
    `as ${role.role} (${role.databaseRole})`,
    `  identity       ${
      role.identity === null
        ? paint.fail(`none: the database knows no active user ${user.username} holding ${role.role}`)
        : `user ${role.identity}`
    }`,
    `  privilege      ${mark(paint, role.privilege)}  ${paint.dim(`on ${explanation.table} for ${explanation.command}`)}`,
    `  row security   ${role.rowSecurity}`,
    ...role.stages.flatMap((stage) => [
      `  ${mark(paint, stage.passes)}  ${stage.policies} policies, ${stage.clause}${
        stage.policies === explanation.command ? "" : paint.dim(" (to find the row by its key)")
      }`,
      ...(stage.permissive.length ? [] : [`      ${paint.fail("FAIL")}  no permissive policy applies`]),
      ...[...stage.permissive, ...stage.restrictive].flatMap((p) => policyLines(paint, p)),
    ]),
    `  columns`,
    ...columnLine(role.columns),
    ...role.drift.map((d) => `  ${paint.fail("drift")}  ${d}`),
    `  ${role.allowed ? paint.pass("answer") : paint.fail("answer")}  ${role.answer}`,
  ];
}

/**
 * `gatehouse explain`'s report: per role the identity, privilege, each policy and arm with pass or FAIL, the
 * columns, and the answer.
 *
 * @example
 * console.log(renderExplanation(await explainAccess(owner, clinic, { user: "dr_ada", table: "patients", row: "42" }), paintFor(process.stdout)));
 */
export function renderExplanation(explanation: Explanation, paint: Paint = PLAIN): string {
  const { user } = explanation;
  return [
    `${user.username} (user ${user.id}, ${user.status}): ${explanation.command} ${explanation.table} ${explanation.row} (${explanation.key} = ${explanation.row})`,
    ...explanation.notes.map((n) => `note: ${n}`),
    ...explanation.roles.flatMap((r) => ["", ...roleLines(paint, explanation, r)]),
  ].join("\n");
}
