import type { GatehouseConfig } from "../config";
import { AUDIT } from "../compile/emit/audit";
import { verifyAuditLog } from "../runtime/audit";
import { withClient } from "../runtime/client";
import { sql, toDdl } from "../sql/ddl";

/** What `gatehouse audit verify` found: whether the chain is intact, and the line that says so. */
export interface AuditVerifyOutcome {
  readonly intact: boolean;
  readonly message: string;
}

/**
 * Walks the project's audit trail (as the database owner) and says whether its hash chain is intact, naming the
 * first broken link when it is not. Refuses an app without an audit trail and a database without one.
 *
 * @example
 * await verifyProjectAudit(config, db.url); // { intact: true, message: "audit log intact: 129 rows, last hash 3f2a…" }
 */
export async function verifyProjectAudit(config: GatehouseConfig, url: string): Promise<AuditVerifyOutcome> {
  const { app } = config;
  if (!app.audit) throw new Error("the app has no audit trail: add audit: { readers: [...] } to defineApp(...)");
  return withClient(url, async (client) => {
    const head = toDdl(sql.identifier(app.toolkitSchema, AUDIT.head));
    const { rows } = await client.query<{ found: boolean; db: string }>(
      "select pg_catalog.to_regclass($1) is not null as found, pg_catalog.current_database() as db",
      [head],
    );
    if (!rows[0]!.found) {
      throw new Error(`database "${rows[0]!.db}" has no hash-chained audit trail (${head}): run npx gatehouse migrate first`);
    }
    const result = await verifyAuditLog(client, app);
    if (result.intact) {
      return {
        intact: true,
        message: `audit log intact: ${result.rows} rows${result.lastHash ? `, last hash ${result.lastHash}` : ""}`,
      };
    }
    return { intact: false, message: `audit log broken at row ${result.id}: ${result.problem} (${result.detail})` };
  });
}
