import type { IdentityUser } from "../cli/identity-user";
import type { Command } from "../policy/roles";
import { PRIVILEGE } from "./live";
import type { ArmVerdict, ColumnVerdict, PolicyVerdict, RoleExplanation, StageVerdict } from "./explain";

/** What was asked, for the sentence. */
export interface Asked {
  readonly user: IdentityUser;
  readonly table: string;
  readonly row: string;
  readonly command: Command;
  readonly column?: string;
  /** Triggers that also run on the write. */
  readonly triggers: readonly string[];
}

const VERB: Record<Command, string> = { select: "see", insert: "insert a row like", update: "update", delete: "delete" };

/** `own(owner_id) (rows they own (owner_id))`. */
const armText = (arm: ArmVerdict) => `${arm.label}: ${arm.words}`;

/** Why an arm failed: an error, the `and` parts that fail, or simply that it does not hold. */
function armFailure(arm: ArmVerdict): string {
  if (arm.error) return `${arm.label} (error: ${arm.error})`;
  const failing = arm.parts.filter((p) => !p.passes);
  return failing.length && failing.length < arm.parts.length
    ? `${arm.label} (fails on ${failing.map((p) => p.label).join(", ")})`
    : arm.label;
}

/** Why a stage let the row through: the first permissive policy that passes, and its first arm that does. */
function passReason(stage: StageVerdict): string {
  const policy = stage.permissive.find((p) => p.passes)!;
  const arm = policy.arms?.find((a) => a.passes);
  return arm ? `it passes ${policy.name} through ${armText(arm)}` : `it passes ${policy.name}`;
}

/** Why a stage stopped the row. */
function stopReason(asked: Asked, role: Omit<RoleExplanation, "answer">, stage: StageVerdict): string {
  const failedRestriction = stage.restrictive.find((p) => !p.passes);
  const what = stage.clause === "with check" ? "the row as it would be written" : "the row";
  if (stage.permissive.length === 0) return `${role.role} has no ${stage.policies} policy on ${asked.table}, so no row passes`;
  if (!stage.permissive.some((p) => p.passes)) {
    if (role.identity === null)
      return `the database knows no active user ${asked.user.username} holding ${role.role} (status ${asked.user.status}), and every policy asks for one`;
    const failures = stage.permissive.map((p: PolicyVerdict) =>
      p.error
        ? `${p.name} fails with an error (${p.error})`
        : p.arms
          ? `no arm of ${p.name} passes (${p.arms.map(armFailure).join(", ")})`
          : `${p.name} does not pass`,
    );
    return `${failures.join("; ")} for ${what}`;
  }
  const r = failedRestriction!;
  const by = r.restriction
    ? `restriction ${r.restriction.name} (policy ${r.name}) stops it: it ${r.restriction.words}`
    : `restrictive policy ${r.name} stops it`;
  return `${by}${r.error ? ` (error: ${r.error})` : ""}, although ${passReason(stage)}`;
}

/** What the role may do with the column asked about, for the command. */
function columnSentence(asked: Asked, column: ColumnVerdict): string {
  const name = column.column;
  if (asked.command === "select" || asked.command === "delete")
    return column.select === "granted"
      ? `they can read ${name}`
      : column.select === "masked" && column.byRow
        ? `they read ${name} raw on ${column.byRow.rows} and masked elsewhere (no SELECT grant on ${name}; their row mask function gives it); on this row ${column.byRow.raw === null ? "it could not be told which" : column.byRow.raw ? "raw" : "masked"}`
        : column.select === "masked"
          ? `they read ${name} only masked, as ${column.twin} (no SELECT grant on ${name})`
          : `they cannot read ${name} (no SELECT grant on ${name})`;
  const may = asked.command === "update" ? column.update : column.insert;
  return may
    ? `they can ${asked.command} ${name}`
    : `they cannot ${asked.command} ${name} (no ${PRIVILEGE[asked.command]} grant on ${name})`;
}

/**
 * The plain answer for one role: "<user> can|cannot <command> <table> <row> as <role> because …", then what they
 * may do with the column asked about.
 *
 * @example
 * explainAnswer(asked, role) // "dr_ada can see patients 42 as doctor because it passes doctor__select through own(doctor_id): …"
 */
export function explainAnswer(asked: Asked, role: Omit<RoleExplanation, "answer">): string {
  const subject = `${asked.user.username} ${role.allowed ? "can" : "cannot"} ${VERB[asked.command]} ${asked.table} ${asked.row} as ${role.role}`;
  const because = (() => {
    if (!role.privilege) return `${role.role} holds no ${PRIVILEGE[asked.command]} privilege on ${asked.table}`;
    if (role.rowSecurity === "off") return `row level security is off on ${asked.table} for ${role.role}`;
    if (role.rowSecurity === "bypassed") return `${role.role} bypasses row level security`;
    const stopped = role.stages.find((s) => !s.passes);
    if (stopped) {
      const reason = stopReason(asked, role, stopped);
      return stopped.policies !== asked.command ? `they cannot see it, as ${reason}` : reason;
    }
    const own = role.stages.filter((s) => s.policies === asked.command);
    return (
      [...new Set(own.map(passReason))].join(", and ") +
      (own.some((s) => s.restrictive.length) ? ", and no restriction stops it" : "")
    );
  })();
  const column = asked.column !== undefined ? role.columns.find((c) => c.column === asked.column) : undefined;
  const drift = role.drift.length ? ` (the live policies differ from the definitions: run gatehouse check)` : "";
  const triggers =
    role.allowed && asked.triggers.length
      ? `; triggers on ${asked.table} also run and may refuse or change it: ${asked.triggers.join(", ")}`
      : "";
  return `${subject} because ${because}${column ? `; ${columnSentence(asked, column)}` : ""}${triggers}${drift}`;
}
