import { graphql } from "../api";
import { dataTable, h, statusLine } from "../dom";
import type { RoleSchema } from "../schema";

/**
 * Approvals: the requests waiting for the signed-in approver (`pendingApprovals`), each approved or rejected with a
 * comment (`approveRequest`, `rejectRequest`). The database decides who may decide; its refusal is shown as it comes.
 *
 * @example
 * main.replaceChildren(await approvalsPage(schema, rerender));
 */
export async function approvalsPage(schema: RoleSchema, rerender: (notice?: string) => void): Promise<HTMLElement> {
  const status = statusLine();
  const columns = schema.columnsOf("pendingApprovals");
  const pending = (
    await graphql<{ pendingApprovals: { nodes: Record<string, unknown>[] } }>(
      `{ pendingApprovals(first: 200) { nodes { ${columns.join(" ")} } } }`,
    )
  ).pendingApprovals.nodes;
  const decide = async (verb: "approve" | "reject", id: unknown, comment: string) => {
    try {
      await graphql(
        `mutation Decide($id: BigInt!, $comment: String) { ${verb}Request(input: { requestId: $id, comment: $comment }) { result } }`,
        { id, comment: comment || null },
      );
      rerender(`${verb === "approve" ? "Approved" : "Rejected"} request ${String(id)}`);
    } catch (error) {
      status.say((error as Error).message, "error");
    }
  };
  return h(
    "div",
    {},
    h("h1", { tabindex: -1 }, "Approvals"),
    status,
    dataTable(`Requests waiting for you: ${pending.length}`, columns, pending, {
      heading: "Decision",
      cells: (request) => {
        const id = String(request.id);
        const comment = h("input", { name: `comment-${id}`, id: `comment-${id}`, autocomplete: "off" });
        return [
          h("label", { for: comment.id }, `Comment on request ${id}`),
          comment,
          h(
            "button",
            { type: "button", onclick: () => void decide("approve", request.id, comment.value) },
            `Approve request ${id}`,
          ),
          h(
            "button",
            { type: "button", class: "secondary", onclick: () => void decide("reject", request.id, comment.value) },
            `Reject request ${id}`,
          ),
        ];
      },
    }),
  );
}
