import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PERSONAS } from "../../db/crm/seed";
import { roleName } from "../../db";
import { ownerConsoleTools, signDevToken } from "../../server";
import { openCrmDatabase } from "../crm/crm-database";
import { openCrmApi, TEST_AUTH, type CrmApi } from "../server/api";

/** Debian's Chromium (`apt-get install -y chromium`), or `CHROMIUM_PATH`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where the console tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = path.join(__dirname, "__screenshots__");

const missing = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM}: install it with apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`;

/**
 * `describe` for tests in a real browser. Without Chromium the block is skipped, saying why, or — under CI=true —
 * fails with one test naming the fix.
 */
export function describeInBrowser(name: string, fn: () => void): void {
  if (!missing) return describe(name, fn);
  if (process.env.CI === "true")
    return describe(name, () =>
      test("Chromium is installed", () => {
        throw new Error(missing);
      }),
    );
  console.warn(`skipped "${name}": ${missing}`);
  describe.skip(`${name} (skipped: ${missing})`, fn);
}

/** Headless Chromium as the tests drive it. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"] });

/** Saves a full-page screenshot as `__screenshots__/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * The CRM test database behind a real API server with the console. `development` (as `gatehouse start` runs it):
 * persona sign-in (tokens signed as the test server verifies them), and explain, the matrix with `gatehouse check`'s
 * drift and the review as the database owner. `production` (as `gatehouse serve` runs it): no persona sign-in, no
 * owner; explain, the matrix and the review on the server's own authenticator pool, acting as the signed-in user.
 */
export async function openConsoleApi(mode: "development" | "production" = "development"): Promise<CrmApi> {
  const crm = await openCrmDatabase();
  const api = await openCrmApi({
    crm,
    ...(mode === "production"
      ? { consoleTools: "authenticator" as const }
      : {
          consoleTools: ownerConsoleTools(crm.app, crm.db.url),
          consoleDemo: {
            personas: PERSONAS,
            token: async (username: string) => {
              const p = PERSONAS.find((x) => x.username === username);
              return p && signDevToken(TEST_AUTH, { userId: p.id, role: roleName(crm.app, p.roles[0]!) });
            },
          },
        }),
  });
  return { ...api, close: async () => (await api.close(), await crm.close()) };
}

/** Opens the console in a fresh browser context (its own sessionStorage) and signs in as a persona by its button. */
export async function signInAs(browser: Browser, api: CrmApi, username: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await page.goto(`${api.server.url}/console/`);
  await page.getByRole("button", { name: `Sign in as ${username}`, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "View as you" }).waitFor();
  return page;
}

/**
 * Opens the console in a fresh browser context and signs in by pasting a persona's token into the sign-in form, as a
 * user of a production server does with a token from their identity provider.
 */
export async function signInWithToken(
  browser: Browser,
  api: CrmApi,
  username: string,
  viewport = { width: 1200, height: 900 },
): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(`${api.server.url}/console/`);
  await page.getByLabel("Token (JWT)").fill(await api.token(username));
  await page.getByRole("button", { name: "Sign in with this token" }).click();
  await page.getByRole("heading", { level: 1, name: "View as you" }).waitFor();
  return page;
}

/** Opens a page of the console (`view/allCustomers`, `grants`, …) and waits for its heading. */
export async function open(page: Page, hash: string, heading: string): Promise<void> {
  await page.goto(`${page.url().split("#")[0]}#/${hash}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  // every view has the same heading: wait until the page shows the list asked for, not the one it showed before
  const list = /^view\/(\w+)/.exec(hash)?.[1];
  if (list) {
    const picker = page.locator('select[name="list"]');
    await picker.waitFor();
    for (const until = Date.now() + 10_000; (await picker.inputValue()) !== list; await page.waitForTimeout(50)) {
      if (Date.now() > until) throw new Error(`the console still shows ${await picker.inputValue()}, not ${list}`);
    }
  }
}

/** The texts of one column of the first table on the page, by its header. */
export async function columnTexts(page: Page, header: string): Promise<string[]> {
  await page.locator("table").first().waitFor();
  return page
    .locator("table")
    .first()
    .evaluate((table, name) => {
      const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
      const index = headers.indexOf(name);
      if (index < 0) throw new Error(`no column ${name}; columns: ${headers.join(", ")}`);
      return [...table.querySelectorAll("tbody tr")].map((tr) => tr.children[index]!.textContent ?? "");
    }, header);
}
