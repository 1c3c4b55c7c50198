import { consoleApi } from "../api";
import { h } from "../dom";

type Block =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "table"; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: "list"; readonly items: readonly string[] };

interface ReviewDocument {
  readonly title: string;
  readonly subtitle: string;
  readonly sections: readonly { readonly title: string; readonly flag: boolean; readonly blocks: readonly Block[] }[];
}

/**
 * The access review (`gatehouse review`): sections with findings first — inactive users, frozen users who keep a
 * login or a grant, expiring grants, anomaly alerts — then the rest in the reviewer's order.
 *
 * @example
 * main.replaceChildren(await reviewPage());
 */
export async function reviewPage(): Promise<HTMLElement> {
  const review = await consoleApi<ReviewDocument>("review");
  const sections = [...review.sections.filter((s) => s.flag), ...review.sections.filter((s) => !s.flag)];
  const block = (b: Block, caption: string): HTMLElement => {
    if (b.kind === "text") return h("p", {}, b.text);
    if (b.kind === "list")
      return h(
        "ul",
        {},
        b.items.map((i) => h("li", {}, i)),
      );
    return h(
      "div",
      { class: "scroll", role: "region", "aria-label": caption, tabindex: 0 },
      h(
        "table",
        {},
        h("caption", {}, caption),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            b.head.map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          {},
          b.rows.map((r) =>
            h(
              "tr",
              {},
              r.map((c) => h("td", {}, c)),
            ),
          ),
        ),
      ),
    );
  };
  return h(
    "div",
    {},
    h("h1", { tabindex: -1 }, "Access review"),
    h("p", {}, review.subtitle),
    sections.map((s) =>
      h(
        "section",
        { class: s.flag ? "finding" : undefined },
        h("h2", {}, s.flag ? `⚠ ${s.title.replace(/^⚠\s*/, "")}` : s.title),
        s.blocks.map((b) => block(b, s.title.replace(/^⚠\s*/, ""))),
      ),
    ),
  );
}
