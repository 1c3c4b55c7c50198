import { graphql } from "../api";
import { cellText, dataTable, h, labelled, statusLine } from "../dom";
import type { RoleSchema } from "../schema";
import { pickerHint, readableUsers, userPicker, type UsersSource } from "../user-picker";

type Change = {
  readonly userId: string;
  readonly role: string;
  readonly tableName: string;
  readonly rowKey: string;
  readonly change: string;
};

/**
 * Offboarding: preview who gains and who loses access when a user leaves (`offboardingPreview`, which changes
 * nothing), then confirm with a reason (`offboardUser`): the user is frozen at once, their rows go to the successor.
 * Both are picked among the users the signed-in user may read.
 *
 * @example
 * main.replaceChildren(await offboardingPage(schema, users));
 */
export async function offboardingPage(schema: RoleSchema, users: UsersSource | null): Promise<HTMLElement> {
  const status = statusLine();
  const readable = await readableUsers(schema, users);
  const target = userPicker("target", readable, { optional: false });
  const successor = userPicker("successor", readable, { optional: true });
  const outcome = h("div", { "aria-live": "polite" });
  const variables = () => ({ target: target.value, successor: successor.value || null });
  const confirm = (changes: readonly Change[]) => {
    const reason = h("input", { name: "reason", required: true, autocomplete: "off" });
    return h(
      "form",
      {
        class: "grid",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const { offboardUser } = await graphql<{ offboardUser: { result: unknown } }>(
              `
                mutation Offboard($target: BigInt!, $successor: BigInt, $reason: String!) {
                  offboardUser(input: { target: $target, successor: $successor, reason: $reason }) {
                    result
                  }
                }
              `,
              { ...variables(), reason: reason.value },
            );
            outcome.replaceChildren(
              h("h2", { tabindex: -1 }, `User ${target.value} is offboarded`),
              h("pre", {}, cellText(offboardUser.result)),
            );
            status.say(`Offboarded user ${target.value}: ${changes.length} change(s) as previewed`);
          } catch (error) {
            status.say((error as Error).message, "error");
          }
        },
      },
      labelled("Reason", reason, "Recorded in the audit trail."),
      h("button", { type: "submit", class: "danger" }, `Confirm: offboard user ${target.value}`),
    );
  };
  const preview = async (event: Event) => {
    event.preventDefault();
    try {
      const { offboardingPreview } = await graphql<{ offboardingPreview: { result: Change[] } }>(
        `
          mutation Preview($target: BigInt!, $successor: BigInt) {
            offboardingPreview(input: { target: $target, successor: $successor }) {
              result {
                userId
                role
                tableName
                rowKey
                change
              }
            }
          }
        `,
        variables(),
      );
      const changes = offboardingPreview.result;
      const count = (kind: string) => changes.filter((c) => c.change === kind).length;
      outcome.replaceChildren(
        h("h2", { tabindex: -1 }, `Preview: ${count("gains")} gained, ${count("loses")} lost`),
        dataTable("Who gains and who loses access", ["userId", "role", "tableName", "rowKey", "change"], changes),
        confirm(changes),
      );
      (outcome.querySelector("h2") as HTMLElement).focus();
    } catch (error) {
      status.say((error as Error).message, "error");
    }
  };
  return h(
    "div",
    {},
    h("h1", { tabindex: -1 }, "Offboarding"),
    status,
    h(
      "form",
      { class: "grid", onsubmit: (event) => void preview(event) },
      labelled(readable ? "User leaving" : "User id leaving", target, pickerHint(readable)),
      labelled(readable ? "Successor" : "Successor user id", successor, "Optional: who takes over their rows."),
      h("button", { type: "submit" }, "Preview"),
    ),
    outcome,
  );
}
