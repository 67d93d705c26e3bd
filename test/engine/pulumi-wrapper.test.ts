// scripts/pulumi.sh's guards, which run before the engine: a destroy of a stack that holds data
// needs an explicit flag and never gets --yes added, and CI never falls back to the published
// example passphrase. (The engine itself refusing the protected namespace and claims is shown
// against the real API server in test/kubernetes.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../support/stack-files";

function wrapper(args: string[], env: Record<string, string | undefined> = {}) {
  const base = { ...process.env, OPS_BASELINE_DRY_RUN: "1" } as Record<string, string | undefined>;
  delete base.PULUMI_CONFIG_PASSPHRASE;
  delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
  delete base.CI;
  const merged = Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined));
  return spawnSync("bash", [path.join(REPO_ROOT, "scripts/pulumi.sh"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: merged as NodeJS.ProcessEnv,
  });
}

test("destroy of prod is refused without --confirm-destroy=prod", () => {
  const r = wrapper(["destroy", "prod"]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /refusing to destroy stack prod.*--confirm-destroy=prod/);
  assert.equal(r.stdout, "", "no pulumi command");
  const wrongStack = wrapper(["destroy", "prod", "--confirm-destroy=dev"]);
  assert.equal(wrongStack.status, 3, "the flag must name the stack");
});

test("a confirmed destroy runs pulumi destroy without --yes (the engine asks)", () => {
  const r = wrapper(["destroy", "prod", "--confirm-destroy=prod"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "pulumi destroy --stack prod");
  const dev = wrapper(["destroy", "dev"]);
  assert.equal(dev.stdout.trim(), "pulumi destroy --stack dev");
});

test("CI without a prod passphrase fails instead of using the example passphrase", () => {
  const ci = wrapper(["preview", "prod"], { CI: "true" });
  assert.equal(ci.status, 1);
  assert.match(ci.stderr, /refusing to fall back to the published example passphrase/);
  const set = wrapper(["preview", "prod"], { CI: "true", PULUMI_CONFIG_PASSPHRASE: "from-a-ci-secret" });
  assert.equal(set.status, 0, set.stderr);
  const local = wrapper(["preview", "prod"]);
  assert.equal(local.status, 0);
  assert.match(local.stderr, /using the example passphrase/);
});
