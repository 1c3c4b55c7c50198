const KEY = "gatehouse.console.token";
/** While viewing as someone else: the signed-in user's own token, and whom they view as. */
const OWN_KEY = "gatehouse.console.own-token";
const VIEWING_KEY = "gatehouse.console.viewing";

/** What the console shows about the signed-in token (read from it, not verified: the server verifies every request). */
export interface Claims {
  readonly sub?: string;
  readonly role?: string;
  readonly exp?: number;
  /** On a view-as token: who is viewing (their user id and role). */
  readonly act?: { readonly sub?: string; readonly role?: string };
  /** On a view-as token: the database's view-as session. */
  readonly view_as?: string;
}

/** The signed-in user's token, kept for this tab only (sessionStorage); null when signed out. */
export const currentToken = (): string | null => sessionStorage.getItem(KEY);

/** Keeps `token` for this tab. */
export const keepToken = (token: string): void => sessionStorage.setItem(KEY, token.trim());

/** Forgets the token, and the own token kept while viewing as someone else. */
export const forgetToken = (): void => {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(OWN_KEY);
  sessionStorage.removeItem(VIEWING_KEY);
};

/**
 * Starts viewing as someone else: keeps the signed-in user's own token aside and uses the view-as token (read only)
 * until {@link endViewing}.
 *
 * @example
 * startViewing(token, "nurse_ben (nurse)");
 */
export function startViewing(token: string, whom: string): void {
  const own = currentToken();
  if (own) sessionStorage.setItem(OWN_KEY, own);
  sessionStorage.setItem(VIEWING_KEY, whom);
  keepToken(token);
}

/**
 * Whom the signed-in user is viewing as; null when they act as themselves.
 *
 * @example
 * viewingAs(); // "nurse_ben (nurse)"
 */
export const viewingAs = (): string | null => (sessionStorage.getItem(OWN_KEY) ? sessionStorage.getItem(VIEWING_KEY) : null);

/** The signed-in user's own token while they view as someone else; null otherwise. */
export const ownToken = (): string | null => sessionStorage.getItem(OWN_KEY);

/**
 * Ends viewing as someone else: back to the signed-in user's own token (signed out when there is none).
 *
 * @example
 * endViewing(); currentToken(); // the signed-in user's own token again
 */
export function endViewing(): void {
  const own = sessionStorage.getItem(OWN_KEY);
  sessionStorage.removeItem(OWN_KEY);
  sessionStorage.removeItem(VIEWING_KEY);
  if (own) keepToken(own);
  else sessionStorage.removeItem(KEY);
}

/**
 * The claims of a JWT, for display; `{}` when it is not one.
 *
 * @example
 * claimsOf(token).role; // "app_doctor"
 */
export function claimsOf(token: string): Claims {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(
      payload
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(payload.length / 4) * 4, "="),
    );
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === "object" ? (value as Claims) : {};
  } catch {
    return {};
  }
}
