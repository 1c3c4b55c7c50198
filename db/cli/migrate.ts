import { migrate, watch, type Settings } from "graphile-migrate";
import type { GatehouseConfig } from "../config";

/**
 * Applies the committed migrations, then `migrations/current.sql` (which includes the generated
 * fixture), with graphile-migrate.
 *
 * @example
 * await migrateProject(config, { url, rootUrl });
 */
export async function migrateProject(
  config: GatehouseConfig,
  db: { url: string; rootUrl: string },
  options: { current?: boolean } = {},
): Promise<void> {
  const settings: Settings = {
    connectionString: db.url,
    rootConnectionString: db.rootUrl,
    migrationsFolder: config.migrationsFolder,
  };
  await migrate(settings);
  if (options.current ?? true) await watch(settings, true);
}
