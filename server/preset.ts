import "./polyfill";
import type { IncomingMessage } from "node:http";
import type { Pool } from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import type { Identity, ViewAsActor } from "./auth";
import { makeMaskError, type ErrorLog } from "./errors";
import { columnLabelPlugin, hiddenFieldRules, type FieldIndex } from "./hidden-fields";
import { maxDepthRule, maxFieldsRule, maxOperationsRule, type Limits } from "./limits";
import { ruruExamplePlugin, type RuruExampleLookup } from "./ruru-example";
import { rowMaskPlugin } from "./row-masks";
import { softDeletePlugin } from "./soft-delete";
import { surviveLostConnections, unavailablePlugin } from "./unavailable";
import { VIEW_AS, type AppDefinition } from "../db";

/** Everything one role's PostGraphile instance needs. */
export interface RolePresetOptions {
  /** The app's schema, the only one exposed (never the toolkit schema). */
  readonly schema: string;
  /** Pool logged in as the authenticator; shared by every role, ended by the server. */
  readonly pool: Pool;
  /** Prefixed database role whose view of the database this schema is built from. */
  readonly role: string;
  readonly limits: Limits;
  /** Serve Ruru (GraphiQL) at /graphiql. */
  readonly ruru: boolean;
  /** With `ruru`: what `/graphiql?as=<username>` opens with (development). */
  readonly ruruExample?: RuruExampleLookup;
  /** The identity the HTTP layer verified for a request. */
  readonly identityOf: (req: IncomingMessage) => Identity | undefined;
  /** Filled with the fields of every role's schema as they are built, to tell "hidden from you" from "no such field". */
  readonly allFields?: FieldIndex;
  readonly log?: ErrorLog;
  /** The app, for the operations the schema plans itself (soft delete). */
  readonly app?: AppDefinition;
}

/**
 * The PostGraphile preset of one role: amber, the app schema only, introspected *as that role* (so
 * PostGraphile's RBAC plugin leaves out the tables, columns and mutations the role holds no privilege on),
 * the request's role and claims as transaction-local settings, a statement timeout, error masking, the
 * depth / operation-count limits, and 503 while the database is unavailable.
 *
 * @example
 * const pgl = postgraphile(rolePreset({ schema: "clinic", pool, role: "clinic_nurse", limits: DEFAULT_LIMITS, ruru: false, identityOf }));
 */
export function rolePreset(options: RolePresetOptions): GraphileConfig.Preset {
  const { role, limits } = options;
  return {
    extends: [PostGraphileAmberPreset],
    pgServices: [
      makePgService({
        pool: surviveLostConnections(options.pool),
        schemas: [options.schema],
        pgSettingsForIntrospection: { role },
        pubsub: false,
      }),
    ],
    grafserv: {
      graphqlPath: "/graphql",
      graphiql: options.ruru,
      graphiqlPath: "/graphiql",
      graphiqlOnGraphQLGET: false,
      websockets: false,
      watch: false,
      maxRequestLength: limits.maxBodyBytes,
      maskError: makeMaskError(options.log),
    },
    grafast: {
      explain: false,
      context(requestContext) {
        const req = requestContext.node?.req;
        const identity = req ? options.identityOf(req) : undefined;
        if (!identity || identity.role !== role)
          throw Object.assign(new Error("request reached the schema of another role"), { statusCode: 500 });
        return { pgSettings: pgSettingsOf(identity, limits) };
      },
    },
    plugins: [
      RowIdColumnPlugin,
      UnreadableKeyPlugin,
      unavailablePlugin,
      limitsPlugin(limits, options.allFields),
      ...(options.allFields ? [columnLabelPlugin(options.allFields.labels)] : []),
      ...(options.ruru && options.ruruExample ? [ruruExamplePlugin(options.ruruExample)] : []),
      ...(options.app?.softDeletes?.length ? [softDeletePlugin(options.app)] : []),
      ...(options.app ? [rowMaskPlugin(options.app, role)] : []),
    ],
  };
}

/**
 * The transaction-local settings of a request: the role (PostGraphile runs `set local role`), the user id
 * and channel claims the database helpers trust from the authenticator, and the statement timeout.
 *
 * @example
 * pgSettingsOf({ role: "clinic_doctor", userId: "4", channel: null }, limits);
 * // { role: "clinic_doctor", "jwt.claims.user_id": "4", statement_timeout: "5000" }
 * pgSettingsOf({ role: "clinic_nurse", userId: "5", channel: null, actor: { userId: "1", role: "clinic_admin", session: "7" } }, limits);
 * // { …, transaction_read_only: "on", "jwt.claims.view_as": "7", "jwt.claims.actor_id": "1", … }
 */
export function pgSettingsOf(identity: Identity, limits: Limits): Record<string, string> {
  return {
    role: identity.role,
    ...(identity.userId !== null ? { "jwt.claims.user_id": identity.userId } : {}),
    ...(identity.channel !== null ? { "jwt.claims.channel": identity.channel } : {}),
    ...(identity.actor ? viewAsSettings(identity.actor) : {}),
    statement_timeout: String(limits.statementTimeoutMs),
  };
}

/**
 * A view-as request runs read only, enforced by PostgreSQL (a write fails with 25006, and the transaction cannot be
 * made read-write again once it has run a query), with the session the identity helper checks on every statement and
 * the viewer's own user id.
 */
const viewAsSettings = (actor: ViewAsActor): Record<string, string> => ({
  transaction_read_only: "on",
  [VIEW_AS.claim]: actor.session,
  [VIEW_AS.actorClaim]: actor.userId,
});

/**
 * Amber names a table's `id` column `rowId` (`id` is the global node id). A table that also has a column
 * named `row_id` (clinic.access_grants) would get two `rowId` fields and lose its type: such a column becomes
 * `rowIdColumn` instead, unless a `@name` smart comment names it.
 */
const RowIdColumnPlugin: GraphileConfig.Plugin = {
  name: "GatehouseRowIdColumnPlugin",
  version: "1.0.0",
  inflection: {
    replace: {
      _attributeName(previous, _options, details) {
        const name = previous!(details);
        const { attributeName, codec, skipRowId } = details;
        const collides =
          !skipRowId &&
          attributeName.toLowerCase() === "row_id" &&
          !codec.attributes[attributeName]?.extensions?.tags?.name &&
          Object.keys(codec.attributes).some((a) => a.toLowerCase() === "id");
        return collides ? this.coerceToGraphQLName(`${attributeName}_column`) : name;
      },
    },
  },
};

type Codec = { attributes?: Record<string, { extensions?: { canSelect?: boolean } }> };
const unreadable = (codec: Codec, attributes: readonly string[]) =>
  attributes.some((a) => codec.attributes?.[a]?.extensions?.canSelect === false);

/**
 * A role that may read some columns of a table but not its key (a nurse who reads four patient columns,
 * not `id`) sees the table without that key: no global node id, no lookups and no ordering by it (PostGraphile
 * orders every list by the primary key), which would only fail with 42501.
 */
const UnreadableKeyPlugin: GraphileConfig.Plugin = {
  name: "GatehouseUnreadableKeyPlugin",
  version: "1.0.0",
  after: ["PgRBACPlugin"],
  gather: {
    hooks: {
      pgTables_PgResourceOptions(_info, event) {
        const { resourceOptions } = event;
        if (resourceOptions.uniques)
          resourceOptions.uniques = resourceOptions.uniques.filter(
            (u) => !unreadable(resourceOptions.codec as Codec, u.attributes),
          );
      },
    },
  },
};

function limitsPlugin(limits: Limits, allFields: FieldIndex | undefined): GraphileConfig.Plugin {
  return {
    name: "GatehouseLimitsPlugin",
    version: "1.0.0",
    description: "query depth and operation count limits; fields hidden from the role reported as FORBIDDEN",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          if (allFields)
            event.validationRules.splice(0, event.validationRules.length, ...hiddenFieldRules(event.validationRules, allFields));
          event.validationRules.push(
            maxOperationsRule(limits.maxOperations),
            maxDepthRule(limits.maxDepth),
            maxFieldsRule(limits.maxFields),
          );
          return next();
        },
      },
    },
  };
}
