/** A node of PostgreSQL's `pg_node_tree` text (`{OPEXPR :opno 98 :args (…)}`): its type and fields' values. */
export interface TreeNode {
  readonly type: string;
  readonly fields: ReadonlyMap<string, readonly TreeValue[]>;
}

/** A value in a node tree: a node, a list `( … )`, an atom (number, name, `[` and `]` of a datum), or `<>` (null). */
export type TreeValue = TreeNode | readonly TreeValue[] | string | null;

interface Token {
  readonly text: string;
  /** One of `{ } ( )` as structure, not as an escaped character of an atom. */
  readonly punct: boolean;
}

/** Splits node tree text as PostgreSQL's `pg_strtok` does: whitespace separates, `{}()` stand alone, `\` escapes. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if ("{}()".includes(c)) {
      tokens.push({ text: c, punct: true });
      i++;
    } else {
      let atom = "";
      while (i < text.length && !/\s/.test(text[i]!) && !"{}()".includes(text[i]!)) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        atom += text[i++];
      }
      tokens.push({ text: atom, punct: false });
    }
  }
  return tokens;
}

/**
 * Parses `pg_node_tree` text (e.g. `pg_policy.polqual::text`) into nodes, lists and atoms.
 *
 * @example
 * parseNodeTree("{VAR :varno 1 :varattno 2}") // { type: "VAR", fields: Map { "varno" => ["1"], "varattno" => ["2"] } }
 */
export function parseNodeTree(text: string): TreeValue {
  const tokens = tokenize(text);
  let at = 0;
  const isPunct = (t: Token | undefined, p: string) => t?.punct === true && t.text === p;
  const value = (): TreeValue => {
    const t = tokens[at++]!;
    if (isPunct(t, "{")) {
      const type = tokens[at++]!.text;
      const fields = new Map<string, TreeValue[]>();
      while (at < tokens.length && !isPunct(tokens[at], "}")) {
        const name = tokens[at++]!.text.replace(/^:/, "");
        const values: TreeValue[] = [];
        while (at < tokens.length && !isPunct(tokens[at], "}") && !(tokens[at]!.text.startsWith(":") && !tokens[at]!.punct))
          values.push(value());
        fields.set(name, values);
      }
      at++;
      return { type, fields };
    }
    if (isPunct(t, "(")) {
      const items: TreeValue[] = [];
      while (at < tokens.length && !isPunct(tokens[at], ")")) items.push(value());
      at++;
      return items;
    }
    return t.text === "<>" ? null : t.text;
  };
  return value();
}

/** Whether a tree value is a node (of `type`, when given). */
export const isNode = (v: TreeValue | undefined, type?: string): v is TreeNode =>
  v !== null &&
  v !== undefined &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  (type === undefined || (v as TreeNode).type === type);

/** The first value of a node's field. */
export const field = (node: TreeNode, name: string): TreeValue | undefined => node.fields.get(name)?.[0];
