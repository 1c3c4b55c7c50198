import { Logger, migrate, watch, type Settings } from "graphile-migrate";
import type { GatehouseConfig } from "../config";

/**
 * Applies the committed migrations, then `migrations/current.sql` (which includes the generated
 * fixture), with graphile-migrate. `quiet` keeps only its warnings and errors (the demo's start screen).
 *
 * @example
 * await migrateProject(config, { url, rootUrl });
 */
export async function migrateProject(
  config: GatehouseConfig,
  db: { url: string; rootUrl: string },
  options: { current?: boolean; quiet?: boolean } = {},
): Promise<void> {
  const settings: Settings = {
    connectionString: db.url,
    rootConnectionString: db.rootUrl,
    migrationsFolder: config.migrationsFolder,
    ...(options.quiet ? { logger: warningsOnly } : {}),
  };
  await migrate(settings);
  if (options.current ?? true) await watch(settings, true);
}

const warningsOnly = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(message);
});
