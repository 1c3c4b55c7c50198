/**
 * The toolkit knows no app: no CRM name, path or table is written in `db/` (outside the reference app `db/crm/`
 * and `db/CONVENTIONS.md`, whose CRM examples are deliberate) or in `server/` — not in code, error messages,
 * comments or TSDoc examples. What the demo needs comes from `gatehouse.config.ts`; examples use the clinic of the
 * `gatehouse init` template.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

const ROOT = path.join(__dirname, "../..");
const SCANNED = ["db", "server"];
const EXEMPT = new Set(["db/crm", "db/CONVENTIONS.md"]);

/** Words that only the CRM uses: its schema, tables, roles, personas and view. */
const CRM_WORDS = [
  "crm",
  "customers",
  "customer_id",
  "contacts",
  "contracts",
  "quotes",
  "follow_ups",
  "service_tickets",
  "org_units",
  "project_customers",
  "partner_shares",
  "sales_rep",
  "salesRep",
  "supervisor",
  "regional_manager",
  "marketing",
  "marketing_export",
  "analyst",
  "finance",
  "vip",
  "rita",
  "dana",
  "suki",
  "olga",
];
/** `quotes` is English too: only the CRM table counts, not a literal's or a value's quotes. */
const GENERIC_USES = [/\bquotes are doubled\b/i, /\bdollar quotes\b/i, /\bproblem quotes\b/i, /\bquotes doubled\b/i];
const PATTERN = new RegExp(`\\b(${CRM_WORDS.join("|")})\\b`, "i");

async function files(folder: string): Promise<string[]> {
  const relative = path.relative(ROOT, folder).split(path.sep).join("/");
  if (EXEMPT.has(relative)) return [];
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const full = path.join(folder, e.name);
      if (e.isDirectory()) return files(full);
      return EXEMPT.has(path.relative(ROOT, full).split(path.sep).join("/")) ? [] : [full];
    }),
  );
  return nested.flat();
}

/** `file:line: word` for every line of `text` that names a CRM word. */
function crmMentions(file: string, text: string): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    const rest = GENERIC_USES.reduce((l, generic) => l.replace(generic, ""), line);
    const match = PATTERN.exec(rest);
    if (match) found.push(`${file}:${i + 1}: ${match[1]}`);
  });
  return found;
}

test("the toolkit, the CLI and the server name nothing of the CRM", async () => {
  const mentions: string[] = [];
  for (const folder of SCANNED) {
    for (const file of await files(path.join(ROOT, folder))) {
      const relative = path.relative(ROOT, file).split(path.sep).join("/");
      mentions.push(...crmMentions(relative, await readFile(file, "utf8")));
    }
  }
  // write examples with the clinic of db/cli/template (schema clinic, roles doctor and nurse, table patients)
  expect(mentions).toEqual([]);
});

test("the scan names the file and line of a CRM word, and lets English uses of quotes pass", () => {
  expect(crmMentions("db/x.ts", "a\n * select * from crm.customers\n * Quotes are doubled")).toEqual(["db/x.ts:2: crm"]);
});
