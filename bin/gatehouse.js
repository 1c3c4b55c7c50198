#!/usr/bin/env node
// The gatehouse CLI. Installed, it runs the built JavaScript (dist/); in this repository, where the
// TypeScript sources are, it runs them through tsx so a change needs no build.
const { existsSync } = require("node:fs");
const path = require("node:path");

const source = path.join(__dirname, "../server/cli.ts");
if (existsSync(source)) {
  require("tsx/cjs");
  require(source);
} else {
  require("../dist/server/cli.js");
}
