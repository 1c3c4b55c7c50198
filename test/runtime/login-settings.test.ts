import { Client } from "pg";
import { TEST_ADMIN_URL_ENV } from "../../db/testing";
import { scramSha256Verifier, parseMilliseconds, formatDuration, resolveLoginSettings } from "../../db";

// What a login is made of before it reaches the server: its password only as a SCRAM-SHA-256 verifier, which must be
// the one PostgreSQL computes itself for the same password and salt, and its session settings.

let client: Client;
beforeAll(async () => {
  client = new Client({ connectionString: process.env[TEST_ADMIN_URL_ENV] });
  await client.connect();
});
afterAll(() => client?.end());

/** The verifier PostgreSQL stores for `password` (in a rolled-back transaction). */
async function serverVerifier(password: string): Promise<string> {
  await client.query("begin");
  try {
    await client.query("set local password_encryption = 'scram-sha-256'");
    await client.query(`create role gatehouse_scram_probe password '${password.replace(/'/g, "''")}'`);
    const { rows } = await client.query("select rolpassword from pg_authid where rolname = 'gatehouse_scram_probe'");
    return rows[0].rolpassword as string;
  } finally {
    await client.query("rollback");
  }
}

test.each(["correct horse battery staple", "it's a p@ss: ~!#$%^&*()_+{}|<>?", "x"])(
  "the SCRAM-SHA-256 verifier of %j, with PostgreSQL's salt and iterations, is PostgreSQL's own",
  async (password) => {
    const stored = await serverVerifier(password);
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!;
    expect(scramSha256Verifier(password, { salt: Buffer.from(salt!, "base64"), iterations: Number(iterations) })).toBe(stored);
  },
);

test("a fresh verifier has 4096 iterations and a random 16-byte salt", () => {
  const [a, b] = [scramSha256Verifier("same password"), scramSha256Verifier("same password")];
  expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  expect(a).not.toBe(b);
});

test("a password with a control or non-ASCII character is refused, with the fix", () => {
  expect(() => scramSha256Verifier("tab\there")).toThrow(
    "the password holds a control character: use printable ASCII only (letters, digits, punctuation, space), or let gatehouse generate one",
  );
  expect(() => scramSha256Verifier("naïve-password")).toThrow('the password holds the non-ASCII character "ï"');
});

test("durations read as PostgreSQL settings write them; bad ones name the setting", () => {
  expect([
    parseMilliseconds("5min", "x"),
    parseMilliseconds("30s", "x"),
    parseMilliseconds(1500, "x"),
    parseMilliseconds("1h", "x"),
  ]).toEqual([300_000, 30_000, 1500, 3_600_000]);
  expect([formatDuration(300_000), formatDuration(30_000), formatDuration(1500)]).toEqual(["5min", "30s", "1500ms"]);
  expect(() => parseMilliseconds("0", "--statement-timeout")).toThrow(
    '--statement-timeout must be a positive duration such as 30s, 5min, 1h or a number of milliseconds, not "0"',
  );
  expect(() => parseMilliseconds("1.5s", "x")).toThrow('not "1.5s"');
  expect(() => parseMilliseconds("5 minutes", "x")).toThrow('not "5 minutes"');
});

test("login settings: the config over the defaults, the flags over the config; an unknown key is named", () => {
  const settings = resolveLoginSettings([
    { name: (k) => `logins.${k}`, input: { statementTimeout: "1min", connectionLimit: 3 } },
    { name: (k) => `--${k}`, input: { readOnly: false, connectionLimit: "2" } },
  ]);
  expect(settings).toEqual({
    readOnly: false,
    statementTimeoutMs: 60_000,
    idleInTransactionTimeoutMs: 60_000,
    transactionTimeoutMs: 900_000,
    connectionLimit: 2,
  });
  expect(() => resolveLoginSettings([{ name: (k) => `logins.${k}`, input: { statmentTimeout: "1min" } as never }])).toThrow(
    'logins.statmentTimeout is not a login setting (did you mean "statementTimeout"?)',
  );
});
