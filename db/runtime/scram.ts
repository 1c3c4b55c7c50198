import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** Iterations PostgreSQL and libpq use by default (`scram_iterations`). */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 and RFC 7677), computed here as
 * libpq's `PQencryptPasswordConn` does: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64.
 * Sending `alter role … password '<verifier>'` sets the password without the password itself ever reaching
 * the server, so it cannot land in a server log or `pg_stat_activity`.
 *
 * Only printable ASCII passwords are accepted: SASLprep (RFC 4013), which PostgreSQL applies to a password
 * before hashing, leaves them unchanged, so the verifier matches what the server computes at login. Other
 * passwords are refused with an error rather than hashed in a way a client might not reproduce.
 *
 * @example
 * scramSha256Verifier("correct horse battery staple"); // "SCRAM-SHA-256$4096:3q2+7w…==$Vr8…=:Jk1…="
 */
export function scramSha256Verifier(password: string, options: { salt?: Buffer; iterations?: number } = {}): string {
  assertScramPassword(password);
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Throws unless `password` is non-empty printable ASCII (where SASLprep changes nothing). */
export function assertScramPassword(password: string): void {
  if (password.length === 0) throw new Error("the password is empty");
  const bad = [...password].find((ch) => ch < " " || ch > "~");
  if (bad !== undefined)
    throw new Error(
      `the password holds ${bad.charCodeAt(0) < 0x20 || bad === "\x7f" ? "a control character" : `the non-ASCII character "${bad}"`}: use printable ASCII only (letters, digits, punctuation, space), or let gatehouse generate one`,
    );
}
