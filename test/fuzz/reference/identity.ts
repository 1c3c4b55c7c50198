import type { AppDefinition } from "../../../db";
import { rowsOf, type Tables, type Value } from "./data";

/** Who acts: a user id (which may name nobody), the role they act in, and the request's channel. */
export interface Persona {
  readonly userId: number;
  readonly role: string;
  readonly channel: string | null;
}

/** What the identity helpers answer for a persona, computed from the identity tables the app names. */
export interface Who {
  /** The user, when active and holding the acting role; null otherwise (then no permissive rule holds). */
  readonly uid: Value;
  readonly unit: Value;
  /** Their unit and every unit below it. */
  readonly unitTree: ReadonlySet<Value>;
  /** Users (whatever their status) of a unit in {@link unitTree}. */
  readonly treeUsers: ReadonlySet<Value>;
  readonly channel: string | null;
}

/**
 * Who is asking, per the identity contract (CONVENTIONS.md "Identity"): the claimed user counts only while their
 * status is the active one and they hold the acting role.
 */
export function whoIs(app: AppDefinition, tables: Tables, persona: Persona): Who {
  const { users, userRoles, units } = app.identity;
  const user = rowsOf(tables, users.table).find((u) => u[users.id] === persona.userId);
  const holds = rowsOf(tables, userRoles.table).some(
    (r) => r[userRoles.user] === persona.userId && r[userRoles.role] === persona.role,
  );
  const active = user !== undefined && user[users.status] === users.activeStatus && holds;
  const uid = active ? persona.userId : null;
  const unit = active ? (user[users.unit] ?? null) : null;
  const unitTree = new Set<Value>();
  if (unit !== null) {
    const unitRows = rowsOf(tables, units.table);
    const queue: Value[] = [unit];
    for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
      if (unitTree.has(u)) continue;
      unitTree.add(u);
      for (const child of unitRows) if (child[units.parent] === u) queue.push(child[units.id] ?? null);
    }
  }
  const treeUsers = new Set(
    rowsOf(tables, users.table)
      .filter((u) => unitTree.has(u[users.unit] ?? null))
      .map((u) => u[users.id] ?? null),
  );
  return { uid, unit, unitTree, treeUsers, channel: persona.channel };
}
