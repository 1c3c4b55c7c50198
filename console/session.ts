const KEY = "gatehouse.console.token";

/** What the console shows about the signed-in token (read from it, not verified: the server verifies every request). */
export interface Claims {
  readonly sub?: string;
  readonly role?: string;
  readonly exp?: number;
}

/** The signed-in user's token, kept for this tab only (sessionStorage); null when signed out. */
export const currentToken = (): string | null => sessionStorage.getItem(KEY);

/** Keeps `token` for this tab. */
export const keepToken = (token: string): void => sessionStorage.setItem(KEY, token.trim());

/** Forgets the token. */
export const forgetToken = (): void => sessionStorage.removeItem(KEY);

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
