/**
 * The access console in a real browser (Chromium through playwright-core): personas sign in by their button and see
 * exactly what the API returns to their own token — rows, masked columns — with "why can I see this?" from explain;
 * a forged or absent token is refused, and nobody reads another persona's rows through it.
 */
import type { Browser } from "playwright-core";
import { roleName } from "../../db";
import { openCrmApi, type CrmApi } from "../server/api";
import { columnTexts, describeInBrowser, launchChromium, open, openConsoleApi, screenshot, signInAs } from "./browser";

let api: CrmApi;
let browser: Browser;

describeInBrowser("the access console: view as", () => {
  beforeAll(async () => {
    [api, browser] = await Promise.all([openConsoleApi(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const apiRows = async (username: string, list: string, column: string) =>
    (
      (await api.query(`{ ${list}(orderBy: ROW_ID_ASC) { nodes { ${column} } } }`, { token: await api.token(username) })).data![
        list
      ].nodes as Record<string, unknown>[]
    ).map((n) => String(n[column]));

  test("rita (sales_rep) and sam (supervisor) sign in as themselves and each sees their own customers, as the API gives them", async () => {
    const rita = await signInAs(browser, api, "rita");
    const sam = await signInAs(browser, api, "sam");
    await open(rita, "view/allCustomers", "View as you");
    await open(sam, "view/allCustomers", "View as you");
    const ritaSees = await columnTexts(rita, "rowId");
    const samSees = await columnTexts(sam, "rowId");
    await screenshot(rita, "view-rita-customers");
    expect(ritaSees).toContain("2");
    expect(ritaSees).toEqual(await apiRows("rita", "allCustomers", "rowId"));
    expect(samSees).toEqual(await apiRows("sam", "allCustomers", "rowId"));
    expect(samSees).not.toEqual(ritaSees);
    await rita.context().close();
    await sam.context().close();
  });

  test("suki (support) sees contacts' phones masked in the page, exactly as the API returns them, and no raw phone", async () => {
    const suki = await signInAs(browser, api, "suki");
    await open(suki, "view/allContacts", "View as you");
    const shown = await columnTexts(suki, "phoneMasked");
    await screenshot(suki, "view-suki-contacts-masked");
    expect(shown).toEqual(
      await apiRows("suki", "allContacts", "phoneMasked").then((r) => r.map((v) => (v === "undefined" ? "null" : v))),
    );
    expect(shown.length).toBeGreaterThan(0);
    const headers = await suki.locator("thead th").allTextContents();
    expect(headers).not.toContain("phone");
    expect(await suki.content()).not.toContain("+1-555-0101");
    await suki.context().close();
  });

  test("rita asks why she sees customer 2 and is told: her own row", async () => {
    const rita = await signInAs(browser, api, "rita");
    await open(rita, "view/allCustomers", "View as you");
    await rita.getByRole("button", { name: "Why can I see customers 2?" }).click();
    const why = rita.getByRole("region", { name: "Why can I see this?" });
    await why.getByRole("heading", { name: "Why can I see customers 2?" }).waitFor();
    await screenshot(rita, "view-rita-why");
    expect(await why.textContent()).toMatch(
      /rita can see customers 2 as sales_rep because it passes sales_rep__select through own\(owner_id\)/,
    );
    await rita.context().close();
  });

  test("rita cannot reach rick's customer 5 through the console: not listed, and explain answers as for a row that does not exist", async () => {
    const rita = await signInAs(browser, api, "rita");
    await open(rita, "view/allCustomers", "View as you");
    expect(await columnTexts(rita, "rowId")).not.toContain("5");
    const token = await api.token("rita");
    const ask = (row: string) =>
      fetch(`${api.server.url}/console/api/explain`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ table: "customers", row }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(await ask("5")).toEqual({ status: 404, body: { error: "you see no row 5 of customers" } });
    expect(await ask("99999")).toEqual({ status: 404, body: { error: "you see no row 99999 of customers" } });
    await rita.context().close();
  });

  test("a forged token (signed with another secret) is refused: the console signs out and says why", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${api.server.url}/console/`);
    const token = await api.token("dana");
    const [header, payload] = token.split(".");
    await page.getByLabel("Token (JWT)").fill(`${header}.${payload}.${"A".repeat(43)}`);
    await page.getByRole("button", { name: "Sign in with this token" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await page.getByText(/The API refused your token/).waitFor();
    await screenshot(page, "sign-in-forged-token");
    expect(await page.locator("table").count()).toBe(0);
    await page.context().close();
  });

  test("without a token, explain is refused with 401 and the demo's token endpoint refuses a name that is not a persona", async () => {
    const explain = await fetch(`${api.server.url}/console/api/explain`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ table: "customers", row: "1" }),
    });
    expect(explain.status).toBe(401);
    const token = await fetch(`${api.server.url}/console/api/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "postgres" }),
    });
    expect(token.status).toBe(404);
    const crossSite = await fetch(`${api.server.url}/console/api/token`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ username: "dana" }),
    });
    expect(crossSite.status).toBe(415);
  });

  test("adam (admin) reads the access matrix filtered to support: contacts' phone is masked (M); a grant made by hand shows as drift", async () => {
    const support = roleName(api.crm.app, "support");
    await api.crm.db.pool.query(`grant select (phone) on crm.contacts to "${support}"`);
    try {
      const adam = await signInAs(browser, api, "adam");
      await open(adam, "matrix", "Access matrix");
      await adam.getByLabel("Role", { exact: true }).selectOption("support");
      await adam.getByLabel("Table", { exact: true }).fill("contacts");
      const contacts = adam.getByRole("region", { name: "contacts: columns" });
      const headers = await contacts.locator("thead th").allTextContents();
      const cells = await contacts.locator("tbody tr").first().locator("th, td").allTextContents();
      expect(cells[0]).toBe("support ⚠ drift");
      expect(cells[headers.indexOf("phone")]).toBe("M");
      await adam.getByRole("heading", { name: /^⚠ Drift against the live database: \d+$/ }).waitFor();
      expect(await adam.getByRole("listitem").filter({ hasText: `crm.contacts` }).count()).toBeGreaterThan(0);
      await adam.getByLabel("Table", { exact: true }).fill("");
      await adam.getByLabel("Only tables with drift").check();
      expect(await adam.locator("main section h2").allTextContents()).toEqual([
        expect.stringMatching(/^⚠ Drift against the live database/),
        expect.stringMatching(/^contacts — ⚠ drift/),
      ]);
      await screenshot(adam, "matrix-adam-support-drift");
      await adam.context().close();
    } finally {
      await api.crm.db.pool.query(`revoke select (phone) on crm.contacts from "${support}"`);
    }
  });

  test("adam (admin) reads the access review with its findings first", async () => {
    const adam = await signInAs(browser, api, "adam");
    await open(adam, "review", "Access review");
    const headings = await adam.locator("main h2").allTextContents();
    const firstPlain = headings.findIndex((t) => !t.startsWith("⚠"));
    expect(headings.slice(firstPlain).some((t) => t.startsWith("⚠"))).toBe(false);
    expect(headings.some((t) => /inactive/i.test(t))).toBe(true);
    await screenshot(adam, "review-adam");
    await adam.context().close();
  });

  test("sam (supervisor) is offered neither the matrix nor the review, and the server refuses both to his token", async () => {
    const sam = await signInAs(browser, api, "sam");
    const nav = await sam.getByRole("navigation", { name: "Console pages" }).getByRole("link").allTextContents();
    expect(nav).not.toContain("Access matrix");
    expect(nav).not.toContain("Review");
    await sam.context().close();
    const token = await api.token("sam");
    for (const name of ["matrix", "review"]) {
      const res = await fetch(`${api.server.url}/console/api/${name}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(403);
    }
  });

  test("rita with a validly signed token claiming the admin role is refused the review: she does not hold admin", async () => {
    const forged = await api.token("rita", { role: "admin" });
    const review = await fetch(`${api.server.url}/console/api/review`, { headers: { Authorization: `Bearer ${forged}` } });
    expect(review.status).toBe(403);
    const adam = await fetch(`${api.server.url}/console/api/review`, {
      headers: { Authorization: `Bearer ${await api.token("adam")}` },
    });
    expect(adam.status).toBe(200);
  });

  test("on a 390×844 phone screen suki (support) signs in with the keyboard alone, sees where focus is, and nothing scrolls sideways", async () => {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${api.server.url}/console/`);
    await page.getByRole("button", { name: "Sign in as rita", exact: true }).waitFor();
    let focused = "";
    for (let presses = 0; presses < 60 && focused !== "Sign in as suki"; presses++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>('document.activeElement?.textContent ?? ""');
    }
    expect(focused).toBe("Sign in as suki");
    const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).toBe("solid");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "View as you" }).waitFor();
    await open(page, "view/allContacts", "View as you");
    await page.locator("table").waitFor();
    await screenshot(page, "phone-suki-contacts");
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.context().close();
  });

  test("outside development (no persona sign-in) rita pastes her token and sees her customers; the extras answer 404", async () => {
    const plain = await openCrmApi({ crm: api.crm });
    try {
      const demo = await fetch(`${plain.server.url}/console/api/demo`);
      const token = await fetch(`${plain.server.url}/console/api/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "rita" }),
      });
      expect([demo.status, token.status]).toEqual([404, 404]);
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${plain.server.url}/console/`);
      await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
      expect(await page.getByRole("button", { name: /^Sign in as / }).count()).toBe(0);
      await page.getByLabel("Token (JWT)").fill(await plain.token("rita"));
      await page.getByRole("button", { name: "Sign in with this token" }).click();
      await open(page, "view/allCustomers", "View as you");
      expect(await columnTexts(page, "rowId")).toEqual(await apiRows("rita", "allCustomers", "rowId"));
      expect(await page.getByRole("button", { name: /^Why can I see/ }).count()).toBe(0);
      await page.context().close();
    } finally {
      await plain.close();
    }
  });
});
