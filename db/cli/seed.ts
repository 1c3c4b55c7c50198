import type { ClientBase } from "pg";
import type { GatehouseConfig } from "../config";
import { createRoleBoundLogin, loginName } from "../runtime/logins";
import { withClient } from "../runtime/client";

/** What {@link seedProject} did. */
export interface SeedOutcome {
  /** The demo data was loaded (the database held none). */
  readonly seeded: boolean;
  /** Demo logins created now, by username. */
  readonly loginsCreated: readonly string[];
  /** Demo logins left alone, each with the reason. */
  readonly loginsSkipped: readonly { readonly username: string; readonly reason: string }[];
}

/**
 * Seeds the demo data when the database holds none. Creates the demo's role-bound logins (with their demo
 * passwords) only where `demoCredentials` says the database is the demo's own embedded cluster, and only
 * logins that do not exist yet: an existing login's password and mapping are never changed, and no demo
 * password is ever set on another database.
 *
 * @example
 * await seedProject(config, url, { demoCredentials: db.embedded }); // { seeded: true, loginsCreated: ["eve"], loginsSkipped: [] }
 */
export async function seedProject(
  config: GatehouseConfig,
  url: string,
  options: { demoCredentials: boolean },
): Promise<SeedOutcome> {
  const seed = config.seed;
  if (!seed) throw new Error("the config has no seed: add seed: { isSeeded, run } to defineConfig(...)");
  return withClient(url, async (client) => {
    const seeded = !(await seed.isSeeded(client));
    if (seeded) await seed.run(client);
    const loginsCreated: string[] = [];
    const loginsSkipped: { username: string; reason: string }[] = [];
    for (const login of seed.logins ?? []) {
      const persona = config.personas?.find((p) => p.username === login.username);
      if (!persona) throw new Error(`seed login ${login.username}: no persona with that username in config.personas`);
      const name = loginName(config.app, login.username);
      if (!options.demoCredentials) {
        loginsSkipped.push({
          username: login.username,
          reason: `demo passwords are set only in the demo's embedded cluster, not through DATABASE_URL; create ${name} with a password of your own`,
        });
      } else if (await roleExists(client, name)) {
        loginsSkipped.push({ username: login.username, reason: `${name} exists; its password and mapping are left as they are` });
      } else {
        await createRoleBoundLogin(client, config.app, {
          username: login.username,
          userId: persona.id,
          role: login.role,
          password: login.password,
        });
        loginsCreated.push(login.username);
      }
    }
    return { seeded, loginsCreated, loginsSkipped };
  });
}

async function roleExists(client: ClientBase, name: string): Promise<boolean> {
  return ((await client.query("select 1 from pg_catalog.pg_roles where rolname = $1", [name])).rowCount ?? 0) > 0;
}
