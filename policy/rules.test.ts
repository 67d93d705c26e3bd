import assert from "node:assert/strict";
import { test } from "node:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, STACKS } from "../test/support/stack-files";
import { runProgram } from "../test/support/program";
import {
  cappedLogs,
  dataStoresHaveBackups,
  healthChecks,
  kubernetesProduction,
  noPlaintextSecretEnv,
  pinnedImages,
  resourceLimits,
  type Resource,
} from "./rules";

const container = (props: Record<string, unknown>): Resource => ({
  type: "docker:index/container:Container",
  name: "api",
  props: {
    image: "ops-baseline/api:0.1.0",
    memory: 256,
    cpus: "0.5",
    healthcheck: { tests: ["CMD", "true"] },
    logOpts: { "max-size": "9765k", "max-file": "5" },
    labels: [],
    ...props,
  },
});

const deployment = (container: Record<string, unknown>, extra: Record<string, unknown> = {}): Resource => ({
  type: "kubernetes:apps/v1:Deployment",
  name: "deployment-api",
  props: {
    metadata: { labels: { "app.kubernetes.io/component": "service", "app.kubernetes.io/name": "api" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "app.kubernetes.io/name": "api" } },
      template: {
        spec: {
          securityContext: { runAsNonRoot: true },
          containers: [{ name: "api", image: "api:1.0.0", ...container }],
        },
      },
      ...extra,
    },
  },
});

const pdb: Resource = {
  type: "kubernetes:policy/v1:PodDisruptionBudget",
  name: "pdb-api",
  props: { spec: { selector: { matchLabels: { "app.kubernetes.io/name": "api" } } } },
};
const denyAll: Resource = {
  type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  name: "default-deny",
  props: { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
};

test("resource limits", () => {
  assert.deepEqual(resourceLimits(container({})), []);
  assert.deepEqual(resourceLimits(container({ memory: undefined })), ["api: no memory limit"]);
  assert.deepEqual(resourceLimits(deployment({ resources: { limits: { cpu: "1", memory: "1Gi" } } })), []);
  assert.equal(resourceLimits(deployment({ resources: { requests: { cpu: "1" } } })).length, 1);
});

test("health checks", () => {
  assert.deepEqual(healthChecks(container({})), []);
  assert.deepEqual(healthChecks(container({ healthcheck: undefined })), ["api: no healthcheck"]);
  assert.deepEqual(
    healthChecks(
      container({ healthcheck: undefined, labels: [{ label: "ops-baseline/schedule", value: "* * * * *" }] }),
    ),
    [],
  );
  assert.deepEqual(healthChecks(deployment({ livenessProbe: {}, readinessProbe: {} })), []);
  assert.equal(healthChecks(deployment({ livenessProbe: {} })).length, 1);
});

test("pinned images", () => {
  assert.deepEqual(pinnedImages(container({})), []);
  assert.match(pinnedImages(container({ image: "api:latest" }))[0], /latest/);
  assert.match(pinnedImages(deployment({ image: "api" }))[0], /no tag/);
});

test("capped logs", () => {
  assert.deepEqual(cappedLogs(container({})), []);
  assert.equal(cappedLogs(container({ logOpts: {} })).length, 1);
});

test("no plain-text secret in an environment variable", () => {
  assert.deepEqual(
    noPlaintextSecretEnv(
      deployment({ env: [{ name: "DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: "x", key: "y" } } }] }),
    ),
    [],
  );
  assert.equal(noPlaintextSecretEnv(deployment({ env: [{ name: "DATABASE_PASSWORD", value: "hunter2" }] })).length, 1);
});

test("every data store has a backup", () => {
  const store: Resource = {
    type: "kubernetes:apps/v1:StatefulSet",
    name: "sts-pg",
    props: {
      metadata: { labels: { "app.kubernetes.io/component": "datastore", "app.kubernetes.io/name": "postgres" } },
    },
  };
  const backup: Resource = {
    type: "kubernetes:batch/v1:CronJob",
    name: "cj",
    props: { metadata: { labels: { "ops-baseline/backup-of": "postgres" } } },
  };
  assert.deepEqual(dataStoresHaveBackups([store, backup]), []);
  assert.deepEqual(dataStoresHaveBackups([store]), ["data store postgres has no backup"]);
});

test("production: replicas, PDB, non-root, default deny", () => {
  const good = deployment({});
  assert.deepEqual(kubernetesProduction([good, pdb, denyAll]), []);
  assert.deepEqual(kubernetesProduction([deployment({}, { replicas: 1 }), denyAll]), [
    "deployment-api: a stateless workload needs at least 2 replicas, has 1",
  ]);
  assert.match(kubernetesProduction([good, denyAll]).join(), /no PodDisruptionBudget/);
  assert.match(kubernetesProduction([good, pdb]).join(), /no default-deny NetworkPolicy/);
});

test("production: a workload with a persistent volume is stateful: a StatefulSet with an fsGroup, one replica allowed", () => {
  const claimTemplates = { volumeClaimTemplates: [{ metadata: { name: "data" } }] };
  const broker = (fsGroup: number | undefined): Resource => {
    const d = deployment({}, { replicas: 1, ...claimTemplates });
    d.type = "kubernetes:apps/v1:StatefulSet";
    d.props.spec.template.spec.securityContext = { runAsNonRoot: true, fsGroup };
    return d;
  };
  assert.deepEqual(kubernetesProduction([broker(999), denyAll]), []);
  assert.deepEqual(kubernetesProduction([broker(undefined), denyAll]), [
    "deployment-api: has a persistent volume (data) but no fsGroup, so the volume stays root's and a non-root process cannot write it; set securityContext.fsGroup",
  ]);
  // The same service as a Deployment sharing one claim is refused, and not as "stateless".
  const shared = deployment({}, { replicas: 1 });
  shared.props.spec.template.spec.volumes = [{ name: "data", persistentVolumeClaim: { claimName: "broker-data" } }];
  shared.props.spec.template.spec.securityContext.fsGroup = 999;
  const problems = kubernetesProduction([shared, denyAll]);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /mounts the persistent volume claim broker-data from a Deployment/);
});

test("production: a dev-profile namespace exempts one replica, nothing else", () => {
  const devNamespace: Resource = {
    type: "kubernetes:core/v1:Namespace",
    name: "ops-baseline-lab",
    props: { metadata: { labels: { "ops-baseline/profile": "dev" } } },
  };
  const prodNamespace: Resource = {
    ...devNamespace,
    props: { metadata: { labels: { "ops-baseline/profile": "prod" } } },
  };
  const single = deployment({}, { replicas: 1 });
  assert.deepEqual(kubernetesProduction([devNamespace, single, denyAll]), []);
  assert.match(kubernetesProduction([prodNamespace, single, denyAll]).join(), /at least 2 replicas, has 1/);
  assert.match(kubernetesProduction([devNamespace, single]).join(), /no default-deny NetworkPolicy/);
});

for (const stack of STACKS) {
  test(`${stack}: the stack's own resources pass every policy`, async () => {
    const run = await runProgram(stack);
    const resources = run.resources.map((r) => ({
      type: r.type,
      name: r.name,
      props: r.inputs as Record<string, any>,
    }));
    const problems = [
      ...resources.flatMap((r) => [
        ...resourceLimits(r),
        ...healthChecks(r),
        ...pinnedImages(r),
        ...cappedLogs(r),
        ...noPlaintextSecretEnv(r),
      ]),
      ...dataStoresHaveBackups(resources),
      ...kubernetesProduction(resources),
    ];
    assert.deepEqual(problems, []);
  });
}

test("the pack's package.json carries a version, which the engine requires to load a policy pack", () => {
  // Without it `pulumi preview --policy-pack policy` stops with "Version must be defined in the
  // package.json file" before any policy runs.
  const pack = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8"));
  const project = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  assert.match(String(pack.version), /^\d+\.\d+\.\d+$/, "policy/package.json: version must be a semver version");
  assert.equal(pack.version, project.version, "policy/package.json: version follows the project's version");
});
