import { styleText } from "node:util";

/** A style `node:util` `styleText` knows: `"red"`, `"dim"`, `["red", "bold"]`… */
export type Style = Parameters<typeof styleText>[0];

/**
 * Whether `stream` takes colour: a terminal, and NO_COLOR unset. Every command that colours its output asks this.
 *
 * @example
 * paint(colourOn(process.stdout), "green", "pass");
 */
export const colourOn = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !process.env.NO_COLOR;

/** `text` in `style` when `on`, else as it is. */
export const paint = (on: boolean, style: Style, text: string): string =>
  on ? styleText(style, text, { validateStream: false }) : text;
