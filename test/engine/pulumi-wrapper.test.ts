// scripts/pulumi.sh's guards, which run before the engine: a destroy of a stack that holds data
// needs an explicit flag and never gets --yes added, and CI never falls back to the published
// example passphrase. (The engine itself refusing the protected namespace and claims is shown
// against the real API server in test/kubernetes.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
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

/** The wrapper and its helper in a directory of their own, beside the given stack files. */
function wrapperWithStacks(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-wrapper-"));
  fs.mkdirSync(path.join(dir, "scripts"));
  for (const script of ["pulumi.sh", "stack-facts.mjs"]) {
    fs.copyFileSync(path.join(REPO_ROOT, "scripts", script), path.join(dir, "scripts", script));
  }
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const run = (args: string[]) =>
    spawnSync("bash", [path.join(dir, "scripts/pulumi.sh"), ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, OPS_BASELINE_DRY_RUN: "1", PULUMI_CONFIG_PASSPHRASE: "x", CI: "" },
    });
  return { run, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test("any stack name: destroy is guarded for every profile but dev, whatever the name", (t) => {
  const w = wrapperWithStacks({
    "Pulumi.staging.yaml": "config:\n  ops-baseline:profile: prod\n",
    "Pulumi.prod-eu.yaml": "config:\n  ops-baseline:profile: prod\n  ops-baseline:target:\n    kind: docker\n",
    "Pulumi.lab.yaml": "config:\n  ops-baseline:profile: dev\n  ops-baseline:target:\n    kind: kubernetes\n",
    "Pulumi.dev.yaml": "config:\n  ops-baseline:profile: prod\n",
    "Pulumi.qa.yaml": "config: {}\n",
  });
  t.after(w.cleanup);
  for (const stack of ["staging", "prod-eu", "dev", "qa"]) {
    const refused = w.run(["destroy", stack]);
    assert.equal(refused.status, 3, `${stack}: ${refused.stderr}`);
    assert.match(refused.stderr, new RegExp(`refusing to destroy stack ${stack} \\(profile (prod|unknown)\\)`));
    assert.equal(
      w.run(["destroy", stack, `--confirm-destroy=${stack}`]).stdout.trim(),
      `pulumi destroy --stack ${stack}`,
    );
  }
  const lab = w.run(["destroy", "lab"]);
  assert.equal(lab.status, 0, lab.stderr);
  assert.equal(lab.stdout.trim(), "pulumi destroy --stack lab", "a dev-profile stack is destroyed without the flag");
});

test("stack-facts: the profile and the target kind of a stack file, by key or by default", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-facts-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const facts = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    const r = spawnSync("node", [path.join(REPO_ROOT, "scripts/stack-facts.mjs"), path.join(dir, name)], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(facts("Pulumi.dev.yaml", "config: {}\n"), "dev docker");
  assert.equal(facts("Pulumi.prod.yaml", "config: {}\n"), "prod kubernetes");
  assert.equal(facts("Pulumi.staging.yaml", "config:\n  ops-baseline:profile: prod\n"), "prod kubernetes");
  assert.equal(
    facts("Pulumi.lab.yaml", "config:\n  ops-baseline:profile: dev\n  ops-baseline:target:\n    kind: kubernetes\n"),
    "dev kubernetes",
  );
  assert.equal(facts("Pulumi.qa.yaml", "config: {}\n"), "unknown unknown");
  assert.equal(facts("Pulumi.x.yaml", "config:\n  ops-baseline:profile: staging\n"), "unknown unknown");
});
