import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  authenticatorPassword,
  compileAgainst,
  connectionUrl,
  explainConnectionError,
  handleSignalsYourself,
  loginName,
  migrateProject,
  openProjectDatabase,
  readableColumns,
  roleName,
  roleSchemaName,
  seedProject,
  sql,
  withClient,
  type GatehouseConfig,
  type PersonaInfo,
  type Plan,
  type ProjectDatabase,
  type SeedOutcome,
} from "../../db";
import { describeMode, isLoopback, loadServerConfig } from "../config";
import { ownerConsoleTools, type ConsoleDemo } from "../console/demo";
import type { ConsoleTools } from "../console/tools";
import { exampleQuery } from "../examples";
import { startApiServer, type ApiServer } from "../http";
import { devToken } from "./token";

/** Where `start` writes every persona's token and examples: beside the embedded data directory, else in `.gatehouse/`. */
export const personasFile = (db: ProjectDatabase): string =>
  path.relative(process.cwd(), path.join(db.dataDir ? path.dirname(db.dataDir) : ".gatehouse", "personas.md"));

/** Lifetime of the tokens `start` prints. */
const DEMO_TOKEN_LIFETIME = "12h";

/** The personas the start screen shows: `featuredPersonas`, else the first three with distinct roles. */
function featured(config: GatehouseConfig): PersonaInfo[] {
  const personas = (config.personas ?? []).filter((p) => p.roles.length > 0);
  if (config.featuredPersonas) {
    return config.featuredPersonas.map((name) => {
      const persona = personas.find((p) => p.username === name);
      if (!persona) throw new Error(`featuredPersonas: no persona "${name}" with a role in config.personas`);
      return persona;
    });
  }
  const seen = new Set<string>();
  return personas.filter((p) => !seen.has(p.roles[0]!) && seen.add(p.roles[0]!)).slice(0, 3);
}

const describe = (p: PersonaInfo) =>
  `${p.username} (${p.roles.join(", ")}${p.unit ? `, ${p.unit}` : ""}${p.note ? `; ${p.note}` : ""})`;

/**
 * A statement that works for the persona in psql: the first table (or masking view) of its role it may read,
 * with up to `limit` of the columns its role may select there. `select *` is refused wherever a column is
 * masked, so the example names its columns.
 */
function psqlSelect(config: GatehouseConfig, plan: Plan, role: string, limit = 5): string | undefined {
  const definition = config.app.roles.find((r) => r.name === role);
  const candidates = [...Object.keys(definition?.tables ?? {}), ...config.app.views.map((v) => v.name)];
  for (const table of candidates) {
    const columns = readableColumns(plan, role, table);
    if (columns.length > 0) {
      const shown = columns.slice(0, limit);
      return `select ${shown.map(psqlName).join(", ")} from ${psqlName(config.app.schema)}.${psqlName(table)};`;
    }
  }
  return undefined;
}

/** A name as psql needs it: bare when it is a plain lowercase identifier, quoted by pg-sql2 otherwise. */
const psqlName = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : sql.compile(sql.identifier(name)).text);

/** Everything needed to try one persona: token, GraphQL query, Ruru link and psql session. */
interface PersonaExample {
  readonly persona: PersonaInfo;
  readonly token: string;
  readonly query: string;
  readonly select?: string;
}

async function examplesFor(config: GatehouseConfig, plan: Plan, server: ApiServer | undefined): Promise<PersonaExample[]> {
  const examples: PersonaExample[] = [];
  for (const persona of config.personas ?? []) {
    const role = persona.roles[0];
    if (!role) continue;
    const api = server?.apis.get(roleName(config.app, role));
    const definition = config.app.roles.find((r) => r.name === role);
    const preferred = [
      ...Object.keys(definition?.tables ?? {}).map((t) => `all${pascal(t)}`),
      ...config.app.views.map((v) => `all${pascal(v.name)}s`),
    ];
    const select = psqlSelect(config, plan, role);
    examples.push({
      persona,
      token: (await devToken(config, { user: persona.username, expires: DEMO_TOKEN_LIFETIME }, process.env)).token,
      query: (api && exampleQuery(api.schema, preferred)) ?? "{ __typename }",
      ...(select ? { select } : {}),
    });
  }
  return examples;
}

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_, _s, c: string) => c.toUpperCase());

function curl(server: ApiServer, example: PersonaExample): string[] {
  return [
    `  curl -s ${server.url}/graphql -H 'Content-Type: application/json' \\`,
    `    -H 'Authorization: Bearer ${example.token}' \\`,
    `    -d '${JSON.stringify({ query: example.query })}'`,
  ];
}

function psqlSession(config: GatehouseConfig, authenticatorUrl: string, example: PersonaExample): string[] {
  const { persona } = example;
  return [
    `  psql "${authenticatorUrl}"`,
    `  begin; set local role ${roleName(config.app, persona.roles[0]!)}; select set_config('jwt.claims.user_id', '${persona.id}', true);`,
    ...(example.select ? [`  ${example.select}`] : []),
    `  -- select * from ${psqlName(roleSchemaName(config.app, persona.roles[0]!))}.<table> reads exactly what the role may; ${psqlName(config.app.toolkitSchema)}.columns_for('<table>') lists those columns`,
    "  rollback;",
  ];
}

/** `.gatehouse/personas.md`: every persona's token, GraphQL example, Ruru link and psql session. */
function personasDocument(
  config: GatehouseConfig,
  plan: Plan,
  db: ProjectDatabase,
  server: ApiServer | undefined,
  ruru: boolean,
  authenticatorUrl: string,
  examples: readonly PersonaExample[],
): string {
  const lines = [
    "# Demo personas",
    "",
    `Development tokens, valid for ${DEMO_TOKEN_LIFETIME} from ${new Date().toISOString()}; a new one: \`npx gatehouse token --user <username>\`.`,
    `Database: \`${db.url}\`.`,
    "",
    "In psql, `select *` is refused wherever a column is masked or hidden from a role: " +
      `\`select * from ${config.app.toolkitSchema}.columns_for('<table>')\` lists the columns the role may read.`,
  ];
  for (const example of examples) {
    lines.push("", `## ${describe(example.persona)}`, "", "```sh");
    if (server) lines.push(...curl(server, example));
    if (server && ruru) lines.push(`  # Ruru: ${server.url}/graphiql?as=${example.persona.username}`);
    lines.push(...psqlSession(config, authenticatorUrl, example), "```");
  }
  for (const login of config.seed?.logins ?? []) {
    if (!db.embedded) continue;
    const url = connectionUrl(db.url, { user: loginName(config.app, login.username), password: login.password });
    const select = psqlSelect(config, plan, login.role);
    lines.push(
      "",
      `## ${login.username}'s role-bound login (acts as ${login.role}; claims set by hand are ignored)`,
      "",
      "```sh",
      `  psql "${url}"${select ? ` -c "${select}"` : ""}`,
      `  # or select * from <table>: its search_path starts with ${roleSchemaName(config.app, login.role)}, the ${login.role}'s view of each table it may read`,
      "```",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** What the seed did, in a line or two: a demo login the seed left alone is news only outside the embedded cluster. */
function seedLines(outcome: SeedOutcome, db: ProjectDatabase): string[] {
  return [
    `  migrations applied; ${outcome.seeded ? "demo data seeded" : "demo data already there (not seeded again)"}`,
    ...(db.embedded ? [] : outcome.loginsSkipped.map((s) => `  demo login ${s.username} not created: ${s.reason}`)),
  ];
}

/**
 * The demo: the embedded PostgreSQL 17 (or `DATABASE_URL`), migrations, the seed when the database is empty,
 * and (unless `api: false`) the GraphQL API with Ruru. Prints one screen: what runs where, a token and an
 * example for two or three personas (`featuredPersonas`), and writes every persona's token and examples to
 * `.gatehouse/personas.md`. Changes no credential it did not create: demo passwords are set only in the demo's
 * own embedded cluster, on roles that have none. Keeps running until interrupted, then stops the API server
 * (releasing its pool) and the embedded PostgreSQL.
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
    await migrateProject(config, db, { quiet: true });
    const seeded = await seedProject(config, db.url, { demoCredentials: db.embedded });
    const plan = (await withClient(db.url, (client) => compileAgainst(client, config.app))).plan;
    // without the API, a database the demo does not own needs no authenticator password: psql will ask for it
    const password =
      db.embedded || options.api !== false
        ? await authenticatorPassword(config, db, { who: "the demo", otherwise: "start with --no-api" })
        : process.env.AUTHENTICATOR_PASSWORD;
    const authenticatorUrl = connectionUrl(db.url, { user: roleName(config.app, config.app.authenticator), password });
    const lines = [
      "",
      `Gatehouse demo: PostgreSQL enforces the rules of app schema ${config.app.schema}.`,
      "",
      db.embedded
        ? `  PostgreSQL 17 (embedded${db.shared ? ", already running" : ""})  ${db.url}   data: ${path.relative(process.cwd(), db.dataDir!) || "."}`
        : `  PostgreSQL (DATABASE_URL)  ${redacted(db.url)}`,
      ...seedLines(seeded, db),
    ];
    let ruru = false;
    if (options.api ?? true) {
      const env = { ...process.env, DATABASE_URL: db.url, AUTHENTICATOR_PASSWORD: password };
      const serverConfig = loadServerConfig(config.app, options.apiPort ? { ...env, PORT: String(options.apiPort) } : env);
      ruru = serverConfig.ruru;
      server = await startApiServer({
        app: config.app,
        ...serverConfig,
        ...(ruru ? { ruruExample: ruruExample(config) } : {}),
        ...(config.alerts ? { review: { alerts: config.alerts } } : {}),
        ...(serverConfig.console && !serverConfig.production && isLoopback(serverConfig.host)
          ? consoleDemo(config, db, serverConfig.consoleTools !== undefined)
          : {}),
      }).catch((error: unknown) => {
        throw explainConnectionError(error, "the authenticator's password, AUTHENTICATOR_PASSWORD", authenticatorUrl);
      });
      lines.push(
        `  GraphQL API  ${server.url}/graphql${ruru ? `   Ruru: ${server.url}/graphiql?as=<username>` : ""}`,
        `  ${describeMode(serverConfig)}`,
        ...(serverConfig.console ? [`  Access console  ${server.url}/console/`] : []),
      );
    }
    const examples = await examplesFor(config, plan, server);
    await writePersonas(personasFile(db), personasDocument(config, plan, db, server, ruru, authenticatorUrl, examples));
    const show = featured(config);
    for (const persona of server ? show : []) {
      const example = examples.find((e) => e.persona === persona)!;
      lines.push("", `As ${describe(persona)}:`, ...curl(server!, example));
    }
    const psqlExample = examples.find((e) => e.persona === show[0] && e.select);
    if (psqlExample)
      lines.push("", `In psql, as ${psqlExample.persona.username}:`, ...psqlSession(config, authenticatorUrl, psqlExample));
    lines.push(
      "",
      `Every persona (${config.personas?.length ?? 0}) with its token, queries and psql session: ${personasFile(db)}`,
      `Another token: npx gatehouse token --user <username> [--role <role>] [--expires 1h]`,
    );
    console.log(lines.join("\n"));
  } catch (error) {
    await server?.close();
    await db.stop();
    throw error;
  }
  if (options.keepRunning ?? true) {
    const stopping = [
      ...(server ? ["the API server"] : []),
      ...(db.embedded && !db.shared ? ["PostgreSQL (its data is kept)"] : []),
    ];
    console.log(`\nPress Ctrl-C to stop ${stopping.join(" and ") || "the demo"}.`);
    handleSignalsYourself();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server?.close();
    await db.stop();
  }
  return { db, ...(server ? { server } : {}) };
}

/** What Ruru opens with at `/graphiql?as=<username>`: that persona's token in the headers and its first query. */
function ruruExample(config: GatehouseConfig) {
  return async (username: string, schemaOf: (role: string) => Parameters<typeof exampleQuery>[0] | undefined) => {
    const persona = config.personas?.find((p) => p.username === username);
    const role = persona?.roles[0];
    if (!persona || !role) return undefined;
    const { token } = await devToken(config, { user: username, expires: DEMO_TOKEN_LIFETIME }, process.env);
    const schema = schemaOf(roleName(config.app, role));
    const definition = config.app.roles.find((r) => r.name === role);
    const preferred = Object.keys(definition?.tables ?? {}).map((t) => `all${pascal(t)}`);
    return {
      headers: { Authorization: `Bearer ${token}` },
      query: `# ${describe(persona)}\n${(schema && exampleQuery(schema, preferred)) ?? "{ __typename }"}\n`,
    };
  };
}

/**
 * The console's development extras: sign in as any persona of the config (a development token, as `gatehouse token`
 * signs), and, on the demo's own embedded cluster (whose owner is a superuser) with the tools on, explain, the matrix
 * and the review on the owner's connection, with `gatehouse check`'s whole drift (elsewhere the server's own
 * authenticator tools answer, as in production).
 */
function consoleDemo(
  config: GatehouseConfig,
  db: ProjectDatabase,
  tools: boolean,
): { consoleDemo: ConsoleDemo; consoleTools?: ConsoleTools } {
  const demo: ConsoleDemo = {
    personas: config.personas ?? [],
    token: async (username) =>
      config.personas?.some((p) => p.username === username)
        ? (await devToken(config, { user: username, expires: DEMO_TOKEN_LIFETIME }, process.env)).token
        : undefined,
  };
  if (!tools || !db.embedded) return { consoleDemo: demo };
  return {
    consoleDemo: demo,
    consoleTools: ownerConsoleTools(config.app, db.url, config.alerts ? { alerts: config.alerts } : {}),
  };
}

async function writePersonas(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

const redacted = (url: string) => {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.href;
};
