import { graphql } from "../api";
import { dataTable, h, labelled, statusLine, type StatusLine } from "../dom";
import type { RoleSchema } from "../schema";
import { grantableUsers, pickerHint, readableUsers, userPicker, type PickableUser, type UsersSource } from "../user-picker";

const DAY = 86_400_000;
/** Grants ending within this many days are flagged as expiring. */
const EXPIRING_DAYS = 7;

/**
 * Temporary access: the grants the signed-in user may see (active first, those expiring within a week flagged),
 * a form to grant access to one row until a date with a reason (`grantAccess`), the grantee picked among the users
 * the signed-in user may read, else among those `grantableUsers` says they may grant to (else typed as an id), and
 * revoke (`revokeAccess`). The database decides who may grant what; its refusal is
 * shown as it comes.
 *
 * @example
 * main.replaceChildren(await grantsPage(schema, users, rerender));
 */
export async function grantsPage(
  schema: RoleSchema,
  users: UsersSource | null,
  rerender: (notice?: string) => void,
): Promise<HTMLElement> {
  const status = statusLine();
  const list = schema.lists.find((l) => l.field === "allAccessGrants");
  const grants = list
    ? (
        await graphql<{ allAccessGrants: { nodes: Record<string, unknown>[] } }>(
          `{ allAccessGrants(first: 500) { nodes { ${list.columns.join(" ")} } } }`,
        )
      ).allAccessGrants.nodes
    : [];
  const now = Date.now();
  const state = (g: Record<string, unknown>) => {
    const left = (Date.parse(String(g.expiresAt)) - now) / DAY;
    return left <= 0
      ? "expired"
      : left <= EXPIRING_DAYS
        ? `expiring in ${Math.ceil(left)} day${Math.ceil(left) === 1 ? "" : "s"}`
        : "active";
  };
  const sorted = grants
    .map((g): Record<string, unknown> => ({ state: state(g), ...g }))
    .sort(
      (a, b) =>
        Number(a.state === "expired") - Number(b.state === "expired") || String(a.expiresAt).localeCompare(String(b.expiresAt)),
    );
  const revoke = async (id: unknown) => {
    try {
      await graphql(
        `
          mutation Revoke($id: BigInt!) {
            revokeAccess(input: { grantId: $id }) {
              clientMutationId
            }
          }
        `,
        { id },
      );
      rerender(`Revoked grant ${String(id)}`);
    } catch (error) {
      status.say((error as Error).message, "error");
    }
  };
  return h(
    "div",
    {},
    h("h1", { tabindex: -1 }, "Temporary access"),
    status,
    schema.mutations.has("grantAccess")
      ? grantForm(schema, await granteeChoices(schema, users), status, rerender)
      : h("p", {}, "Your role may not grant access."),
    list
      ? dataTable(
          `Temporary grants you can see: ${sorted.filter((g) => g.state !== "expired").length} live`,
          ["state", ...list.columns],
          sorted,
          schema.mutations.has("revokeAccess")
            ? {
                heading: "Revoke",
                cells: (g) =>
                  g.state === "expired"
                    ? []
                    : [h("button", { type: "button", onclick: () => void revoke(g.rowId) }, `Revoke grant ${String(g.rowId)}`)],
              }
            : undefined,
        )
      : h("p", {}, "Your role may not list temporary grants."),
  );
}

/** Whom the grantee picker offers, and its hint: the users the role may read, else those it may grant to, else neither (an id). */
interface GranteeChoices {
  readonly users: PickableUser[] | undefined;
  readonly hint: string;
}

async function granteeChoices(schema: RoleSchema, source: UsersSource | null): Promise<GranteeChoices> {
  const readable = await readableUsers(schema, source);
  if (readable) return { users: readable, hint: pickerHint(readable) };
  const grantable = await grantableUsers(schema);
  return {
    users: grantable,
    hint: pickerHint(grantable, "The users you may grant to: active users the database would accept, by the same rules."),
  };
}

function grantForm(
  schema: RoleSchema,
  { users, hint }: GranteeChoices,
  status: StatusLine,
  rerender: (notice?: string) => void,
): HTMLElement {
  const tables = h(
    "datalist",
    { id: "grant-tables" },
    schema.lists.map((l) => h("option", { value: l.table })),
  );
  const table = h("input", { name: "table", list: "grant-tables", required: true, autocomplete: "off" });
  const row = h("input", { name: "row", inputmode: "numeric", pattern: "[0-9]+", required: true });
  const grantee = userPicker("grantee", users, { optional: false });
  const privilege = h(
    "select",
    { name: "privilege" },
    h("option", { value: "select" }, "read (select)"),
    h("option", { value: "update" }, "read and edit (update)"),
  );
  const until = h("input", { name: "until", type: "date", required: true });
  until.value = new Date(Date.now() + EXPIRING_DAYS * DAY).toISOString().slice(0, 10);
  const reason = h("input", { name: "reason", required: true, autocomplete: "off" });
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const { grantAccess } = await graphql<{ grantAccess: { result: { rowId: string } } }>(
        `
          mutation Grant(
            $table: String!
            $row: BigInt!
            $grantee: BigInt!
            $privilege: String!
            $until: Datetime!
            $reason: String!
          ) {
            grantAccess(
              input: {
                tableName: $table
                rowId: $row
                granteeId: $grantee
                privilege: $privilege
                expiresAt: $until
                reason: $reason
              }
            ) {
              result {
                rowId
              }
            }
          }
        `,
        {
          table: table.value.trim(),
          row: row.value,
          grantee: grantee.value,
          privilege: privilege.value,
          until: new Date(`${until.value}T23:59:59`).toISOString(),
          reason: reason.value,
        },
      );
      rerender(`Granted: grant ${grantAccess.result.rowId}`);
    } catch (error) {
      status.say((error as Error).message, "error");
    }
  };
  return h(
    "form",
    { class: "grid", onsubmit: (event) => void submit(event), "aria-labelledby": "grant-heading" },
    h("h2", { id: "grant-heading" }, "Grant access to one row"),
    tables,
    labelled("Table", table),
    labelled("Row id", row),
    labelled(users ? "Grantee" : "Grantee user id", grantee, hint),
    labelled("Privilege", privilege),
    labelled("Until", until, "At most 30 days from now; the grant ends at the end of that day."),
    labelled("Reason", reason, "Recorded with the grant and in the audit trail."),
    h("button", { type: "submit" }, "Grant access"),
  );
}
