#!/usr/bin/env node
// The gatehouse CLI, run from TypeScript sources through tsx.
require("tsx/cjs");
require("../db/cli/main.ts");
