// The workflows preview and drift-check every stack file, whatever its name: their matrix comes
// from `node scripts/stack-facts.mjs --matrix`, and each stack reads its own passphrase secret.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT, STACKS } from "../support/stack-files";

function matrix(dir: string, ...flags: string[]): Array<{ stack: string; passphraseSecret: string }> {
  const r = spawnSync("node", [path.join(REPO_ROOT, "scripts/stack-facts.mjs"), "--matrix", ...flags], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("the matrix lists every stack file with a passphrase secret name GitHub accepts", (t) => {
  assert.deepEqual(
    matrix(REPO_ROOT).map((m) => m.stack),
    [...STACKS],
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-matrix-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod-eu.yaml", "Pulumi.staging.yaml", "README.md"]) {
    fs.writeFileSync(path.join(dir, f), "config: {}\n");
  }
  assert.deepEqual(matrix(dir), [
    { stack: "dev", passphraseSecret: "PULUMI_PASSPHRASE_dev" },
    { stack: "prod-eu", passphraseSecret: "PULUMI_PASSPHRASE_prod_eu" },
    { stack: "staging", passphraseSecret: "PULUMI_PASSPHRASE_staging" },
  ]);
  // Split by target: dev's profile puts it on Docker, the others name no profile that would.
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config:\n  ops-baseline:profile: dev\n");
  assert.deepEqual(
    matrix(dir, "--docker").map((m) => m.stack),
    ["dev", "staging"],
  );
  assert.deepEqual(
    matrix(dir, "--no-docker").map((m) => m.stack),
    ["prod-eu"],
  );
});

test("preview and drift run for the stacks the matrix lists, not a fixed list", () => {
  for (const file of ["preview.yml", "drift.yml"]) {
    const wf = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", file), "utf8"));
    const list = wf.jobs.stacks.steps.find((s: { id?: string }) => s.id === "list");
    assert.match(list.run, /node scripts\/stack-facts\.mjs --matrix/, file);
    const job = Object.entries<any>(wf.jobs).find(([name]) => name !== "stacks")![1];
    assert.equal(job.needs, "stacks", file);
    assert.equal(job.strategy.matrix.include, "${{ fromJSON(needs.stacks.outputs.matrix) }}", file);
    assert.equal(job.strategy.matrix.stack, undefined, `${file}: no fixed stack list`);
    assert.equal(job.env.PULUMI_CONFIG_PASSPHRASE, "${{ secrets[matrix.passphraseSecret] }}", file);
  }
});
