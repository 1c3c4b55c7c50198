import { consoleApi } from "../api";
import { h, labelled } from "../dom";

/** One drift item of `gatehouse check`. */
interface DriftItem {
  readonly kind: string;
  readonly object: string;
  readonly message: string;
}

/** A table of the matrix: its heading (the app table) and its Markdown tables (row rules, then columns). */
interface MatrixSection {
  readonly title: string;
  readonly tables: { head: string[]; rows: string[][] }[];
}

const cells = (line: string) =>
  line
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, "|"));

/** The matrix's Markdown as sections of tables (`## <table>`, then `| … |` tables). */
function parseMatrix(markdown: string): MatrixSection[] {
  const sections: MatrixSection[] = [];
  let table: { head: string[]; rows: string[][] } | undefined;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("## ")) {
      sections.push({ title: line.slice(3).trim(), tables: [] });
      table = undefined;
    } else if (line.startsWith("|") && sections.length > 0) {
      if (/^\|[-| ]+\|$/.test(line)) continue;
      if (!table) sections[sections.length - 1]!.tables.push((table = { head: cells(line), rows: [] }));
      else table.rows.push(cells(line));
    } else table = undefined;
  }
  return sections;
}

/** Whether a drift item is about `table` (and, given, `role`), by the names it carries. */
const about = (item: DriftItem, table: string, role?: string) =>
  new RegExp(`\\.${table}\\b`).test(item.object) &&
  (role === undefined || new RegExp(`(_|\\b)${role}(__|\\b)`).test(item.object));

/**
 * The access matrix: roles × tables × commands and roles × columns, as `gatehouse compile` writes it, filterable by
 * role, table and drift, with where the live database differs from the definitions (`gatehouse check`) highlighted.
 *
 * @example
 * main.replaceChildren(await matrixPage());
 */
export async function matrixPage(): Promise<HTMLElement> {
  const { markdown, drift, driftChecked } = await consoleApi<{
    markdown: string;
    drift: DriftItem[];
    driftChecked: "full" | "catalog";
  }>("matrix");
  const sections = parseMatrix(markdown).filter((s) => s.title !== "Roles" && s.tables.length > 0);
  const roles = [
    ...new Set(sections.flatMap((s) => s.tables.flatMap((t) => (t.head[0] === "role" ? t.rows.map((r) => r[0]!) : [])))),
  ].sort();
  const role = h(
    "select",
    { name: "role" },
    h("option", { value: "" }, "every role"),
    roles.map((r) => h("option", { value: r }, r)),
  );
  const table = h("input", { name: "table", type: "search", autocomplete: "off" });
  const onlyDrift = h("input", { name: "drift", type: "checkbox", id: "matrix-only-drift" });
  const body = h("div", {});
  const render = () => {
    const wantedRole = role.value;
    const shown = sections.filter(
      (s) =>
        s.title.includes(table.value.trim()) &&
        (!onlyDrift.checked || drift.some((d) => about(d, s.title, wantedRole || undefined))),
    );
    body.replaceChildren(
      ...shown.map((s) => {
        const drifted = drift.filter((d) => about(d, s.title));
        return h(
          "section",
          { class: drifted.length ? "drifted" : undefined, "aria-labelledby": `matrix-${s.title}` },
          h("h2", { id: `matrix-${s.title}` }, s.title, drifted.length ? ` — ⚠ drift (${drifted.length})` : ""),
          s.tables.map((t, i) => {
            const rows = t.head[0] === "role" && wantedRole ? t.rows.filter((r) => r[0] === wantedRole) : t.rows;
            return h(
              "div",
              { class: "scroll", role: "region", "aria-label": `${s.title}: ${i === 0 ? "row rules" : "columns"}`, tabindex: 0 },
              h(
                "table",
                {},
                h(
                  "caption",
                  {},
                  `${s.title}: ${t.head.includes("select") ? "row rules per command" : t.head[0] === "role" ? "columns" : "details"}`,
                ),
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    t.head.map((c) => h("th", { scope: "col" }, c)),
                  ),
                ),
                h(
                  "tbody",
                  {},
                  rows.map((r) => {
                    const flagged = t.head[0] === "role" && drifted.some((d) => about(d, s.title, r[0]));
                    return h(
                      "tr",
                      { class: flagged ? "drift" : undefined },
                      r.map((c, j) => (j === 0 ? h("th", { scope: "row" }, c, flagged ? " ⚠ drift" : "") : h("td", {}, c))),
                    );
                  }),
                ),
              ),
            );
          }),
        );
      }),
    );
  };
  for (const control of [role, table, onlyDrift]) control.addEventListener("input", render);
  render();
  return h(
    "div",
    {},
    h("h1", { tabindex: -1 }, "Access matrix"),
    h(
      "section",
      { "aria-labelledby": "drift-heading", class: drift.length ? "drifted" : undefined },
      h(
        "h2",
        { id: "drift-heading" },
        drift.length
          ? `⚠ Drift against the live database: ${drift.length}`
          : "No drift: the live database matches the definitions",
      ),
      driftChecked === "catalog"
        ? h(
            "p",
            {},
            "Checked from the catalog, without the tables' owner: row security, policies by name and privileges. " +
              "gatehouse check, on the owner's connection, also compares policy expressions, functions, views, memberships and logins.",
          )
        : null,
      drift.length
        ? h(
            "ul",
            {},
            drift.map((d) => h("li", {}, `${d.kind} ${d.object}: ${d.message}`)),
          )
        : null,
    ),
    h(
      "form",
      { class: "grid", role: "search", "aria-label": "Filter the matrix", onsubmit: (event) => event.preventDefault() },
      labelled("Role", role),
      labelled("Table", table),
      h("div", { class: "field check" }, onlyDrift, h("label", { for: onlyDrift.id }, "Only tables with drift")),
    ),
    body,
  );
}
