import { consoleApi, graphql } from "../api";
import { dataTable, h, labelled, statusLine } from "../dom";
import type { ListField, RoleSchema } from "../schema";
import { viewAsForm, type ViewAsTarget } from "./view-as";

/** The answer of `POST /console/api/explain`. */
interface Why {
  readonly answer: string;
  readonly passing: readonly { readonly role: string; readonly policy: string; readonly arms: readonly string[] }[];
  /** What explain could not see for itself (e.g. columns the role may not read). */
  readonly notes: readonly string[];
}

/**
 * "View as": one list the signed-in role may read, exactly as the API returns it for that token (masked columns
 * as masked), with "Why can I see this?" per row when the server offers explain; and, for a user whose role may view as
 * others (`targets` not empty), the form to view as one of them.
 *
 * @example
 * main.replaceChildren(await viewPage(schema, "allPatients", true, [], null, () => void route()));
 */
export async function viewPage(
  schema: RoleSchema,
  wanted: string | undefined,
  explain: boolean,
  targets: readonly ViewAsTarget[],
  viewing: string | null,
  started: () => void,
): Promise<HTMLElement> {
  const heading = h("h1", { tabindex: -1 }, viewing ? `View as ${viewing}` : "View as you");
  const offer = targets.length > 0 ? viewAsForm(targets, started) : null;
  if (schema.lists.length === 0) return h("div", {}, heading, h("p", {}, "Your role may read no table through the API."), offer);
  const list = schema.lists.find((l) => l.field === wanted) ?? schema.lists[0]!;
  const picker = h(
    "select",
    { name: "list", onchange: (event) => (location.hash = `#/view/${(event.target as HTMLSelectElement).value}`) },
    schema.lists.map((l) => h("option", { value: l.field, selected: l.field === list.field }, l.label)),
  );
  const rows = await rowsOf(list);
  const why = h("section", { class: "why", "aria-live": "polite", "aria-label": "Why can I see this?" });
  const status = statusLine();
  const explainRow = async (row: Record<string, unknown>) => {
    try {
      const answer = await consoleApi<Why>("explain", { table: list.table, row: String(row.rowId) });
      why.replaceChildren(
        h("h2", {}, `Why can I see ${list.table} ${String(row.rowId)}?`),
        h("p", {}, answer.answer),
        h(
          "ul",
          {},
          answer.passing.flatMap((p) => (p.arms.length ? p.arms : [p.policy]).map((arm) => h("li", {}, arm))),
        ),
        ...answer.notes.map((note) => h("p", { class: "hint" }, note)),
      );
      why.querySelector("h2")?.setAttribute("tabindex", "-1");
      (why.querySelector("h2") as HTMLElement | null)?.focus();
    } catch (error) {
      status.say((error as Error).message, "error");
    }
  };
  const canExplain = explain && list.columns.includes("rowId");
  return h(
    "div",
    {},
    heading,
    h("form", { class: "inline", onsubmit: (event) => event.preventDefault() }, labelled("Table", picker)),
    status,
    dataTable(
      rows.length === PAGE_ROWS
        ? `${list.label}: the first ${PAGE_ROWS} rows as the API returns them to ${viewing ?? "you"}`
        : `${list.label}: ${rows.length} row${rows.length === 1 ? "" : "s"} as the API returns them to ${viewing ?? "you"}`,
      list.columns,
      rows,
      canExplain
        ? {
            heading: "Why",
            cells: (row) => [
              h(
                "button",
                {
                  type: "button",
                  "aria-label": `Why can I see ${list.table} ${String(row.rowId)}?`,
                  onclick: () => void explainRow(row),
                },
                "Why can I see this?",
              ),
            ],
          }
        : undefined,
    ),
    why,
    offer,
  );
}

/** The most rows a list shows: a generated database may hold millions, and the page is for looking, not exporting. */
const PAGE_ROWS = 200;

async function rowsOf(list: ListField): Promise<Record<string, unknown>[]> {
  const order = list.orderByRowId ? ", orderBy: ROW_ID_ASC" : "";
  const data = await graphql<Record<string, { nodes: Record<string, unknown>[] }>>(
    `{ ${list.field}(first: ${PAGE_ROWS}${order}) { nodes { ${list.columns.join(" ")} } } }`,
  );
  return data[list.field]?.nodes ?? [];
}
