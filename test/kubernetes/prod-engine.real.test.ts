// The prod stack through the real Pulumi engine (CLI 3.259.0, Node.js language host, Kubernetes
// provider 4.25.0 from toolchain/install.sh) against a real kube-apiserver: preview, up, a second
// up that changes nothing, and a destroy that is refused. The stack file is the repository's
// Pulumi.prod.yaml with two changes: no renderYamlToDirectory (talk to the cluster) and
// target.skipAwait (no kubelet runs, so the provider must not wait for pods to become ready:
// readiness, rollouts and PVC binding are not checked here).
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { PROD_PASSPHRASE, startClusterStack, type ClusterStack } from "../support/cluster-stack";
import { REPO_ROOT } from "../support/stack-files";

let cluster: ClusterStack;
let api: ClusterStack["api"];
let pulumi: ClusterStack["pulumi"];
const stackCommand = (args: string[], timeoutMs?: number) => cluster.command(args, timeoutMs);

before(async () => {
  cluster = await startClusterStack("prod");
  ({ api, pulumi } = cluster);
});
after(async () => {
  await cluster?.stop();
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
    env: {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${pulumi.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: PROD_PASSPHRASE,
    },
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
