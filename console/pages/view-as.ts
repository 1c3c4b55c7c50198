import { consoleApi } from "../api";
import { h, labelled, statusLine } from "../dom";
import { claimsOf, currentToken, endViewing, ownToken, startViewing } from "../session";

/** One user the signed-in user may view as, in one role (`GET /console/api/view-as`). */
export interface ViewAsTarget {
  readonly userId: string;
  readonly username: string;
  readonly role: string;
}

/**
 * The users the signed-in user may view as; empty when they may not (the server answers 403 for everyone whose role
 * says no `viewAs`, and for a view-as token).
 *
 * @example
 * const targets = await viewAsTargets(); // [{ userId: "5", username: "nurse_ben", role: "nurse" }, …]
 */
export async function viewAsTargets(): Promise<readonly ViewAsTarget[]> {
  return (await consoleApi<{ targets: ViewAsTarget[] }>("view-as").catch(() => ({ targets: [] }))).targets;
}

/**
 * "View as someone else": a user picker and a reason; on submit the server records the view (the database checks who
 * may, and audits it) and the console switches to the view-as token, read only, until "End".
 *
 * @example
 * section.append(viewAsForm(targets, () => location.reload()));
 */
export function viewAsForm(targets: readonly ViewAsTarget[], started: () => void): HTMLElement {
  const status = statusLine();
  const user = h(
    "select",
    { name: "target", required: true },
    targets.map((t, i) => h("option", { value: String(i) }, `${t.username} (${t.role})`)),
  );
  const reason = h("input", { name: "reason", required: true, autocomplete: "off" });
  return h(
    "section",
    { "aria-labelledby": "view-as-heading" },
    h("h2", { id: "view-as-heading" }, "View as someone else"),
    h("p", {}, "See the app exactly as they do, read only, for 15 minutes. Every view is recorded with its reason."),
    h(
      "form",
      {
        class: "inline",
        onsubmit: async (event) => {
          event.preventDefault();
          const target = targets[Number(user.value)]!;
          try {
            const { token } = await consoleApi<{ token: string }>("view-as", {
              userId: target.userId,
              role: target.role,
              reason: reason.value,
            });
            startViewing(token, `${target.username} (${target.role})`);
            started();
          } catch (error) {
            status.say((error as Error).message, "error");
          }
        },
      },
      labelled("User", user),
      labelled("Reason", reason, "Why you need to see what they see; kept in the audit trail."),
      h("button", { type: "submit" }, "View as"),
    ),
    status,
  );
}

/**
 * Ends the current view as someone else: asks the server, with the signed-in user's own token, to end the session in
 * the database (so the view-as token stops working at once, wherever a copy of it is), then returns to the own token.
 * The own token comes back even when the server cannot be reached: the view then ends when its time is up.
 *
 * @example
 * await endViewAs(); // back to "View as you"
 */
export async function endViewAs(): Promise<void> {
  const session = claimsOf(currentToken() ?? "").view_as;
  const own = ownToken();
  if (session && own)
    await fetch("/console/api/view-as", {
      method: "DELETE",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${own}` },
      body: JSON.stringify({ session }),
    }).catch(() => undefined);
  endViewing();
}
