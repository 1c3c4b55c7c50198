import type { Block, ReviewDocument } from "./document";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function markdownBlock(block: Block): string {
  switch (block.kind) {
    case "text":
      return block.text;
    case "list":
      return block.items.map((i) => `- ${i}`).join("\n");
    case "table":
      return [
        `| ${block.head.map(cell).join(" | ")} |`,
        `|${block.head.map(() => "---").join("|")}|`,
        ...block.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
      ].join("\n");
  }
}

/**
 * The review as Markdown: a heading per section, findings marked ⚠.
 *
 * @example
 * writeFileSync("review.md", renderMarkdown(reviewDocument(review)));
 */
export function renderMarkdown(doc: ReviewDocument): string {
  return `${[
    `# ${doc.title}`,
    doc.subtitle,
    ...doc.sections.flatMap((s) => [`## ${s.flag ? "⚠ " : ""}${s.title}`, ...s.blocks.map(markdownBlock)]),
  ].join("\n\n")}\n`;
}

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

function htmlBlock(block: Block): string {
  switch (block.kind) {
    case "text":
      return `<p>${escape(block.text)}</p>`;
    case "list":
      return `<ul>${block.items.map((i) => `<li>${escape(i)}</li>`).join("")}</ul>`;
    case "table":
      return `<table><thead><tr>${block.head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${block.rows
        .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`)
        .join("\n")}</tbody></table>`;
  }
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d232a}
h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5dbe1;padding-bottom:.2rem}
h2.flag{color:#9a3412}h2.flag::before{content:"\\26A0  "}
table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border:1px solid #d5dbe1;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f4f7}tr:nth-child(even) td{background:#fafbfc}p.sub{color:#56616c}`;

/**
 * The review as one self-contained HTML page: inline CSS, no script, no external asset.
 *
 * @example
 * writeFileSync("review.html", renderHtml(reviewDocument(review)));
 */
export function renderHtml(doc: ReviewDocument): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escape(doc.title)}</h1>
<p class="sub">${escape(doc.subtitle)}</p>
${doc.sections
  .map(
    (s) =>
      `<section>\n<h2${s.flag ? ' class="flag"' : ""}>${escape(s.title)}</h2>\n${s.blocks.map(htmlBlock).join("\n")}\n</section>`,
  )
  .join("\n")}
</body>
</html>
`;
}
