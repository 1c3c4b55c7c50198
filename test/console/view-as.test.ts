/**
 * Viewing as someone else in the console, in a real browser: adam (admin) picks rita and a reason, sees exactly the
 * rows rita's own token gets under a "viewing as … (read only)" banner, and ends the view back to his own token.
 */
import type { Browser } from "playwright-core";
import type { CrmApi } from "../server/api";
import { column } from "../crm/crm-database";
import { columnTexts, describeInBrowser, launchChromium, open, openConsoleApi, screenshot, signInAs } from "./browser";

let api: CrmApi;
let browser: Browser;

describeInBrowser("the access console: view as someone else", () => {
  beforeAll(async () => {
    [api, browser] = await Promise.all([openConsoleApi(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const apiRowIds = async (username: string) =>
    (
      (await api.query("{ allCustomers(orderBy: ROW_ID_ASC) { nodes { rowId } } }", { token: await api.token(username) })).data!
        .allCustomers.nodes as { rowId: unknown }[]
    ).map((n) => String(n.rowId));

  test("adam (admin) views as rita in the page: her customers exactly, a read-only banner, and End brings his own view back", async () => {
    const adam = await signInAs(browser, api, "adam");
    const form = adam.getByRole("region", { name: "View as someone else" });
    await form.getByLabel("User").selectOption({ label: "rita (sales_rep)" });
    await form.getByLabel("Reason").fill("rita cannot find a customer");
    await form.getByRole("button", { name: "View as" }).click();
    await adam.getByRole("heading", { level: 1, name: "View as rita (sales_rep)" }).waitFor();
    await open(adam, "view/allCustomers", "View as rita (sales_rep)");
    await adam.locator("caption", { hasText: /^Customers: .* to rita \(sales_rep\)$/ }).waitFor();
    const banner = adam.locator(".banner");
    expect(await banner.textContent()).toBe("Viewing as rita (sales_rep) (read only) — End");
    const seen = await columnTexts(adam, "rowId");
    await screenshot(adam, "view-as-adam-as-rita");
    expect(seen).toEqual(await apiRowIds("rita"));
    // no view-as offer while viewing as someone
    expect(await adam.getByRole("region", { name: "View as someone else" }).count()).toBe(0);

    const viewToken = await adam.evaluate<string | null>("sessionStorage.getItem('gatehouse.console.token')");
    await banner.getByRole("button", { name: "End" }).click();
    await adam.getByRole("heading", { level: 1, name: "View as you" }).waitFor();
    expect(await adam.locator(".banner").count()).toBe(0);
    await open(adam, "view/allCustomers", "View as you");
    await adam.locator("caption", { hasText: /^Customers: .* to you$/ }).waitFor();
    expect(await columnTexts(adam, "rowId")).toEqual((await apiRowIds("adam")).slice(0, 200));
    // End ended the view in the database too: the token adam viewed with is refused from now on
    expect((await api.query("{ allCustomers { totalCount } }", { token: viewToken! })).status).toBe(401);
    // root check: the view was recorded with its reason
    expect(
      await api.crm.root((c) =>
        column(c, "select target_id::int from gatehouse.view_as_sessions where reason = 'rita cannot find a customer'"),
      ),
    ).toEqual([4]);
    await adam.context().close();
  });

  test("rita (sales rep) is offered no view as; adam is", async () => {
    const rita = await signInAs(browser, api, "rita");
    expect(await rita.getByRole("region", { name: "View as someone else" }).count()).toBe(0);
    await rita.context().close();
    // root check: the same page offers it to adam
    const adam = await signInAs(browser, api, "adam");
    expect(await adam.getByRole("region", { name: "View as someone else" }).count()).toBe(1);
    await adam.context().close();
  });
});
