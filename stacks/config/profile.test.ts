// Any stack name: `profile` picks the defaults, the file may pick its target, and the stack name
// is the environment name in labels, object names and namespaces.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConfigEdit, editedStackInput, loaderProblems } from "../../test/support/stack-files";
import { loadStackConfig } from "./load";

/** A repository stack file under another stack name, after `edit` changed its parsed YAML. */
const renamed = (from: string, to: string, edit: ConfigEdit = () => {}) => editedStackInput(from, edit, to);
const problems = loaderProblems;

test("dev and prod need no profile: it defaults to the stack name", () => {
  const dev = loadStackConfig(renamed("dev", "dev"));
  const prod = loadStackConfig(renamed("prod", "prod"));
  assert.deepEqual([dev.profile, dev.environment, dev.target.kind], ["dev", "dev", "docker"]);
  assert.deepEqual([prod.profile, prod.environment, prod.target.kind], ["prod", "prod", "kubernetes"]);
  assert.equal(dev.alerts.runbookBaseUrl, "docs/stacks/dev/RUNBOOK.md");
  assert.equal(prod.alerts.runbookBaseUrl, "docs/stacks/prod/RUNBOOK.md");
  assert.equal(prod.target.kind === "kubernetes" && prod.target.namespace, "ops-baseline");
  assert.equal(prod.target.kind === "kubernetes" && prod.target.clusterMonitoring.nodeNamespace, "ops-baseline-node");
});

test("staging with the prod profile: prod's defaults, its own name, namespace and runbook path", () => {
  const staging = loadStackConfig(
    renamed("prod", "staging", (c) => {
      c["ops-baseline:profile"] = "prod";
      delete c["ops-baseline:target"].namespace;
    }),
  );
  assert.equal(staging.environment, "staging");
  assert.equal(staging.profile, "prod");
  assert.equal(staging.services.api.replicas, 2, "prod profile: two replicas");
  assert.equal(staging.monitoring.scrapeInterval, 30, "prod profile: 30 s scrapes");
  assert.equal(staging.alerts.runbookBaseUrl, "docs/stacks/staging/RUNBOOK.md");
  assert.ok(staging.target.kind === "kubernetes");
  assert.equal(staging.target.namespace, "ops-baseline-staging");
  assert.equal(staging.target.clusterMonitoring.nodeNamespace, "ops-baseline-staging-node");
  assert.equal(staging.target.protectData, true);
});

test("a dev-profile stack may run on Kubernetes and a prod-profile stack on Docker", () => {
  const devOnKube = loadStackConfig(
    renamed("dev", "lab", (c) => {
      c["ops-baseline:profile"] = "dev";
      c["ops-baseline:target"] = { kind: "kubernetes" };
      c["ops-baseline:rules"] = { allowHostPorts: false };
      for (const s of Object.values<any>(c["ops-baseline:services"])) for (const p of s.ports) delete p.hostPort;
      for (const s of Object.values<any>(c["ops-baseline:dataStores"])) delete s.hostPort;
      c["ops-baseline:monitoring"] = { ...c["ops-baseline:monitoring"], prometheus: {}, alertmanager: {} };
      c["ops-baseline:logging"] = { store: { hostPort: undefined } };
    }),
  );
  assert.equal(devOnKube.profile, "dev");
  assert.equal(devOnKube.services.api.replicas, 1, "dev profile: one replica");
  assert.ok(devOnKube.target.kind === "kubernetes");
  assert.equal(devOnKube.target.namespace, "ops-baseline-lab");
  assert.equal(devOnKube.target.protectData, true, "Kubernetes target defaults, whatever the profile");

  const prodOnDocker = loadStackConfig(
    renamed("prod", "prod-eu", (c) => {
      c["ops-baseline:profile"] = "prod";
      c["ops-baseline:target"] = { kind: "docker" };
    }),
  );
  assert.equal(prodOnDocker.environment, "prod-eu");
  assert.deepEqual(prodOnDocker.target, {
    kind: "docker",
    host: "unix:///var/run/docker.sock",
    bindAddress: "127.0.0.1",
    containerLogDir: "/var/lib/docker/containers",
  });
  assert.equal(prodOnDocker.services.api.replicas, 2);
});

test("a stack of another name without profile, a bad profile, the old environment key and a bad stack name are refused", () => {
  assert.deepEqual(problems(renamed("prod", "staging")), [
    'Pulumi.staging.yaml: ops-baseline:profile: is not set, and stack "staging" is not named after a profile; set ops-baseline:profile to one of dev, prod (dev: dev-like defaults on Docker, prod: prod-like defaults on Kubernetes; target may be set either way)',
  ]);
  assert.deepEqual(problems(renamed("prod", "staging", (c) => (c["ops-baseline:profile"] = "production"))), [
    'Pulumi.staging.yaml: ops-baseline:profile: must be one of dev, prod, not "production"',
  ]);
  const old = problems(renamed("dev", "dev", (c) => (c["ops-baseline:environment"] = "dev")));
  assert.equal(old.length, 1, old.join("\n"));
  assert.match(
    old[0],
    /^Pulumi\.dev\.yaml: ops-baseline:environment: is not a stack file key: the environment name is the stack name \("dev"\); pick the defaults with ops-baseline:profile/,
  );
  const bad = problems(renamed("dev", "Staging_EU", (c) => (c["ops-baseline:profile"] = "prod")));
  assert.match(
    bad.join("\n"),
    /ops-baseline:profile: stack name "Staging_EU" is the environment name .* rename the stack file/,
  );
});

test("a dev-profile stack of another name gets dev's service defaults", () => {
  const config = loadStackConfig(renamed("dev", "qa", (c) => (c["ops-baseline:profile"] = "dev")));
  assert.equal(config.environment, "qa");
  assert.equal(config.services.api.restart, "unless-stopped", "dev profile");
});
