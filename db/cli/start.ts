import type { GatehouseConfig, PersonaInfo } from "../config";
import { loadServerConfig } from "../../server/config";
import { exampleQuery } from "../../server/examples";
import { startApiServer, type ApiServer } from "../../server/http";
import { devToken } from "./token";
import { roleName } from "../compile/names";
import { connectionUrl } from "../runtime/connection-url";
import { loginName } from "../runtime/logins";
import { literal, sql, toDdl } from "../sql/ddl";
import { withClient } from "../runtime/client";
import { EMBEDDED_DATA_DIR, openProjectDatabase, type ProjectDatabase } from "./database";
import { migrateProject } from "./migrate";
import { seedProject } from "./seed";

/** Password the demo gives the authenticator role; development only. */
export const DEV_AUTHENTICATOR_PASSWORD = "authenticator";

/**
 * Gives the app's authenticator role a password (run as the owner), so the API server can log in as it.
 *
 * @example
 * await setAuthenticatorPassword(config, ownerUrl, process.env.AUTHENTICATOR_PASSWORD!);
 */
export async function setAuthenticatorPassword(config: GatehouseConfig, url: string, password: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      toDdl(sql`alter role ${sql.identifier(roleName(config.app, config.app.authenticator))} password ${literal(password)}`),
    ),
  );
}

function instructions(config: GatehouseConfig, db: ProjectDatabase): string {
  const { app } = config;
  const authenticatorUrl = connectionUrl(db.url, {
    user: roleName(app, app.authenticator),
    password: DEV_AUTHENTICATOR_PASSWORD,
  });
  const sample = config.personas?.find((p) => p.roles.length > 0 && p.unit !== null) ?? config.personas?.[0];
  const row = (p: PersonaInfo) =>
    `  ${p.username.padEnd(8)} ${String(p.id).padStart(3)}  ${p.roles
      .map((r) => roleName(app, r))
      .join(", ")
      .padEnd(24)} ${(p.unit ?? "—").padEnd(7)} ${p.note ?? ""}`;
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
      `  psql "${connectionUrl(db.url, { user: loginName(app, login.username), password: login.password })}" -c "select * from ${app.schema}.customers"`,
    );
  }
  return lines.join("\n");
}

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_, _s, c: string) => c.toUpperCase());

/** The API part of the demo: where it listens, and per persona a ready token and a query to run with it. */
async function apiInstructions(config: GatehouseConfig, server: ApiServer): Promise<string> {
  const { app } = config;
  const lines = [
    "",
    `GraphQL API: ${server.url}/graphql   Ruru (GraphiQL): ${server.url}/graphiql   health: ${server.url}/health`,
    "Each persona below has a development token (12 hours) and a first query for its role's schema. In Ruru,",
    'paste the token into the headers tab as {"Authorization": "Bearer <token>"}. More tokens: npm run gatehouse -- token --user <username>.',
  ];
  for (const persona of config.personas ?? []) {
    const role = persona.roles[0];
    const api = role ? server.apis.get(roleName(app, role)) : undefined;
    if (!role || !api) continue;
    const definition = app.roles.find((r) => r.name === role);
    const preferred = [
      ...Object.keys(definition?.tables ?? {}).map((t) => `all${pascal(t)}`),
      ...app.views.map((v) => `all${pascal(v.name)}s`),
    ];
    const query = exampleQuery(api.schema, preferred) ?? "{ query { id } }";
    const { token } = await devToken(config, { user: persona.username, expires: "12h" }, process.env);
    lines.push(
      "",
      `${persona.username} (${role}${persona.unit ? `, ${persona.unit}` : ""}${persona.note ? `; ${persona.note}` : ""}):`,
      `  curl -s ${server.url}/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer ${token}' \\`,
      `    -d '${JSON.stringify({ query })}'`,
    );
  }
  return lines.join("\n");
}

/**
 * The demo: the embedded PostgreSQL 17 (or `DATABASE_URL`), migrations, the seed when the database is
 * empty, a development password for the authenticator, instructions for acting as each persona in psql, and
 * (unless `api: false`) the GraphQL API with Ruru, with a ready token and query per persona. Keeps running
 * until interrupted, then stops the API server (releasing its pool) and the embedded PostgreSQL.
 *
 * @example
 * await startDemo(loadConfig());
 */
export async function startDemo(
  config: GatehouseConfig,
  options: { port?: number; apiPort?: number; api?: boolean; keepRunning?: boolean } = {},
): Promise<{ db: ProjectDatabase; server?: ApiServer }> {
  const db = await openProjectDatabase(config, options);
  let server: ApiServer | undefined;
  try {
    console.log(db.embedded ? "PostgreSQL 17 (embedded) is up." : "Using DATABASE_URL.");
    await migrateProject(config, db);
    console.log("Migrations applied.");
    console.log((await seedProject(config, db.url)) ? "Demo data seeded." : "Demo data already there; not seeded again.");
    await setAuthenticatorPassword(config, db.url, DEV_AUTHENTICATOR_PASSWORD);
    console.log(instructions(config, db));
    if (options.api ?? true) {
      const env = {
        ...process.env,
        DATABASE_URL: db.url,
        AUTHENTICATOR_PASSWORD: process.env.AUTHENTICATOR_PASSWORD ?? DEV_AUTHENTICATOR_PASSWORD,
      };
      const serverConfig = loadServerConfig(config.app, options.apiPort ? { ...env, PORT: String(options.apiPort) } : env);
      server = await startApiServer({ app: config.app, ...serverConfig });
      console.log(await apiInstructions(config, server));
    }
  } catch (error) {
    await server?.close();
    await db.stop();
    throw error;
  }
  if (options.keepRunning ?? true) {
    const stopping = [
      ...(server ? ["the API server"] : []),
      ...(db.embedded ? [`PostgreSQL (its data stays in ${EMBEDDED_DATA_DIR})`] : []),
    ];
    console.log(`\nPress Ctrl-C to stop ${stopping.join(" and ") || "the demo"}.`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server?.close();
    await db.stop();
  }
  return { db, ...(server ? { server } : {}) };
}
