/** A child of {@link h}: a node, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;
/** Attributes of {@link h}: `on<event>` keys take a listener; `true` sets an empty attribute; `false`/`undefined` none. */
export type Props = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

/**
 * Creates an element with attributes, listeners and children (text is escaped, never parsed as HTML).
 *
 * @example
 * h("button", { type: "button", onclick: () => alert("hi") }, "Say hi");
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false)
      element.append(typeof child === "number" ? String(child) : child);
  }
  return element;
}

let fields = 0;

/**
 * A form control with its label (`<label for>`), and an optional hint tied to it with `aria-describedby`.
 *
 * @example
 * labelled("Reason", h("input", { name: "reason", required: true }));
 */
export function labelled(text: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `field-${++fields}`;
  control.id = id;
  const hintElement = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute("aria-describedby", hintElement.id);
  return h("div", { class: "field" }, h("label", { for: id }, text), control, hintElement);
}

/**
 * A live region that announces what an action did (or why it failed) to screen readers and shows it.
 *
 * @example
 * const status = statusLine(); status.say("Granted", "ok");
 */
export function statusLine(): StatusLine {
  const element = h("p", { class: "status", role: "status", "aria-live": "polite" });
  return Object.assign(element, {
    say(text: string, tone: "ok" | "error" = "ok") {
      element.textContent = text;
      element.dataset.tone = tone;
    },
  });
}

/** A {@link statusLine}. */
export type StatusLine = HTMLElement & { say(text: string, tone?: "ok" | "error"): void };

/** A value as the API returned it, as text: null stays "null", objects and arrays as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * A table of rows with a caption, inside a keyboard-scrollable region (narrow screens scroll it sideways); the
 * actions, if any, come first, so they are in view without scrolling.
 *
 * @example
 * dataTable("Grants", ["rowId", "reason"], rows, (row) => [h("button", {}, "Revoke")]);
 */
export function dataTable(
  caption: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  actions?: { heading: string; cells: (row: Record<string, unknown>) => Child[] },
): HTMLElement {
  const table = h(
    "table",
    {},
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        actions ? h("th", { scope: "col" }, actions.heading) : null,
        columns.map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          {},
          actions ? h("td", { class: "actions" }, actions.cells(row)) : null,
          columns.map((c) => h("td", { class: row[c] === null ? "null" : undefined }, cellText(row[c]))),
        ),
      ),
    ),
  );
  return h("div", { class: "scroll", role: "region", "aria-label": caption, tabindex: 0 }, table);
}
