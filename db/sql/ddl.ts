import { sql, compile, type SQL } from "pg-sql2";

export { sql, type SQL };

/**
 * Text the toolkit wrote or escaped itself (a quoted literal, a comment, a keyword it chose), as an SQL
 * node. Same as `sql.raw`, without its once-per-process console warning; never pass user input here.
 */
export function trusted(text: string): SQL {
  const strings = Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray;
  return sql(strings);
}

/**
 * A string literal for DDL, which cannot take bind parameters. Quotes are doubled; NUL is refused. A value holding a
 * backslash is written as an escape string (`E'…'`, backslashes doubled), which reads the same whatever
 * `standard_conforming_strings` says where the SQL is applied: in a plain literal under `standard_conforming_strings =
 * off`, `\'` would be a quote and the rest of the value SQL.
 *
 * @example
 * sql`comment on table t is ${literal("it's mine")}` // → comment on table t is 'it''s mine'
 * sql`comment on table t is ${literal("a\\b")}` // → comment on table t is E'a\\b'
 */
export function literal(value: string | number | boolean): SQL {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as an SQL literal`);
    return trusted(String(value));
  }
  if (typeof value === "boolean") return trusted(value ? "true" : "false");
  if (value.includes("\0")) throw new Error("an SQL literal cannot contain a NUL character");
  const quoted = value.replace(/'/g, "''");
  return value.includes("\\") ? trusted(` E'${quoted.replace(/\\/g, "\\\\")}'`) : trusted(`'${quoted}'`);
}

/** A one-line `-- text` comment kept in the output (pg-sql2's own comments are stripped outside dev mode). */
export function lineComment(text: string): SQL {
  return trusted(`-- ${text.replace(/[\r\n]+/g, " ").trim()}`);
}

/**
 * Wraps a body in a dollar-quoted `do` block, choosing a tag that the body does not contain.
 *
 * @example
 * doBlock(sql`begin perform 1; end`) // → do $gh$ begin perform 1; end $gh$;
 */
export function doBlock(body: SQL): SQL {
  return sql`do ${dollarQuoted(body, "gh")};`;
}

/**
 * A body (of a function or `do` block) between dollar quotes whose tag (`$<name>$`, numbered if need be)
 * does not occur in it, so no identifier or literal inside can close the quote early.
 *
 * @example
 * sql`create function f() returns int language sql as ${dollarQuoted(sql`select 1`)};` // → as $fn$\nselect 1\n$fn$;
 */
export function dollarQuoted(body: SQL, name = "fn"): SQL {
  const text = toDdl(body);
  let tag = `$${name}$`;
  for (let i = 1; text.includes(tag); i++) tag = `$${name}${i}$`;
  return trusted(`${tag}\n${text}\n${tag}`);
}

/**
 * Compiles a DDL fragment to text, failing loudly if any bind value is left in it.
 *
 * @example
 * toDdl(sql`create schema ${sql.identifier("app")}`) // → create schema "app"
 */
export function toDdl(fragment: SQL): string {
  const known = rendered.get(fragment);
  if (known !== undefined) return known;
  const { text, values } = compile(fragment);
  if (values.length > 0) {
    throw new Error(`DDL cannot take bind parameters, but this statement has ${values.length}: ${text.slice(0, 200)}`);
  }
  rendered.set(fragment, text);
  return text;
}

/** Text of fragments already rendered (a compile renders each statement for the lints and again for the output). */
const rendered = new WeakMap<SQL, string>();
