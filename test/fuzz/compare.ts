import type { ClientBase } from "pg";
import { backToRoot, type AppTestDatabase } from "../../db/testing";
import { crm } from "../../db/crm/roles";
import { loadWorld } from "./load";
import { emptyTally, type Disagreement, type Tally } from "./outcome";
import { compareReads } from "./reads";
import type { Schema, Tables } from "./reference/data";
import { Reference } from "./reference/evaluator";
import { compareWrites } from "./writes";
import { personasOf, rowsOfWorld, type WorldSpec } from "./world";

export { emptyTally, type Disagreement, type Tally } from "./outcome";

/**
 * Runs one world in one transaction, rolled back: loads it, compares every persona's reads, then tries the world's
 * writes; returns where PostgreSQL and the reference evaluator disagree.
 */
export async function checkWorld(
  db: AppTestDatabase,
  client: ClientBase,
  schema: Schema,
  spec: WorldSpec,
  tally: Tally = emptyTally(),
): Promise<Disagreement[]> {
  const tables: Tables = rowsOfWorld(spec);
  const out: Disagreement[] = [];
  await client.query("begin");
  try {
    const now = await loadWorld(db.app, client, crm.schema, tables);
    const refs = personasOf(spec).map((p) => new Reference(crm, schema, tables, p));
    for (const ref of refs) {
      await db.actAs(client, {
        role: ref.persona.role,
        userId: ref.persona.userId,
        ...(ref.persona.channel ? { channel: ref.persona.channel } : {}),
      });
      // the next persona's actAs switches from this one directly (the connection's own user is a superuser)
      await compareReads(client, ref, out, tally);
    }
    await backToRoot(client);
    await compareWrites(db, client, refs, tables, now, spec.writes, out, tally);
  } finally {
    await client.query("rollback");
  }
  return out;
}
