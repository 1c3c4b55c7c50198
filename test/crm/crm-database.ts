import type { PoolClient } from "pg";
import { crm } from "../../db/crm/roles";
import { PERSONAS, seedDemo } from "../../db/crm/seed";
import { createAppDatabase, type AppTestDatabase } from "../../db/testing";

/** Every table of schema crm, by name. */
export const CRM_TABLES = [
  "access_grants",
  "contacts",
  "contracts",
  "customers",
  "follow_ups",
  "org_units",
  "partner_shares",
  "project_customers",
  "project_members",
  "projects",
  "quotes",
  "service_tickets",
  "user_roles",
  "users",
] as const;

export const CRM_SCHEMA_MIGRATION = "migrations/committed/000001-crm-schema.sql";

/** A fresh database with the CRM schema, its compiled security under a unique prefix, and the demo seed. */
export const openCrmDatabase = (): Promise<AppTestDatabase> =>
  createAppDatabase({ app: crm, migrations: [CRM_SCHEMA_MIGRATION], seed: (client) => seedDemo(client) });

/** A demo persona by username, acting in its (first) role, or in `role` when given. */
export function persona(username: string, options: { role?: string; channel?: string } = {}) {
  const p = PERSONAS.find((x) => x.username === username);
  if (!p) throw new Error(`no persona ${username}`);
  return { role: options.role ?? p.roles[0]!, userId: p.id, ...(options.channel ? { channel: options.channel } : {}) };
}

/** The values of the first column of every row, in order. */
export async function column<T = unknown>(client: PoolClient, text: string, values: unknown[] = []): Promise<T[]> {
  const { rows, fields } = await client.query(text, values);
  return rows.map((r) => r[fields[0]!.name] as T);
}
