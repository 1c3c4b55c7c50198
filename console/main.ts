/**
 * The access console: a small single-page app served by the Gatehouse server at /console/. Every list and action
 * goes through the GraphQL API with the signed-in user's own token, so it shows and does exactly what the database
 * lets that user; pages appear only when the user's own schema offers their operations.
 */
import { ApiError, consoleApi } from "./api";
import { h, statusLine } from "./dom";
import { approvalsPage } from "./pages/approvals";
import { grantsPage } from "./pages/grants";
import { matrixPage } from "./pages/matrix";
import { reviewPage } from "./pages/review";
import { offboardingPage } from "./pages/offboarding";
import { signInPage } from "./pages/sign-in";
import { viewPage } from "./pages/view";
import { endViewAs, viewAsTargets, type ViewAsTarget } from "./pages/view-as";
import { loadRoleSchema, type RoleSchema } from "./schema";
import { claimsOf, currentToken, forgetToken, viewingAs } from "./session";
import type { UsersSource } from "./user-picker";

interface Page {
  readonly path: string;
  readonly title: string;
  readonly offered: (schema: RoleSchema, reviewer: boolean) => boolean;
  readonly render: (
    schema: RoleSchema,
    argument: string | undefined,
    rerender: (notice?: string) => void,
  ) => Promise<HTMLElement> | HTMLElement;
}

/**
 * What the server offers beyond GraphQL: explain and the reviewer roles (`GET /console/api/tools`), and, in development
 * only, the personas (`GET /console/api/demo`).
 */
let extras:
  | {
      explain: boolean;
      reviewers: readonly string[];
      users: UsersSource | null;
      personas: readonly { username: string; id: number }[];
    }
  | undefined;

async function loadExtras(): Promise<NonNullable<typeof extras>> {
  const [tools, demo] = await Promise.all([
    consoleApi<{ explain: boolean; reviewers: string[]; users: UsersSource | null }>("tools").catch(() => ({
      explain: false,
      reviewers: [],
      users: null,
    })),
    consoleApi<{ personas: { username: string; id: number }[] }>("demo").catch(() => ({ personas: [] })),
  ]);
  return { ...tools, personas: demo.personas };
}

const PAGES: readonly Page[] = [
  {
    path: "view",
    title: "View as",
    offered: () => true,
    render: (schema, list, rerender) =>
      viewPage(schema, list, extras?.explain === true, targetsOf?.targets ?? [], viewingAs(), () => rerender()),
  },
  {
    path: "grants",
    title: "Temporary access",
    offered: (s) => s.mutations.has("grantAccess") || s.queries.has("allAccessGrants"),
    render: (schema, _, rerender) => grantsPage(schema, extras?.users ?? null, rerender),
  },
  {
    path: "approvals",
    title: "Approvals",
    offered: (s) => s.queries.has("pendingApprovals"),
    render: (schema, _, rerender) => approvalsPage(schema, rerender),
  },
  {
    path: "offboarding",
    title: "Offboarding",
    offered: (s) => s.mutations.has("offboardingPreview") && s.mutations.has("offboardUser"),
    render: (schema) => offboardingPage(schema, extras?.users ?? null),
  },
  { path: "matrix", title: "Access matrix", offered: (_, reviewer) => reviewer, render: () => matrixPage() },
  { path: "review", title: "Review", offered: (_, reviewer) => reviewer, render: () => reviewPage() },
];

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const who = document.getElementById("who")!;
let schemaOf: { token: string; schema: Promise<RoleSchema> } | undefined;
/** Whom the signed-in token may view as (none for most roles, and none while viewing as someone). */
let targetsOf: { token: string; targets: readonly ViewAsTarget[] } | undefined;
const banner = document.getElementById("banner")!;

/** Counts navigations: a page that finishes loading after a later navigation started is not shown. */
let navigation = 0;

function show(content: HTMLElement, notice?: string, of = navigation): void {
  if (of !== navigation) return;
  main.replaceChildren(content);
  const heading = main.querySelector("h1");
  if (notice) {
    const status = statusLine();
    status.say(notice);
    heading?.after(status);
  }
  heading?.focus();
}

/** Back from viewing as someone else to the signed-in user's own token, the view ended in the database too. */
async function endView(notice?: string): Promise<void> {
  await endViewAs();
  history.replaceState(null, "", "#/view");
  void route(notice);
}

function signOut(notice?: string): void {
  forgetToken();
  schemaOf = undefined;
  history.replaceState(null, "", "#/sign-in"); // no hashchange: this route() is the only one
  void route(notice);
}

async function route(notice?: string): Promise<void> {
  const current = ++navigation;
  const [path, argument] = location.hash.replace(/^#\/?/, "").split("/");
  const token = currentToken();
  try {
    const viewing = viewingAs();
    banner.replaceChildren(
      ...(viewing
        ? [
            h(
              "p",
              { class: "banner", role: "status" },
              `Viewing as ${viewing} (read only) — `,
              h("button", { type: "button", class: "link", onclick: () => void endView() }, "End"),
            ),
          ]
        : []),
    );
    if (!token) {
      nav.replaceChildren();
      who.replaceChildren();
      show(
        await signInPage(() => (location.hash === "#/view" ? void route() : (location.hash = "#/view")), notice),
        undefined,
        current,
      );
      return;
    }
    if (schemaOf?.token !== token) schemaOf = { token, schema: loadRoleSchema() };
    extras ??= await loadExtras();
    const schema = await schemaOf.schema;
    const claims = claimsOf(token);
    if (targetsOf?.token !== token) targetsOf = { token, targets: claims.act ? [] : await viewAsTargets() };
    const reviewer = claims.role !== undefined && extras.reviewers.includes(claims.role);
    const offered = PAGES.filter((p) => p.offered(schema, reviewer));
    const page = offered.find((p) => p.path === path) ?? offered[0]!;
    const persona = extras.personas.find((p) => String(p.id) === claims.sub);
    const actor = claims.act ? extras.personas.find((p) => String(p.id) === claims.act?.sub) : undefined;
    who.replaceChildren(
      claims.act
        ? `Signed in as ${actor ? `${actor.username} (user ${claims.act.sub})` : `user ${claims.act.sub ?? "?"}`}, viewing as user ${claims.sub ?? "?"}, role ${claims.role ?? "none"} `
        : `Signed in as ${persona ? `${persona.username} (user ${claims.sub})` : `user ${claims.sub ?? "?"}`}, role ${claims.role ?? "none"} `,
      h("button", { type: "button", class: "link", onclick: () => signOut() }, "Sign out"),
    );
    nav.replaceChildren(
      h(
        "ul",
        {},
        offered.map((p) =>
          h("li", {}, h("a", { href: `#/${p.path}`, "aria-current": p === page ? "page" : undefined }, p.title)),
        ),
      ),
    );
    document.title = `${page.title} — Gatehouse access console`;
    show(await page.render(schema, argument, (next) => void route(next)), notice, current);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && viewingAs()) return endView(`Your view ended: ${error.message}`);
    if (error instanceof ApiError && error.status === 401) return signOut(`The API refused your token: ${error.message}`);
    const message = h("p", { role: "alert" }, (error as Error).message);
    show(h("div", {}, h("h1", { tabindex: -1 }, "Something went wrong"), message), undefined, current);
  }
}

window.addEventListener("hashchange", () => void route());
void route();
