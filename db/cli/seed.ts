import type { GatehouseConfig } from "../config";
import { createRoleBoundLogin } from "../runtime/logins";
import { withClient } from "../runtime/client";

/**
 * Seeds the demo data when the database holds none, then (re)creates the demo's role-bound logins.
 * Returns whether it seeded.
 *
 * @example
 * await seedProject(config, url); // true the first time, false after
 */
export async function seedProject(config: GatehouseConfig, url: string): Promise<boolean> {
  const seed = config.seed;
  if (!seed) throw new Error("gatehouse.config.ts has no seed: add seed: { isSeeded, run }");
  return withClient(url, async (client) => {
    const seeded = !(await seed.isSeeded(client));
    if (seeded) await seed.run(client);
    for (const login of seed.logins ?? []) {
      const persona = config.personas?.find((p) => p.username === login.username);
      if (!persona) throw new Error(`seed login ${login.username}: no persona with that username in config.personas`);
      await createRoleBoundLogin(client, config.app, {
        username: login.username,
        userId: persona.id,
        role: login.role,
        password: login.password,
      });
    }
    return seeded;
  });
}
