import { ApiError, consoleApi } from "../api";
import { h, labelled, statusLine } from "../dom";
import { keepToken } from "../session";

/** A persona the development server offers (from the project's config). */
interface Persona {
  readonly username: string;
  readonly id: number;
  readonly roles: readonly string[];
  readonly unit: string | null;
  readonly note?: string;
}

/**
 * The sign-in page: in development on a loopback address, a button per persona (the server signs a development
 * token, as `gatehouse token` does); everywhere, a field to paste a token from the identity provider.
 *
 * @example
 * main.replaceChildren(await signInPage(() => (location.hash = "#/view")));
 */
export async function signInPage(signedIn: () => void, notice?: string): Promise<HTMLElement> {
  const status = statusLine();
  if (notice) status.say(notice, "error");
  const demo = await consoleApi<{ personas: Persona[] }>("demo").catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  });
  const tokenField = h("textarea", { name: "token", rows: 4, required: true, autocomplete: "off", spellcheck: "false" });
  const pasteForm = h(
    "form",
    {
      onsubmit: (event) => {
        event.preventDefault();
        keepToken(tokenField.value);
        signedIn();
      },
    },
    labelled("Token (JWT)", tokenField, "A bearer token for this API; it stays in this browser tab only."),
    h("button", { type: "submit" }, "Sign in with this token"),
  );
  const personas = demo
    ? h(
        "section",
        { "aria-labelledby": "personas-heading" },
        h("h2", { id: "personas-heading" }, "Sign in as a persona (development)"),
        h("p", {}, "Development mode on this machine only: the server signs a short-lived token for the persona you pick."),
        h(
          "ul",
          { class: "personas" },
          demo.personas.map((p) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  onclick: async () => {
                    try {
                      keepToken((await consoleApi<{ token: string }>("token", { username: p.username })).token);
                      signedIn();
                    } catch (error) {
                      status.say((error as Error).message, "error");
                    }
                  },
                },
                `Sign in as ${p.username}`,
              ),
              h("span", { class: "hint" }, ` ${p.roles.join(", ")}${p.unit ? `, ${p.unit}` : ""}${p.note ? ` — ${p.note}` : ""}`),
            ),
          ),
        ),
      )
    : null;
  return h(
    "div",
    {},
    h("h1", { tabindex: -1 }, "Sign in"),
    status,
    personas,
    h("section", { "aria-labelledby": "paste-heading" }, h("h2", { id: "paste-heading" }, "Paste a token"), pasteForm),
  );
}
