/**
 * The composition root of the `gatehouse` command: the toolkit's program (db/cli) with the server's
 * commands plugged in. The `gatehouse` bin runs this file (built to dist/server/cli.js).
 */
import "./polyfill";
import { createProgram, runProgram } from "../db";
import { serverCommands } from "./cli/commands";

void runProgram(createProgram([serverCommands]));
