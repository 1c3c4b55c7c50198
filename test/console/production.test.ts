/**
 * The access console against a production server (as `gatehouse serve` runs it) in a real browser: no persona
 * buttons, no development token, no database owner — users sign in with their own token, and explain, the matrix
 * and the review run on the server's authenticator pool as the signed-in user. The user pickers list the users the
 * signed-in user may read, or, for a grant, those `grantableUsers` says they may grant to. HTTP requests commit, so the file has its own database.
 */
import type { Browser } from "playwright-core";
import { roleName } from "../../db";
import type { CrmApi } from "../server/api";
import { columnTexts, describeInBrowser, launchChromium, open, openConsoleApi, screenshot, signInWithToken } from "./browser";

let api: CrmApi;
let browser: Browser;

describeInBrowser("the access console on a production server", () => {
  beforeAll(async () => {
    [api, browser] = await Promise.all([openConsoleApi("production"), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  test("rita (sales_rep) finds no persona buttons, signs in with her token, and is told why she sees her customer 2; she is offered neither matrix nor review", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${api.server.url}/console/`);
    await page.getByLabel("Token (JWT)").waitFor();
    expect(await page.getByRole("button", { name: /^Sign in as / }).count()).toBe(0);
    await page.context().close();

    const rita = await signInWithToken(browser, api, "rita");
    await open(rita, "view/allCustomers", "View as you");
    await rita.getByRole("button", { name: "Why can I see customers 2?" }).click();
    const why = rita.getByRole("region", { name: "Why can I see this?" });
    await why.getByRole("heading", { name: "Why can I see customers 2?" }).waitFor();
    expect(await why.textContent()).toMatch(/user 4 can see customers 2 as sales_rep because it passes sales_rep__select/);
    await screenshot(rita, "production-rita-why");
    const nav = await rita.getByRole("navigation", { name: "Console pages" }).getByRole("link").allTextContents();
    expect(nav).not.toContain("Access matrix");
    expect(nav).not.toContain("Review");
    await rita.context().close();
  });

  test("adam (admin) reads the access matrix on a production server: a grant made by hand shows as drift, checked from the catalog", async () => {
    const support = roleName(api.crm.app, "support");
    await api.crm.db.pool.query(`grant select (phone) on crm.contacts to "${support}"`);
    try {
      const adam = await signInWithToken(browser, api, "adam");
      await open(adam, "matrix", "Access matrix");
      await adam.getByRole("heading", { name: "⚠ Drift against the live database: 1" }).waitFor();
      expect(
        await adam
          .getByRole("listitem")
          .filter({ hasText: `select on crm.contacts to ${support}` })
          .count(),
      ).toBe(1);
      await adam.getByText(/^Checked from the catalog, without the tables' owner/).waitFor();
      await adam.getByLabel("Only tables with drift").check();
      expect(await adam.locator("main section h2").allTextContents()).toEqual([
        "⚠ Drift against the live database: 1",
        expect.stringMatching(/^contacts — ⚠ drift/),
      ]);
      await screenshot(adam, "production-matrix-adam-drift");
      await adam.context().close();
    } finally {
      await api.crm.db.pool.query(`revoke select (phone) on crm.contacts from "${support}"`);
    }
  });

  test("adam (admin) reads the access review on a production server, findings first", async () => {
    const adam = await signInWithToken(browser, api, "adam");
    await open(adam, "review", "Access review");
    const headings = await adam.locator("main h2").allTextContents();
    const firstPlain = headings.findIndex((t) => !t.startsWith("⚠"));
    expect(firstPlain).toBeGreaterThan(0);
    expect(headings.slice(firstPlain).some((t) => t.startsWith("⚠"))).toBe(false);
    expect(await adam.locator("main").textContent()).toContain("olga");
    await screenshot(adam, "production-review-adam");
    await adam.context().close();
  });

  test("adam (admin) grants rick's customer 5 to rita, picked by name, on a production server: she sees it and explain names the grant; he revokes it", async () => {
    const adam = await signInWithToken(browser, api, "adam");
    await open(adam, "grants", "Temporary access");
    await adam.getByLabel("Table").fill("customers");
    await adam.getByLabel("Row id").fill("5");
    const grantee = adam.getByLabel("Grantee", { exact: true });
    expect(await grantee.evaluate((e) => e.tagName)).toBe("SELECT");
    await grantee.selectOption({ label: "Rita Moreno (rita) — user 4" });
    await adam.getByLabel("Privilege").selectOption("select");
    await adam.getByLabel("Until").fill(new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10));
    await adam.getByLabel("Reason").fill("covering for rick");
    await adam.getByRole("button", { name: "Grant access" }).click();
    await adam.getByText(/^Granted: grant \d+$/).waitFor();
    const granted = (await adam.getByText(/^Granted: grant \d+$/).textContent())!.split(" ").pop()!;
    await screenshot(adam, "production-grants-adam-picker");

    const rita = await signInWithToken(browser, api, "rita");
    await open(rita, "view/allCustomers", "View as you");
    expect(await columnTexts(rita, "rowId")).toContain("5");
    await rita.getByRole("button", { name: "Why can I see customers 5?" }).click();
    const why = rita.getByRole("region", { name: "Why can I see this?" });
    await why.getByRole("heading", { name: "Why can I see customers 5?" }).waitFor();
    expect(await why.textContent()).toMatch(
      /user 4 can see customers 5 as sales_rep because it passes sales_rep__select through .*grant/,
    );
    await rita.context().close();

    await adam.getByRole("button", { name: `Revoke grant ${granted}` }).click();
    await adam.getByText(`Revoked grant ${granted}`).waitFor();
    await adam.context().close();
  });

  test("sam (supervisor), who may not read users, picks rita by name with the keyboard among those he may grant to on a 390×844 phone and grants her a row; adam picks an offboarding with the keyboard; nothing scrolls sideways", async () => {
    const sam = await signInWithToken(browser, api, "sam", { width: 390, height: 844 });
    await open(sam, "grants", "Temporary access");
    await sam.getByLabel("Table").fill("customers");
    await sam.getByLabel("Row id").fill("6");
    const grantee = sam.getByLabel("Grantee", { exact: true });
    expect(await grantee.evaluate((e) => e.tagName)).toBe("SELECT");
    expect(await grantee.locator("option").allTextContents()).toEqual([
      "choose a user",
      "ian — user 8",
      "rick — user 5",
      "rita — user 4",
    ]);
    await grantee.focus();
    for (let i = 0; i < 3; i++) await sam.keyboard.press("ArrowDown");
    expect(await grantee.inputValue()).toBe("4");
    expect(await sam.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    await sam.getByLabel("Privilege").selectOption("select");
    await sam.getByLabel("Until").fill(new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10));
    await sam.getByLabel("Reason").fill("covering for rick");
    expect(await sam.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(sam, "production-grants-sam-phone");
    await sam.getByRole("button", { name: "Grant access" }).click();
    const granted = (await sam.getByText(/^Granted: grant \d+$/).textContent())!.split(" ").pop()!;
    const made = await api.crm.root((c) =>
      c.query("select grantee_id::int, row_id::int, granted_by::int from crm.access_grants where id = $1", [granted]),
    );
    expect(made.rows).toEqual([{ grantee_id: 4, row_id: 6, granted_by: 3 }]);
    await sam.getByRole("button", { name: `Revoke grant ${granted}` }).click();
    await sam.getByText(`Revoked grant ${granted}`).waitFor();
    await sam.context().close();

    const adam = await signInWithToken(browser, api, "adam", { width: 390, height: 844 });
    await open(adam, "offboarding", "Offboarding");
    const leaving = adam.getByLabel("User leaving");
    await leaving.focus();
    await adam.keyboard.press("ArrowDown");
    expect(await leaving.inputValue()).not.toBe("");
    const outline = await adam.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).toBe("solid");
    await adam.getByLabel("Successor").selectOption({ label: "Rita Moreno (rita) — user 4" });
    expect(await adam.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(adam, "production-offboarding-adam-phone");
    await adam.context().close();
  });
});
