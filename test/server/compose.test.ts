/**
 * There is no Docker engine here: docker-compose.yml is checked by reading it. Its services, networks, ports
 * and the server's environment must agree with the server's own configuration (server/config.ts).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { roleName } from "../../db";
import { crm } from "../../db/crm/roles";
import { DEFAULT_PORT, loadServerConfig, SERVER_ENV } from "../../server";

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync("docker-compose.yml", "utf8")) as {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean }>;
};
const { db, migrate, server } = compose.services as Record<"db" | "migrate" | "server", Service>;

/** What `docker compose` would pass, with these variables set in the shell. */
const SHELL = {
  POSTGRES_PASSWORD: "pg-secret",
  AUTHENTICATOR_PASSWORD: "auth-secret",
  JWT_JWKS_URL: "https://idp.example.com/jwks.json",
  JWT_AUDIENCE: "gatehouse",
  JWT_ISSUER: "https://idp.example.com/",
};

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` interpolation; a missing required variable throws its message. */
function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const set = shell[name];
    if (set) return set;
    if (kind === "?") throw new Error(rest);
    return kind === "-" ? rest! : "";
  });
}
const environment = (service: Service, shell: Record<string, string> = SHELL) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), shell)]));

test("the compose file runs PostgreSQL 17, the migrations and the server", () => {
  expect(Object.keys(compose.services).sort()).toEqual(["db", "install", "migrate", "server"]);
  expect(db.image).toBe("postgres:17");
  expect(migrate.command).toEqual(["sh", "-c", "npx tsx server/cli.ts migrate && npx tsx server/cli.ts authenticator-password"]);
  expect(server.command).toEqual(["npx", "tsx", "server/main.ts"]);
  expect(migrate.depends_on).toEqual({
    db: { condition: "service_healthy" },
    install: { condition: "service_completed_successfully" },
  });
  expect(server.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" } });
});

test("the database is not reachable beyond the compose network: no published port, an internal network only", () => {
  expect(db.ports).toBeUndefined();
  expect(db.expose).toBeUndefined();
  expect(db.networks).toEqual(["backend"]);
  expect(compose.networks.backend).toEqual({ internal: true });
  const onBackend = Object.entries(compose.services)
    .filter(([, s]) => s.networks?.includes("backend"))
    .map(([name]) => name);
  expect(onBackend.sort()).toEqual(["db", "migrate", "server"]);
});

test("the server's environment is a valid production configuration, connecting to the db service as the authenticator", () => {
  const env = environment(server);
  expect(Object.keys(env).filter((k) => !(k in SERVER_ENV))).toEqual([]);
  const config = loadServerConfig(crm, env);
  expect(config.production).toBe(true);
  expect(config.ruru).toBe(false);
  const url = new URL(config.authenticatorUrl);
  expect([url.username, url.password, url.hostname, url.port, url.pathname]).toEqual([
    roleName(crm, crm.authenticator),
    "auth-secret",
    "db",
    "5432",
    `/${db.environment!.POSTGRES_DB}`,
  ]);
  expect(config.auth).toEqual({
    jwksUrl: SHELL.JWT_JWKS_URL,
    audience: SHELL.JWT_AUDIENCE,
    issuer: SHELL.JWT_ISSUER,
    maxLifetimeSeconds: 86_400,
  });
});

test("the server publishes the port it listens on, on all interfaces of its container", () => {
  const config = loadServerConfig(crm, environment(server));
  expect([config.host, config.port]).toEqual(["0.0.0.0", DEFAULT_PORT]);
  expect(server.ports!.map((p) => interpolate(p, SHELL))).toEqual([`${DEFAULT_PORT}:${config.port}`]);
});

test("the migrations connect to the db service as its owner, and set the authenticator's password", () => {
  const env = environment(migrate);
  expect(new URL(env.DATABASE_URL!).hostname).toBe("db");
  expect(new URL(env.DATABASE_URL!).pathname).toBe(`/${db.environment!.POSTGRES_DB}`);
  expect(env.AUTHENTICATOR_PASSWORD).toBe(environment(server).AUTHENTICATOR_DATABASE_URL!.match(/:([^:@]+)@/)![1]);
});

test.each(["POSTGRES_PASSWORD", "AUTHENTICATOR_PASSWORD", "JWT_JWKS_URL", "JWT_AUDIENCE", "JWT_ISSUER"])(
  "compose refuses to start without %s",
  (name) => {
    const shell: Record<string, string> = { ...SHELL };
    delete shell[name];
    expect(() => Object.values(compose.services).forEach((s) => environment(s, shell))).toThrow(/^set /);
  },
);
