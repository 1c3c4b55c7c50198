import type { GatehouseConfig, PersonaInfo } from "../config";
import { roleName } from "../compile/names";
import { loginName } from "../runtime/logins";
import { literal, sql, toDdl } from "../sql/ddl";
import { openProjectDatabase, withClient, type ProjectDatabase } from "./database";
import { migrateProject } from "./migrate";
import { seedProject } from "./seed";

/** Password the demo gives the authenticator role; development only. */
export const DEV_AUTHENTICATOR_PASSWORD = "authenticator";

const withUser = (url: string, user: string, password: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
};

function instructions(config: GatehouseConfig, db: ProjectDatabase): string {
  const { app } = config;
  const authenticatorUrl = withUser(db.url, roleName(app, app.authenticator), DEV_AUTHENTICATOR_PASSWORD);
  const sample = config.personas?.find((p) => p.roles.length > 0 && p.unit !== null) ?? config.personas?.[0];
  const row = (p: PersonaInfo) =>
    `  ${p.username.padEnd(8)} ${String(p.id).padStart(3)}  ${p.roles.map((r) => roleName(app, r)).join(", ").padEnd(24)} ${(p.unit ?? "—").padEnd(7)} ${p.note ?? ""}`;
  const lines = [
    "",
    "Gatehouse demo is ready: PostgreSQL enforces the rules of db/crm/roles.ts.",
    "",
    `  owner (superuser): psql "${db.url}"`,
    "",
    "Act as a persona the way the API server will: log in as the authenticator, then in one transaction",
    "switch to the persona's role and set its user id.",
    "",
    `  psql "${authenticatorUrl}"`,
  ];
  if (sample) {
    lines.push(
      "  begin;",
      `  set local role ${roleName(app, sample.roles[0]!)};`,
      `  select set_config('jwt.claims.user_id', '${sample.id}', true);   -- ${sample.username}`,
      `  select * from ${app.schema}.customers;`,
      "  rollback;",
    );
  }
  if (config.personas?.length) {
    lines.push("", "Personas (username, user id, role, unit):", ...config.personas.map(row));
  }
  for (const login of config.seed?.logins ?? []) {
    lines.push(
      "",
      `${login.username} has a role-bound login (acts as ${login.role}; claims set by hand are ignored):`,
      `  psql "${withUser(db.url, loginName(app, login.username), login.password)}" -c "select * from ${app.schema}.customers"`,
    );
  }
  lines.push("", db.embedded ? "Press Ctrl-C to stop PostgreSQL (its data stays in .gatehouse/pgdata)." : "");
  return lines.join("\n");
}

/**
 * The demo: the embedded PostgreSQL 17 (or `DATABASE_URL`), migrations, the seed when the database is
 * empty, a development password for the authenticator, and instructions for acting as each persona.
 * Keeps the embedded server running until interrupted.
 *
 * @example
 * await startDemo(loadConfig());
 */
export async function startDemo(config: GatehouseConfig, options: { port?: number; keepRunning?: boolean } = {}): Promise<ProjectDatabase> {
  const db = await openProjectDatabase(config, options);
  try {
    console.log(db.embedded ? "PostgreSQL 17 (embedded) is up." : "Using DATABASE_URL.");
    await migrateProject(config, db);
    console.log("Migrations applied.");
    console.log((await seedProject(config, db.url)) ? "Demo data seeded." : "Demo data already there; not seeded again.");
    await withClient(db.url, (client) =>
      client.query(
        toDdl(sql`alter role ${sql.identifier(roleName(config.app, config.app.authenticator))} password ${literal(DEV_AUTHENTICATOR_PASSWORD)}`),
      ),
    );
    console.log(instructions(config, db));
  } catch (error) {
    await db.stop();
    throw error;
  }
  if (options.keepRunning ?? true) {
    if (!db.embedded) return db;
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await db.stop();
  }
  return db;
}
