// A stack of another name through the real Pulumi engine against a real kube-apiserver: the
// repository's Pulumi.prod.yaml as `Pulumi.staging.yaml` with `profile: prod` and no namespace of
// its own. The stack name is the environment name: the namespace (`ops-baseline-staging`), the
// node-exporter namespace, the labels and Prometheus' external label follow it, and the prod
// profile's defaults (two replicas, protected data) apply. Helpers: test/support/cluster-stack.ts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startClusterStack, type ClusterStack } from "../support/cluster-stack";

let cluster: ClusterStack;
const NS = "ops-baseline-staging";

before(async () => {
  cluster = await startClusterStack("staging", (text) => {
    const edited = text
      .replace("config:\n", "config:\n  ops-baseline:profile: prod\n")
      .replace(/\n {4}namespace: ops-baseline\n/, "\n");
    assert.notEqual(edited.indexOf("ops-baseline:profile: prod"), -1);
    assert.doesNotMatch(edited, /namespace: ops-baseline\n/);
    return edited;
  });
});
after(async () => {
  await cluster?.stop();
});

test("staging: pulumi preview plans every object", () => {
  const r = cluster.command(["preview"]);
  console.log(`# staging pulumi preview: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.status, 0, r.output);
  assert.ok(Number(/\+ (\d+) to create/.exec(r.output)?.[1]) > 60, r.output);
});

test("staging: pulumi up creates everything under the stack's own names", async () => {
  const r = cluster.command(["up", "--yes"]);
  console.log(`# staging pulumi up: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.status, 0, r.output);
  const { api } = cluster;
  const ns = await api.request("GET", `/api/v1/namespaces/${NS}`);
  assert.equal(ns.status, 200, "the namespace is named after the stack");
  assert.equal(ns.body.metadata.labels["ops-baseline/environment"], "staging");
  assert.equal(ns.body.metadata.labels["ops-baseline/profile"], "prod");
  assert.equal((await api.request("GET", "/api/v1/namespaces/ops-baseline")).status, 404, "not prod's namespace");
  assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}-node`)).status, 200, "node-exporter's namespace");
  const deploy = await api.request("GET", `/apis/apps/v1/namespaces/${NS}/deployments/api`);
  assert.equal(deploy.status, 200);
  assert.equal(deploy.body.spec.replicas, 2, "prod profile: two replicas");
  assert.equal(deploy.body.metadata.labels["ops-baseline/environment"], "staging");
  const pdbs = await api.request("GET", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`);
  assert.ok(pdbs.body.items.length > 0, "prod profile: PodDisruptionBudgets");
  const configMaps = await api.request("GET", `/api/v1/namespaces/${NS}/configmaps`);
  const prometheusYml = configMaps.body.items
    .flatMap((c: { data?: Record<string, string> }) => Object.values(c.data ?? {}))
    .find((v: string) => v.includes("external_labels"));
  assert.match(prometheusYml ?? "", /environment: staging/, "Prometheus labels its series with the stack name");
});

test("staging: a second up changes nothing", () => {
  const r = cluster.command(["up", "--yes", "--expect-no-changes"]);
  console.log(`# staging second pulumi up: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.status, 0, r.output);
  assert.doesNotMatch(r.output, /(updated|created|replaced|deleted)/);
});

test("staging: the prod profile protects the data; a forced engine destroy leaves it", async () => {
  const r = cluster.command(["destroy", "--yes"]);
  assert.notEqual(r.status, 0, "the engine refuses");
  assert.match(r.output, /cannot be deleted\s+because it is protected/);
  const ns = await cluster.api.request("GET", `/api/v1/namespaces/${NS}`);
  assert.equal(ns.status, 200);
  assert.equal(ns.body.status.phase, "Active");
});
