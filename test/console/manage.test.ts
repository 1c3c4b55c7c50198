/**
 * Managing access from the console in a real browser: sam (supervisor) grants rita a row until a date, picking her
 * among the users he may grant to (his role may read no user), and revokes it,
 * sam approves and rejects requests with a comment, and adam (admin) previews rick's offboarding and confirms it —
 * each through the API with the user's own token, checked against what the database then shows. HTTP requests
 * commit, so the file has its own database.
 */
import type { Browser } from "playwright-core";
import type { CrmApi } from "../server/api";
import { columnTexts, describeInBrowser, launchChromium, open, openConsoleApi, screenshot, signInAs } from "./browser";

let api: CrmApi;
let browser: Browser;

describeInBrowser("the access console: temporary access, approvals, offboarding", () => {
  beforeAll(async () => {
    [api, browser] = await Promise.all([openConsoleApi(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  test("sam grants rita rick's customer 5 in the page, picking her by name among the users he may grant to: it appears in rita's list; sam revokes it and it is gone from her next view", async () => {
    const sam = await signInAs(browser, api, "sam");
    const rita = await signInAs(browser, api, "rita");
    await open(rita, "view/allCustomers", "View as you");
    expect(await columnTexts(rita, "rowId")).not.toContain("5");

    await open(sam, "grants", "Temporary access");
    await sam.getByLabel("Table").fill("customers");
    await sam.getByLabel("Row id").fill("5");
    const grantee = sam.getByLabel("Grantee", { exact: true });
    expect(await grantee.evaluate((e) => e.tagName)).toBe("SELECT");
    expect(await grantee.locator("option").allTextContents()).toEqual([
      "choose a user",
      "ian — user 8",
      "rick — user 5",
      "rita — user 4",
    ]);
    await sam.getByText("The users you may grant to: active users the database would accept, by the same rules.").waitFor();
    await grantee.selectOption({ label: "rita — user 4" });
    await sam.getByLabel("Privilege").selectOption("select");
    await sam.getByLabel("Until").fill(new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10));
    await sam.getByLabel("Reason").fill("covering for rick");
    await sam.getByRole("button", { name: "Grant access" }).click();
    const granted = await sam.getByText(/^Granted: grant \d+$/).textContent();
    const id = granted!.replace(/\D/g, "");
    await sam
      .getByRole("cell", { name: /^expiring in [56] days$/ })
      .first()
      .waitFor();
    await screenshot(sam, "grants-sam-granted");

    await open(rita, "view/allCustomers", "View as you");
    await rita.reload();
    await rita.getByRole("heading", { level: 1, name: "View as you" }).waitFor();
    expect(await columnTexts(rita, "rowId")).toContain("5");

    await sam.getByRole("button", { name: `Revoke grant ${id}` }).click();
    await sam.getByText(`Revoked grant ${id}`).waitFor();
    await rita.reload();
    await rita.getByRole("heading", { level: 1, name: "View as you" }).waitFor();
    expect(await columnTexts(rita, "rowId")).not.toContain("5");
    await sam.context().close();
    await rita.context().close();
  });

  test("rita (sales_rep) is offered neither temporary access nor offboarding in the console", async () => {
    const rita = await signInAs(browser, api, "rita");
    const nav = await rita.getByRole("navigation", { name: "Console pages" }).getByRole("link").allTextContents();
    expect(nav).toEqual(["View as"]);
    await rita.context().close();
  });

  test("sam rejects rita's first request for quote 2 with a comment and approves her second in the page: each decided as he said", async () => {
    const ask = async () => {
      const made = await api.query(
        'mutation { requestQuoteApproval(input: { rowId: "2", reason: "standard terms" }) { result } }',
        {
          token: await api.token("rita"),
        },
      );
      expect(made.errors).toBeUndefined();
      return String((made.data!.requestQuoteApproval.result as { id: number }).id);
    };
    const decision = (id: string) =>
      api.crm.root((c) =>
        c.query(
          `select status, comment, decided_by::int as by from "${api.crm.app.toolkitSchema}".approval_requests where id = $1`,
          [id],
        ),
      );
    const quote = async () =>
      (await api.query('{ quoteByRowId(rowId: "2") { status approvedBy } }', { token: await api.token("sam") })).data;

    const first = await ask();
    const sam = await signInAs(browser, api, "sam");
    await open(sam, "approvals", "Approvals");
    expect(await columnTexts(sam, "id")).toEqual([first]);
    await sam.getByLabel(`Comment on request ${first}`).fill("needs a discount line");
    await screenshot(sam, "approvals-sam-pending");
    await sam.getByRole("button", { name: `Reject request ${first}` }).click();
    await sam.getByText(`Rejected request ${first}`).waitFor();
    expect((await decision(first)).rows).toEqual([{ status: "rejected", comment: "needs a discount line", by: 3 }]);
    expect(await quote()).toEqual({ quoteByRowId: { status: "draft", approvedBy: null } });

    const second = await ask();
    await sam.reload();
    await sam.getByLabel(`Comment on request ${second}`).fill("fine by me");
    await sam.getByRole("button", { name: `Approve request ${second}` }).click();
    await sam.getByText(`Approved request ${second}`).waitFor();
    expect(await sam.getByRole("table").locator("tbody tr").count()).toBe(0);
    expect((await decision(second)).rows).toEqual([{ status: "approved", comment: "fine by me", by: 3 }]);
    expect(await quote()).toEqual({ quoteByRowId: { status: "approved", approvedBy: "3" } });
    await sam.context().close();
  });

  test("adam (admin) picks rick and rita by name, previews rick's offboarding to rita in the page, confirms it, and what happens is what the preview said", async () => {
    const adam = await signInAs(browser, api, "adam");
    await open(adam, "offboarding", "Offboarding");
    await adam.getByLabel("User leaving").selectOption({ label: "Rick Alvarez (rick) — user 5" });
    await adam.getByLabel("Successor").selectOption({ label: "Rita Moreno (rita) — user 4" });
    await adam.getByRole("button", { name: "Preview" }).click();
    await adam.getByRole("heading", { name: /^Preview: / }).waitFor();
    const [users, changes, tables, rows] = await Promise.all(
      ["userId", "change", "tableName", "rowKey"].map((c) => columnTexts(adam, c)),
    );
    const previewed = users!.map((user, i) => `${user} ${changes![i]} ${tables![i]} ${rows![i]}`).sort();
    await screenshot(adam, "offboarding-adam-preview");
    const customers = async (username: string) =>
      (
        (await api.query("{ allCustomers(orderBy: ROW_ID_ASC) { nodes { rowId } } }", { token: await api.token(username) })).data!
          .allCustomers.nodes as { rowId: string }[]
      ).map((n) => n.rowId);
    const [ritaBefore, rickBefore] = [await customers("rita"), await customers("rick")];

    await adam.getByLabel("Reason").fill("left the company");
    await adam.getByRole("button", { name: "Confirm: offboard user 5" }).click();
    await adam.getByRole("heading", { name: "User 5 is offboarded" }).waitFor();
    await screenshot(adam, "offboarding-adam-done");

    const [ritaAfter, rickAfter] = [await customers("rita"), await customers("rick")];
    const gained = ritaAfter.filter((r) => !ritaBefore.includes(r));
    expect(previewed.filter((p) => p.startsWith("4 gains customers"))).toEqual(
      gained.map((r) => `4 gains customers ${r}`).sort(),
    );
    expect(gained.length).toBeGreaterThan(0);
    for (const lost of previewed.filter((p) => p.startsWith("5 loses customers")))
      expect(rickBefore).toContain(lost.split(" ").pop());
    expect(rickAfter).toEqual([]);
    await adam.context().close();
  });
});
