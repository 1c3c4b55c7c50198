// Preloaded into the exporting child (`node -r`): at exit, writes its peak resident set size (kB) to BENCH_RSS_FILE.
const { writeFileSync } = require("node:fs");
process.on("exit", () => {
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
