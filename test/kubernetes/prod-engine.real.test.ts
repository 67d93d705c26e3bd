// The prod stack through the real Pulumi engine (CLI 3.259.0, Node.js language host, Kubernetes
// provider 4.25.0 from toolchain/install.sh) against a real kube-apiserver: preview, up, a second
// up that changes nothing, and a destroy that is refused. The stack file is the repository's
// Pulumi.prod.yaml with two changes: no renderYamlToDirectory (talk to the cluster) and
// target.skipAwait (no kubelet runs, so the provider must not wait for pods to become ready:
// readiness, rollouts and PVC binding are not checked here).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { engine, type Engine } from "../support/engine";
import { startApiServer, type ApiServer } from "../support/kube-apiserver";
import { readStackFileText, REPO_ROOT } from "../support/stack-files";

const PASSPHRASE = "ops-baseline-example";
let api: ApiServer;
let pulumi: Engine;
let configFile: string;

function localStackFile(): string {
  const text = readStackFileText("prod");
  const local = text.replace(
    /\n {4}# Cluster-less preview[^\n]*\n(?: {4}#[^\n]*\n)*? {4}renderYamlToDirectory: [^\n]+\n/,
    "\n    skipAwait: true\n",
  );
  assert.notEqual(local, text, "Pulumi.prod.yaml renders to a directory; the test points it at the API server");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-prod-")), "Pulumi.prod.yaml");
  fs.writeFileSync(file, local);
  return file;
}

function stackCommand(args: string[], timeoutMs = 600_000) {
  const started = Date.now();
  const result = pulumi.run([...args, "--stack", "prod", "--config-file", configFile], {
    passphrase: PASSPHRASE,
    timeoutMs,
  });
  return { ...result, seconds: (Date.now() - started) / 1000, output: result.stdout + result.stderr };
}

before(async () => {
  api = await startApiServer();
  // The provider reads the cluster from KUBECONFIG (the stack sets no kubernetes:kubeconfig).
  process.env.KUBECONFIG = api.kubeconfig;
  pulumi = engine();
  configFile = localStackFile();
  const init = pulumi.run(["stack", "init", "prod"], { passphrase: PASSPHRASE });
  assert.equal(init.status, 0, init.stderr);
});
after(async () => {
  pulumi?.cleanup();
  await api?.stop();
  if (configFile) fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
});

test("prod: pulumi preview against the API server plans every object", () => {
  const r = stackCommand(["preview"]);
  console.log(`# pulumi preview: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.status, 0, r.output);
  const creates = Number(/\+ (\d+) to create/.exec(r.output)?.[1]);
  assert.ok(creates > 60, `${creates} resources to create`);
});

test("prod: pulumi up creates everything; the API server holds the objects", async () => {
  const r = stackCommand(["up", "--yes"]);
  console.log(`# pulumi up: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /\+ \d+ created/);
  const ns = await api.request("GET", "/api/v1/namespaces/ops-baseline");
  assert.equal(ns.status, 200);
  assert.equal(ns.body.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  const deploy = await api.request("GET", "/apis/apps/v1/namespaces/ops-baseline/deployments/api");
  assert.equal(deploy.status, 200);
  assert.equal(deploy.body.metadata.annotations["pulumi.com/skipAwait"], "true");
  assert.equal(deploy.body.spec.template.spec.topologySpreadConstraints.length, 2);
  const policies = await api.request("GET", "/apis/networking.k8s.io/v1/namespaces/ops-baseline/networkpolicies");
  assert.ok(policies.body.items.length > 10);
});

test("prod: a second up changes nothing", () => {
  const r = stackCommand(["up", "--yes", "--expect-no-changes"]);
  console.log(`# second pulumi up: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /\d+ unchanged/);
  assert.doesNotMatch(r.output, /(updated|created|replaced|deleted)/);
});

test("prod: destroy is refused by the wrapper without the flag, and by the engine for the protected data", async () => {
  const wrapper = spawnSync("bash", [path.join(REPO_ROOT, "scripts/pulumi.sh"), "destroy", "prod"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${pulumi.backendDir}`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
  });
  assert.equal(wrapper.status, 3, wrapper.stderr);
  assert.match(wrapper.stderr, /refusing to destroy stack prod/);
  // Even past the wrapper, the engine will not delete the namespace or the data claims.
  const r = stackCommand(["destroy", "--yes"]);
  assert.notEqual(r.status, 0, "the engine refuses");
  assert.match(r.output, /cannot be deleted\s+because it is protected/);
  const ns = await api.request("GET", "/api/v1/namespaces/ops-baseline");
  assert.equal(ns.status, 200, "the namespace is still there");
  assert.equal(ns.body.status.phase, "Active");
  const claim = await api.request(
    "GET",
    "/api/v1/namespaces/ops-baseline/persistentvolumeclaims/postgres-backup-backups",
  );
  assert.equal(claim.status, 200, "the backup claim is still there");
});
