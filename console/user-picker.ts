import { graphql } from "./api";
import { h } from "./dom";
import type { RoleSchema } from "./schema";

/** Where the identity users are (`GET /console/api/tools`): the table and its columns, as the database names them. */
export interface UsersSource {
  readonly table: string;
  readonly username?: string;
  readonly status: string;
  readonly activeStatus: string;
}

/** A user the signed-in user may read, as a picker offers them. */
export interface PickableUser {
  readonly id: string;
  readonly label: string;
}

/** A column of the database as the GraphQL schema names it: `full_name` → `fullName`. */
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Columns that read as a person's name, in the order a label prefers them. */
const NAME_COLUMNS = ["fullName", "displayName", "name"];

/**
 * The users the signed-in user may read through GraphQL — their own role's list of the identity users table, under
 * row security — each labelled with their name and username (and status, when not active). Undefined when the role
 * may not list users at all: the picker then asks for an id.
 *
 * @example
 * const users = await readableUsers(schema, { table: "users", username: "username", status: "status", activeStatus: "active" });
 * users?.[0]; // { id: "4", label: "Ada Lovelace (dr_ada)" }
 */
export async function readableUsers(schema: RoleSchema, source: UsersSource | null): Promise<PickableUser[] | undefined> {
  const list = source && schema.lists.find((l) => l.table === source.table);
  if (!source || !list || !list.columns.includes("rowId")) return undefined;
  const username = source.username && list.columns.includes(camel(source.username)) ? camel(source.username) : undefined;
  const name = NAME_COLUMNS.find((c) => list.columns.includes(c));
  const status = list.columns.includes(camel(source.status)) ? camel(source.status) : undefined;
  const columns = ["rowId", username, name, status].filter((c): c is string => c !== undefined);
  const data = await graphql<Record<string, { nodes: Record<string, unknown>[] }>>(
    `{ ${list.field}(first: 1000${list.orderByRowId ? ", orderBy: ROW_ID_ASC" : ""}) { nodes { ${columns.join(" ")} } } }`,
  ).catch(() => undefined);
  if (!data) return undefined;
  return data[list.field]!.nodes.map((u) => {
    const id = String(u.rowId);
    const who =
      name && u[name] ? `${String(u[name])}${username ? ` (${String(u[username])})` : ""}` : username ? String(u[username]) : "";
    const inactive = status && u[status] !== source.activeStatus ? `, ${String(u[status])}` : "";
    return { id, label: `${who || "user"} — user ${id}${inactive}` };
  });
}

/**
 * The users the signed-in user may grant temporary access to, when their role's schema offers `grantableUsers` (the
 * toolkit's listing, made by the same rules the database grants by): the id and username of each, labelled
 * "username — user N", in the order the database gives them. Undefined when the role has no such query.
 *
 * @example
 * const users = await grantableUsers(schema);
 * users?.[0]; // { id: "8", label: "dr_ada — user 8" }
 */
export async function grantableUsers(schema: RoleSchema): Promise<PickableUser[] | undefined> {
  if (!schema.queries.has("grantableUsers")) return undefined;
  const data = await graphql<{ grantableUsers: { nodes: { id: unknown; username: unknown }[] } }>(
    "{ grantableUsers(first: 1000) { nodes { id username } } }",
  ).catch(() => undefined);
  return data?.grantableUsers.nodes.map((u) => ({ id: String(u.id), label: `${String(u.username)} — user ${String(u.id)}` }));
}

/**
 * A control that picks a user: a `<select>` of the users the signed-in user may read (a native control: labelled by
 * its `<label>`, usable with the keyboard and on a phone), or, when the role may not list users, a field for the id.
 * Its `value` is the user's id either way; `optional` adds a first choice for nobody.
 *
 * @example
 * labelled("Grantee", userPicker("grantee", await readableUsers(schema, source), { optional: false }));
 */
export function userPicker(
  name: string,
  users: readonly PickableUser[] | undefined,
  options: { optional: boolean },
): HTMLSelectElement | HTMLInputElement {
  if (!users)
    return h("input", { name, inputmode: "numeric", pattern: "[0-9]+", required: !options.optional, autocomplete: "off" });
  return h(
    "select",
    { name, required: !options.optional },
    h("option", { value: "" }, options.optional ? "nobody" : "choose a user"),
    users.map((u) => h("option", { value: u.id }, u.label)),
  );
}

/** The hint beside a {@link userPicker}: what it lists (`listed`: the users your role may read, by default), or why it asks for an id. */
export const pickerHint = (users: readonly PickableUser[] | undefined, listed = "The users your role may read."): string =>
  users ? listed : "Your role may not list users, so type the user's id (the database still decides who may be given access).";
