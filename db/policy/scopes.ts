import type { SQL } from "pg-sql2";
import { assertShape } from "./shape";

/** A literal value a scope may compare a column with. */
export type ScopeValue = string | number | boolean;

/**
 * A set of rows a user may reach through a membership, such as "patients of the open care teams I belong to".
 * Compiled into one helper returning the row keys as an array, computed once per statement.
 */
export interface MemberSet {
  readonly kind: "memberSet";
  readonly name: string;
  /** Table linking a user to groups: `user` column holds a users.id, `group` the group key. */
  readonly membership: { readonly table: string; readonly user: string; readonly group: string };
  /** Table linking groups to rows: `group` matches the membership's group, `row` is the row key. */
  readonly link: { readonly table: string; readonly group: string; readonly row: string; readonly where?: Scope };
  /** Optional table the group must be live in (`key` = group key), e.g. care teams with status open. */
  readonly live?: { readonly table: string; readonly key: string; readonly where: Scope };
}

/** A row scope: which rows of a table a rule covers. Build with the factories below. */
export type Scope =
  | { readonly kind: "own"; readonly column: string }
  | { readonly kind: "unit"; readonly column: string }
  | { readonly kind: "unitTree"; readonly column: string }
  | { readonly kind: "userInTree"; readonly column: string }
  | { readonly kind: "all" }
  | { readonly kind: "pool"; readonly column: string }
  | {
      readonly kind: "via";
      readonly column: string;
      readonly parent: string;
      readonly where?: Scope;
      /** Set by the compile's plan, never by a definition: the parent rows the role sees are few (`compile/listed-vias.ts`). */
      readonly listed?: true;
    }
  | { readonly kind: "granted"; readonly column: string }
  | { readonly kind: "member"; readonly column: string; readonly set: MemberSet }
  | { readonly kind: "attr"; readonly column: string; readonly op: "in" | "not in"; readonly values: readonly ScopeValue[] }
  | { readonly kind: "isNull"; readonly column: string; readonly negate: boolean }
  | { readonly kind: "future"; readonly column: string }
  | { readonly kind: "channel"; readonly op: "in" | "not in"; readonly values: readonly string[] }
  | { readonly kind: "raw"; readonly sql: SQL; readonly description: string }
  | { readonly kind: "or"; readonly scopes: readonly Scope[] }
  | { readonly kind: "and"; readonly scopes: readonly Scope[] };

const freeze = <T extends object>(value: T): T => Object.freeze(value);

/** Rows whose `column` holds my user id. @example own("owner_id") */
export const own = (column: string): Scope => freeze({ kind: "own", column });

/** Rows whose `column` is my org unit. @example unit("unit_id") */
export const unit = (column: string): Scope => freeze({ kind: "unit", column });

/** Rows whose `column` is my org unit or any unit below it. @example unitTree("unit_id") */
export const unitTree = (column: string): Scope => freeze({ kind: "unitTree", column });

/**
 * Rows whose `column` holds a user of my org unit or any unit below it, e.g. a new doctor a chief
 * may hand a patient to. @example userInTree("doctor_id")
 */
export const userInTree = (column: string): Scope => freeze({ kind: "userInTree", column });

/** Every row (still subject to restrictive rules and to the user being active). @example all() */
export const all = (): Scope => freeze({ kind: "all" });

/** Rows in the shared pool: `column` is null. @example pool("doctor_id") */
export const pool = (column: string): Scope => freeze({ kind: "pool", column });

/**
 * Rows whose parent (through the foreign key `column` → `parent`) is visible to me; the parent's own
 * row-level security applies inside. `where` narrows the parent further.
 *
 * @example via("patient_id", "patients", own("doctor_id")) // appointments of my own patients
 */
export const via = (column: string, parent: string, where?: Scope): Scope =>
  freeze(where ? { kind: "via", column, parent, where } : { kind: "via", column, parent });

/**
 * Rows granted to me by a live (not expired) temporary grant for this table and command.
 * `column` is the row key the grant names (usually `id`).
 *
 * @example granted("id")
 */
export const granted = (column = "id"): Scope => freeze({ kind: "granted", column });

/** Rows whose `column` is in a membership set. @example member("id", openTeamPatients) */
export const member = (column: string, set: MemberSet): Scope => freeze({ kind: "member", column, set });

/**
 * Defines a membership set for {@link member}. Throws when the definition has an unknown key or a value of the wrong kind.
 *
 * @example
 * memberSet({ name: "open_team_patients",
 *   membership: { table: "team_members", user: "staff_id", group: "team_id" },
 *   link: { table: "team_patients", group: "team_id", row: "patient_id" },
 *   live: { table: "care_teams", key: "id", where: is("status", "open") } })
 */
export function memberSet(definition: Omit<MemberSet, "kind">): MemberSet {
  assertShape("member set", [definition]);
  return freeze({
    kind: "memberSet",
    name: definition.name,
    membership: freeze({ ...definition.membership }),
    link: freeze({ ...definition.link }),
    ...(definition.live ? { live: freeze({ ...definition.live }) } : {}),
  });
}

/** Rows whose `column` is one of `values`. @example is("status", "open", "waiting") */
export const is = (column: string, ...values: ScopeValue[]): Scope =>
  freeze({ kind: "attr", column, op: "in", values: freeze([...values]) });

/** Rows whose `column` is none of `values` (null counts as none). @example isNot("stage", "lost") */
export const isNot = (column: string, ...values: ScopeValue[]): Scope =>
  freeze({ kind: "attr", column, op: "not in", values: freeze([...values]) });

/** Rows whose `column` is null. @example isNull("archived_at") */
export const isNull = (column: string): Scope => freeze({ kind: "isNull", column, negate: false });

/** Rows whose `column` is not null. @example isNotNull("deleted_at") */
export const isNotNull = (column: string): Scope => freeze({ kind: "isNull", column, negate: true });

/** Rows whose `column` (a time) is still ahead: a share or grant that has not expired. @example isFuture("expires_at") */
export const isFuture = (column: string): Scope => freeze({ kind: "future", column });

/** Only when the request came through one of these channels. @example channelIs("web") */
export const channelIs = (...channels: string[]): Scope => freeze({ kind: "channel", op: "in", values: freeze([...channels]) });

/** Never when the request came through one of these channels. @example channelIsNot("mobile") */
export const channelIsNot = (...channels: string[]): Scope =>
  freeze({ kind: "channel", op: "not in", values: freeze([...channels]) });

/**
 * A predicate written with the safe SQL builder; it must contain no bind values.
 *
 * @example raw(sql`${sql.identifier("amount")} < 10000`, "amount under 10,000")
 */
export const raw = (predicate: SQL, description: string): Scope => freeze({ kind: "raw", sql: predicate, description });

/** Rows in any of the scopes. @example or(own("owner_id"), pool("owner_id")) */
export const or = (...scopes: Scope[]): Scope => freeze({ kind: "or", scopes: freeze([...scopes]) });

/** Rows in every one of the scopes. @example and(own("owner_id"), unit("unit_id")) */
export const and = (...scopes: Scope[]): Scope => freeze({ kind: "and", scopes: freeze([...scopes]) });
