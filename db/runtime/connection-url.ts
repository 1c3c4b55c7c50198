/** What to change in a connection URL. */
export interface ConnectionTarget {
  /** Replaces the database; kept when omitted. */
  database?: string;
  /** Replaces the user; the password is then replaced too (removed when `password` is omitted). */
  user?: string;
  password?: string;
}

/**
 * The same server as `clusterUrl` (host, port, query options kept), another database and,
 * optionally, another user.
 *
 * @example
 * connectionUrl('postgres://postgres:pw@127.0.0.1:5432/postgres', { database: 'app', user: 'app_authenticator', password: 's3cret' });
 * // => 'postgres://app_authenticator:s3cret@127.0.0.1:5432/app'
 */
export function connectionUrl(clusterUrl: string, target: ConnectionTarget): string {
  const url = new URL(clusterUrl);
  if (target.database !== undefined) url.pathname = `/${encodeURIComponent(target.database)}`;
  if (target.user !== undefined) {
    url.username = encodeURIComponent(target.user);
    url.password = target.password === undefined ? "" : encodeURIComponent(target.password);
  }
  return url.href;
}
