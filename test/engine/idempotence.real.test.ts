// Idempotence with the real engine (CLI, Node.js language host, Kubernetes provider from
// toolchain/install.sh): after `npm run up -- prod`, `npm run preview -- prod -- --expect-no-changes`
// passes. Prod's stack file renders manifests (renderYamlToDirectory), so no cluster is needed;
// the state lives in a throwaway file backend. The dev stack needs the Docker provider, which
// the Go module proxy does not serve: here its commands must stop at once and name it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { REPO_ROOT } from "../support/stack-files";

let home: string;
const RENDERED = path.join(REPO_ROOT, ".pulumi-state", "rendered", "prod");

before(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-idempotence-"));
  const check = spawnSync(
    "bash",
    [path.join(REPO_ROOT, "toolchain/install.sh"), "--check", "--require", "kubernetes"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(check.status, 0, `the engine for prod is incomplete; run: bash scripts/setup.sh\n${check.stderr}`);
  fs.rmSync(RENDERED, { recursive: true, force: true });
});

after(() => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** The engine in a throwaway backend and home, on the dist/ the test run already built. */
function engineEnv(extraEnv: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(home, "state")}`,
    PULUMI_HOME: path.join(home, "pulumi-home"),
    OPS_BASELINE_SKIP_BUILD: "1",
    // The example passphrase, given as CI gives its own: the wrapper refuses to fall back to it
    // when CI is set.
    PULUMI_CONFIG_PASSPHRASE: "ops-baseline-example",
    ...extraEnv,
  };
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return env;
}

function npmRun(args: string[], extraEnv: Record<string, string> = {}) {
  const env = engineEnv(extraEnv);
  fs.mkdirSync(path.join(home, "state"), { recursive: true });
  const t0 = Date.now();
  const r = spawnSync("npm", ["run", "-s", ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env,
    timeout: 600_000,
    maxBuffer: 64 * 1024 ** 2,
  });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

test("prod: up renders the manifests into the repository, and a second preview changes nothing", () => {
  const up = npmRun(["up", "--", "prod"]);
  assert.equal(up.status, 0, `npm run up -- prod:\n${up.stdout}\n${up.stderr}`);
  assert.match(up.stdout, /\+ \d+ created/);

  // The relative renderYamlToDirectory resolves against the project root, not dist/stacks.
  const manifests = fs.readdirSync(path.join(RENDERED, "1-manifest"));
  assert.ok(
    manifests.some((f) => /statefulset-.*postgres/.test(f)),
    manifests.join(", "),
  );
  assert.ok(!fs.existsSync(path.join(REPO_ROOT, "dist", "stacks", ".pulumi-state")), "nothing is rendered under dist/");

  // Rendered files are plain text: no secret value of the stack may appear in them.
  const config = npmRun(["pulumi", "--", "prod", "config", "--show-secrets", "--json"]);
  assert.equal(config.status, 0, config.stderr);
  const secretValues = Object.values(
    JSON.parse(JSON.parse(config.stdout)["ops-baseline:secrets"].value) as Record<string, string>,
  );
  assert.ok(secretValues.length >= 3);
  for (const dir of fs.readdirSync(RENDERED)) {
    for (const file of fs.readdirSync(path.join(RENDERED, dir))) {
      const text = fs.readFileSync(path.join(RENDERED, dir, file), "utf8");
      const b64 = (v: string) => Buffer.from(v).toString("base64");
      for (const v of secretValues) {
        assert.ok(!text.includes(v) && !text.includes(b64(v)), `${dir}/${file} holds a secret value`);
      }
    }
  }

  const preview = npmRun(["preview", "--", "prod", "--", "--expect-no-changes"]);
  assert.equal(preview.status, 0, `a second preview wants changes:\n${preview.stdout}\n${preview.stderr}`);
  assert.match(preview.stdout, /\b(\d+) unchanged/);

  // The same through the drift check (render mode: a preview instead of a refresh).
  const drift = spawnSync("bash", [path.join(REPO_ROOT, "scripts/drift.sh"), "prod"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: engineEnv(),
    maxBuffer: 64 * 1024 ** 2,
  });
  assert.equal(drift.status, 0, `drift check of an unchanged prod:\n${drift.stderr}`);
  const digest = JSON.parse(drift.stdout) as { changeSummary: Record<string, number> };
  const created = Number(/\+ (\d+) created/.exec(up.stdout)![1]);
  assert.deepEqual(digest.changeSummary, { same: created }, "every created resource is unchanged");

  // The check can fail: a forced replacement is a change, and --expect-no-changes says so. A
  // ConfigMap, not a Namespace: the stack's namespace is protected, and replacing it is refused.
  const urns = npmRun(["pulumi", "--", "prod", "stack", "--show-urns"]);
  const configMap = /urn:pulumi:prod::ops-baseline::\S*kubernetes:core\/v1:ConfigMap::\S+/.exec(urns.stdout)?.[0];
  assert.ok(configMap, `no ConfigMap among the stack's URNs:\n${urns.stdout}\n${urns.stderr}`);
  const forced = npmRun(["preview", "--", "prod", "--expect-no-changes", "--replace", configMap]);
  assert.notEqual(forced.status, 0, "a preview with a replacement passes --expect-no-changes");
  assert.match(forced.stdout + forced.stderr, /no changes were expected.* but changes were proposed/i);
});

test("dev: without the Docker provider, preview stops at once and names what is missing", () => {
  const r = npmRun(["preview", "--", "dev"], { OPS_BASELINE_NO_DOWNLOAD: "1" });
  const docker = spawnSync("bash", [path.join(REPO_ROOT, "toolchain/install.sh"), "--check", "--require", "docker"]);
  if (docker.status === 0) {
    // A machine with the Docker provider (e.g. a CI runner that downloaded it) previews dev.
    assert.equal(r.status, 0, r.stderr);
    return;
  }
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /missing: pulumi-resource-docker v4\.11\.2/);
  assert.match(r.stderr, /'preview' of dev needs/);
  assert.ok(r.seconds < 30, `took ${r.seconds} s`);
});
