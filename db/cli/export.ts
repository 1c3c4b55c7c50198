import { createHash, randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Presets, SingleBar } from "cli-progress";
import { stringify } from "csv-stringify/sync";
import { Client, types, type ClientBase, type CustomTypesConfig } from "pg";
import { EXPORTS, EXPORT_FORMATS } from "../compile/emit/exports";
import { roleName } from "../compile/names";
import type { GatehouseConfig } from "../config";
import { didYouMean } from "../policy/suggest";
import { withClient } from "../runtime/client";
import { explainConnectionError } from "../runtime/connection-errors";
import { sql, toDdl } from "../sql/ddl";
import { authenticatorUrl } from "./authenticator";
import type { ProjectDatabase } from "./database";
import { findUser, type IdentityUser } from "./identity-user";

/** A file format `gatehouse export` writes. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What `gatehouse export` was asked for. */
export interface ExportRequest {
  readonly view: string;
  /** The username the export runs as; its rules apply. */
  readonly as: string;
  /** Unprefixed app role, needed when the user holds several. */
  readonly role?: string;
  /** The request channel claim, as the API would set it (e.g. `mobile`). */
  readonly channel?: string;
  readonly format: ExportFormat;
  readonly out: string;
}

/** A finished export: the file is in place and the export is recorded. */
export interface ExportOutcome {
  readonly id: number;
  readonly view: string;
  readonly username: string;
  readonly role: string;
  readonly rows: number;
  readonly file: string;
  readonly sha256: string;
}

/** Rows fetched from the cursor at a time: what the export holds in memory, whatever the view's size. */
export const EXPORT_BATCH = 10_000;

const CURSOR = "gatehouse_export";

/**
 * Values as the database writes them (dates, times, numerics exactly as PostgreSQL prints them, with no time
 * zone of this machine applied); booleans, integers that fit a JavaScript number, floats and json parsed.
 */
const exportTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    const { builtins } = types;
    if (format === "binary") return types.getTypeParser(oid, "binary");
    if (oid === builtins.INT8) return (value: string) => (Number.isSafeInteger(Number(value)) ? Number(value) : value);
    if (
      [builtins.BOOL, builtins.INT2, builtins.INT4, builtins.FLOAT4, builtins.FLOAT8, builtins.JSON, builtins.JSONB].includes(oid)
    )
      return types.getTypeParser(oid, "text");
    return (value: string) => value;
  }) as CustomTypesConfig["getTypeParser"],
};

/** Thrown when the export was interrupted (Ctrl-C): nothing was written or recorded. */
export class ExportInterrupted extends Error {
  constructor() {
    super("export interrupted: nothing written, nothing recorded");
    this.name = "ExportInterrupted";
  }
}

/**
 * Exports a masking view as one user, under exactly the rules the API applies to them: two connections as the
 * app's authenticator, each in a transaction with `set local role <prefix><role>` and the user's claims. One reads:
 * repeatable read, read only — a count, then a cursor over the view fetched {@link EXPORT_BATCH} rows at a time,
 * so the rows written are the rows counted. The other records (read committed, so the audit trail's chain head is
 * never a serialization failure after a long read): `export_start` checks the role, the channel and the daily
 * quota before a row is written, `export_finish` records the rows and the file's sha256 in the audit trail. The
 * file is written beside `out` under a temporary name and renamed over it only after the record commits; on any
 * failure, or when `signal` aborts (Ctrl-C), both transactions roll back and the temporary file is removed.
 *
 * @example
 * const outcome = await exportView(config, db, { view: "research_export", as: "eve", format: "csv", out: "out.csv" });
 * console.log(`${outcome.rows} rows, sha256 ${outcome.sha256}`);
 */
export async function exportView(
  config: GatehouseConfig,
  db: ProjectDatabase,
  request: ExportRequest,
  options: { signal?: AbortSignal; progress?: boolean } = {},
): Promise<ExportOutcome> {
  const { app } = config;
  const view = app.views.find((v) => v.name === request.view);
  if (!view)
    throw new Error(
      `no view "${request.view}" to export${didYouMean(
        request.view,
        app.views.map((v) => v.name),
      )}; the views are ${app.views.map((v) => v.name).join(", ") || "none"}`,
    );
  if (!EXPORT_FORMATS.includes(request.format))
    throw new Error(`no export format "${request.format}"; the formats are ${EXPORT_FORMATS.join(", ")}`);
  const user = await withClient(db.url, (owner) => exportingUser(owner, config, request.as));
  const role = pickRole(config, user, request.role);
  const exporters = view.roles.map((r) => r.name);
  if (!exporters.includes(role))
    throw new Error(
      `${user.username} acts as ${role}, which may not export ${view.name}: only ${exporters.join(", ")} may` +
        (user.roles.some((r) => exporters.includes(r)) ? ` (pass --role ${user.roles.find((r) => exporters.includes(r))})` : ""),
    );

  const url = await authenticatorUrl(config, db, {
    who: "gatehouse export",
    otherwise: `set AUTHENTICATOR_DATABASE_URL to a URL that logs in as ${roleName(app, app.authenticator)}`,
  });
  const reader = new Client({ connectionString: url, types: exportTypes });
  const recorder = new Client({ connectionString: url });
  const out = path.resolve(request.out);
  const temporary = path.join(path.dirname(out), `.${path.basename(out)}.${randomBytes(6).toString("hex")}.partial`);
  let file: FileHandle | undefined;
  let bar: SingleBar | undefined;
  const stopped = () => {
    if (options.signal?.aborted) throw new ExportInterrupted();
  };
  try {
    for (const client of [reader, recorder])
      await client.connect().catch((error: unknown) => {
        throw explainConnectionError(
          error,
          "the authenticator's URL (AUTHENTICATOR_DATABASE_URL or AUTHENTICATOR_PASSWORD)",
          url,
        );
      });
    const actAs = async (client: Client, begin: string) => {
      await client.query(begin);
      await client.query(toDdl(sql`set local role ${sql.identifier(roleName(app, role))}`));
      await client.query("select set_config('jwt.claims.user_id', $1, true), set_config('jwt.claims.channel', $2, true)", [
        String(user.id),
        request.channel ?? null,
      ]);
    };
    await actAs(reader, "begin isolation level repeatable read read only");
    await actAs(recorder, "begin");
    const source = toDdl(sql`select * from ${sql.identifier(app.schema, view.name)}`);
    const counted = Number((await reader.query<{ n: string }>(`select count(*) as n from (${source}) v`)).rows[0]!.n);
    const started = await recorder.query<{ id: string }>(
      toDdl(sql`select ${sql.identifier(app.toolkitSchema, EXPORTS.start)}($1, $2, $3) as id`),
      [view.name, request.format, counted],
    );
    const id = Number(started.rows[0]!.id);
    stopped();

    file = await open(temporary, "wx", 0o600);
    const hash = createHash("sha256");
    const write = async (text: string) => {
      hash.update(text);
      await file!.write(text);
    };
    if (options.progress) {
      bar = new SingleBar({ format: `${view.name} {bar} {value}/{total} rows`, hideCursor: true }, Presets.shades_classic);
      bar.start(counted, 0);
    }
    await reader.query(`declare ${CURSOR} no scroll cursor for ${source}`);
    let written = 0;
    for (;;) {
      stopped();
      const batch = await reader.query(`fetch ${EXPORT_BATCH} from ${CURSOR}`);
      const columns = batch.fields.map((f) => f.name);
      if (request.format === "csv") {
        if (written === 0) await write(stringify([columns]));
        if (batch.rows.length) await write(stringify(batch.rows, { columns, cast: { boolean: (b) => String(b) } }));
      } else if (batch.rows.length) {
        await write(batch.rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
      }
      written += batch.rows.length;
      bar?.update(written);
      if (batch.rows.length < EXPORT_BATCH) break;
    }
    if (written !== counted) throw new Error(`${view.name} gave ${written} rows, but counted ${counted} in the same snapshot`);
    await file.sync();
    await file.close();
    file = undefined;
    const sha256 = hash.digest("hex");
    stopped();
    await reader.query("commit");
    await recorder.query(toDdl(sql`select ${sql.identifier(app.toolkitSchema, EXPORTS.finish)}($1, $2, $3)`), [
      id,
      written,
      sha256,
    ]);
    await recorder.query("commit");
    await rename(temporary, out);
    return { id, view: view.name, username: user.username, role, rows: written, file: request.out, sha256 };
  } catch (error) {
    await file?.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    throw error;
  } finally {
    bar?.stop();
    // ending a connection mid-transaction rolls it back
    await Promise.all([reader.end().catch(() => {}), recorder.end().catch(() => {})]);
  }
}

/** The user named `username`, with only the app's roles. */
async function exportingUser(owner: ClientBase, config: GatehouseConfig, username: string): Promise<IdentityUser> {
  const user = await findUser(owner, config.app, { username });
  const appRoles = new Set(config.app.roles.map((r) => r.name));
  return { ...user, roles: user.roles.filter((r) => appRoles.has(r)) };
}

/** The user's only app role, or `wanted` when they hold it. */
function pickRole(config: GatehouseConfig, user: IdentityUser, wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (!config.app.roles.some((r) => r.name === wanted))
      throw new Error(
        `no app role "${wanted}"${didYouMean(
          wanted,
          config.app.roles.map((r) => r.name),
        )}`,
      );
    if (!user.roles.includes(wanted))
      throw new Error(`${user.username} does not hold ${wanted}; they hold ${user.roles.join(", ") || "no app role"}`);
    return wanted;
  }
  if (user.roles.length === 0) throw new Error(`${user.username} holds no app role, so they can export nothing`);
  if (user.roles.length > 1)
    throw new Error(
      `${user.username} holds several roles (${user.roles.join(", ")}): pass --role <role> to say which one exports`,
    );
  return user.roles[0]!;
}
