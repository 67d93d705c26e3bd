// Runs every compiled test file (dist/**/*.test.js) with node's test runner.
// Usage: node scripts/run-tests.mjs [substring ...]   (only files whose path contains one of them)
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) return entry === "node_modules" ? [] : walk(full);
    return entry.endsWith(".test.js") ? [full] : [];
  });
}

const files = walk(dist)
  .filter((f) => filters.length === 0 || filters.some((s) => relative(dist, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${dist}${filters.length ? ` matching ${filters.join(", ")}` : ""}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
// The one-node cluster's tests share one cluster (test/support/cluster.ts: the first brings it
// up, its stop takes it down): they run one at a time, after the others.
const onCluster = (f) => relative(dist, f).startsWith(join("test", "cluster") + "/");
const groups = [
  { files: files.filter((f) => !onCluster(f)), concurrency },
  { files: files.filter(onCluster), concurrency: "1" },
].filter((g) => g.files.length > 0);
let status = 0;
for (const g of groups) {
  const result = spawnSync(
    process.execPath,
    ["--test", "--enable-source-maps", `--test-concurrency=${g.concurrency}`, "--test-reporter=spec", ...g.files],
    { stdio: "inherit", cwd: root },
  );
  status ||= result.status ?? 1;
}
process.exit(status);
