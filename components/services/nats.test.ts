import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import type { RawConfig } from "../../stacks/config/defaults";
import { planEnvironment } from "../../stacks/plan";
import { brokerStackInput, NATS_STORE } from "../../test/support/broker-stack";
import { renderStackDocs } from "../../stacks/opsdocs";
import { readAttachments } from "../../tools/docs/stacks";
import { REPO_ROOT } from "../../test/support/stack-files";
import { renderNatsConfig } from "./nats";

const store = (values: RawConfig) => (values.dataStores as Record<string, RawConfig>)[NATS_STORE];

test("NATS: JetStream limits, client and monitoring ports, /healthz probes, a volume for the file store", () => {
  const plan = planEnvironment(loadStackConfig(brokerStackInput("dev")));
  const nats = plan.workloads.find((w) => w.name === NATS_STORE)!;
  assert.equal(nats.role, "datastore");
  assert.equal(nats.stateful, true);
  assert.deepEqual(
    nats.ports.map((p) => [p.name, p.containerPort]),
    [
      ["nats", 4222],
      ["monitoring", 8222],
    ],
  );
  assert.deepEqual(nats.health.readiness!.check, { type: "http", path: "/healthz", port: "monitoring" });
  assert.deepEqual(
    nats.volumes.map((v) => [v.mountPath, v.sizeBytes, v.persistent]),
    [["/data", 1024 ** 3, true]],
  );
  const conf = nats.files[0].content;
  assert.match(conf, /max_file_store: 536870912/);
  assert.match(conf, /max_memory_store: 67108864/);
  assert.match(conf, /http_port: 8222/);
  const exporter = plan.workloads.find((w) => w.name === `${NATS_STORE}-exporter`)!;
  assert.deepEqual(exporter.args, ["-varz", "-p", "7777", "http://bus:8222"]);
  assert.deepEqual(exporter.metrics, [{ port: "metrics", path: "/metrics", labels: { datastore: NATS_STORE } }]);
  assert.deepEqual(exporter.connectsTo, [NATS_STORE]);
  // NATS gets its rules; the stacks without NATS do not (golden files).
  const rules = plan.monitoring!.ruleFiles.find((f) => f.name === "datastores.rules.yml")!.content;
  const alerts = (parseYaml(rules) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> }).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert?.startsWith("Nats"));
  assert.deepEqual(
    alerts.map((a) => a.alert),
    [
      "NatsServerDown",
      "NatsSlowConsumers",
      "NatsJetStreamStorageHigh",
      "NatsJetStreamStorageCritical",
      "NatsJetStreamMemoryHigh",
      "NatsConnectionsHigh",
    ],
  );
  assert.equal(
    alerts[0].expr,
    'probe_success{job="bus-healthz",datastore="bus"} == 0 or absent(probe_success{job="bus-healthz",datastore="bus"})',
  );
  const plain = planEnvironment(
    loadStackConfig(brokerStackInput("dev", (v) => delete (v.dataStores as RawConfig)[NATS_STORE])),
  );
  assert.ok(!plain.monitoring!.ruleFiles.some((f) => f.content.includes("gnatsd_")), "no NATS rule without NATS");
});

test("NATS on Kubernetes: a StatefulSet with a claim, reached by its exporter only", () => {
  const plan = planEnvironment(loadStackConfig(brokerStackInput("prod")));
  const nats = plan.workloads.find((w) => w.name === NATS_STORE)!;
  assert.equal(nats.stateful, true);
  const exporter = plan.workloads.find((w) => w.name === `${NATS_STORE}-exporter`)!;
  assert.equal(exporter.image.ref, "docker.io/natsio/prometheus-nats-exporter:0.17.3");
});

test("a token from a secret makes the configuration a secret file", () => {
  const text = renderNatsConfig("bus", {
    ...loadStackConfig(brokerStackInput("dev")).dataStores[NATS_STORE],
    passwordSecret: "natsToken",
  } as Parameters<typeof renderNatsConfig>[1]);
  assert.match(text, /authorization \{ token: "\$\{secret:natsToken\}" \}/);
});

test("bad NATS settings: one message per problem, naming the file and the key", () => {
  let message = "";
  try {
    loadStackConfig(
      brokerStackInput("dev", (v) => {
        const s = store(v);
        s.jetstream = { maxFileStore: "2Gi", maxMemoryStore: "400Mi", maxStreams: 3 };
      }),
    );
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    message = e.message;
  }
  assert.match(
    message,
    /ops-baseline:dataStores\.bus\.jetstream\.maxStreams: unknown key; expected one of: maxFileStore, maxMemoryStore/,
  );
  try {
    loadStackConfig(
      brokerStackInput("dev", (v) => {
        store(v).jetstream = { maxFileStore: "2Gi", maxMemoryStore: "400Mi" };
      }),
    );
    assert.fail("accepted");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(
      e.problems.map((p) => p.path),
      ["dataStores.bus.jetstream.maxFileStore", "dataStores.bus.jetstream.maxMemoryStore"],
    );
    assert.match(
      e.message,
      /Pulumi\.dev\.yaml: ops-baseline:dataStores\.bus\.jetstream\.maxFileStore: 2147483648 bytes does not fit in storage/,
    );
  }
});

test("the operations document says JetStream's store is not backed up", () => {
  const config = loadStackConfig(brokerStackInput("dev"));
  const docs = renderStackDocs({
    stack: "dev",
    stackFile: "Pulumi.dev.yaml",
    plan: planEnvironment(config),
    attachments: readAttachments(config, REPO_ROOT),
    regenerate: "npm run docs",
  });
  assert.match(docs.get("OPERATIONS.md")!, /Backups of NATS JetStream's store \(`bus`\): none are made/);
});
