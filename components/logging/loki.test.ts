// The log store as planned for both stacks: retention from the stack file, the collector on each
// target, the Grafana datasource, the log-pattern rule; and the errors a bad stack file gets.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { loadRepoStack, readStackFileText, REPO_ROOT, stackFileInputFromText } from "../../test/support/stack-files";
import { UPSTREAM_IMAGES, VERSIONS } from "../monitoring/versions";
import { LOKI_CONFIG, LOKI_RULE_FILE, PROMTAIL_CONFIG } from "./loki";

function loadEdited(stack: string, edit: (config: Record<string, any>) => void) {
  const doc = parseYaml(readStackFileText(stack));
  edit(doc.config);
  return loadStackConfig(stackFileInputFromText(stack, stringify(doc)));
}

test("retention comes from the stack file: 7 days in dev, 30 in prod, enforced by the compactor", () => {
  for (const [stack, hours] of [
    ["dev", 168],
    ["prod", 720],
  ] as const) {
    assert.match(readStackFileText(stack), /store:\n\s+retention: \d+d/);
    const loki = planEnvironment(loadRepoStack(stack)).workloads.find((w) => w.name === "loki")!;
    const config = parseYaml(loki.files.find((f) => f.path === LOKI_CONFIG)!.content);
    assert.equal(config.limits_config.retention_period, `${hours}h`);
    assert.equal(config.compactor.retention_enabled, true);
    assert.equal(config.ruler.alertmanager_url, "http://alertmanager:9093");
  }
  const edited = loadEdited("dev", (c) => (c["ops-baseline:logging"].store.retention = "14d"));
  const loki = planEnvironment(edited).workloads.find((w) => w.name === "loki")!;
  assert.match(loki.files.find((f) => f.path === LOKI_CONFIG)!.content, /retention_period: 336h/);
});

test("a retention that is not whole days is an error naming the key and what is right", () => {
  assert.throws(
    () => loadEdited("prod", (c) => (c["ops-baseline:logging"].store.retention = "36h")),
    (e: unknown) =>
      e instanceof ConfigError && /logging\.store\.retention/.test(e.message) && /whole number of days/.test(e.message),
  );
});

test("dev collects through the Docker API; prod runs a DaemonSet over /var/log/pods in its own namespace", () => {
  const dev = planEnvironment(loadRepoStack("dev"));
  const promtail = dev.workloads.find((w) => w.name === "promtail")!;
  assert.deepEqual(
    promtail.volumes.find((v) => v.hostPath)?.hostPath,
    "/var/run/docker.sock",
    "the Docker socket is bind-mounted",
  );
  const config = parseYaml(promtail.files.find((f) => f.path === PROMTAIL_CONFIG)!.content);
  const targets = config.scrape_configs[0].relabel_configs.map((r: { target_label: string }) => r.target_label);
  assert.ok(targets.includes("service") && targets.includes("environment"));
  assert.deepEqual(config.scrape_configs[0].docker_sd_configs[0].filters, [
    { name: "label", values: ["ops-baseline/environment=dev"] },
  ]);
  assert.equal(dev.kubernetesObjects.length, 0);

  const prod = planEnvironment(loadRepoStack("prod"));
  assert.equal(
    prod.workloads.some((w) => w.name === "promtail"),
    false,
  );
  const ds = prod.kubernetesObjects.find((o) => o.kind === "DaemonSet")!;
  assert.equal(ds.metadata.namespace, "ops-baseline-logging");
  assert.deepEqual(ds.spec.template.spec.volumes.find((v: { name: string }) => v.name === "pods").hostPath, {
    path: "/var/log/pods",
    type: "Directory",
  });
  const ns = prod.kubernetesObjects.find((o) => o.kind === "Namespace")!;
  assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
  const cm = prod.kubernetesObjects.find((o) => o.kind === "ConfigMap")!;
  const kube = parseYaml(cm.data["promtail.yml"]);
  assert.equal(kube.clients[0].url, "http://loki.ops-baseline.svc.cluster.local:3100/loki/api/v1/push");
  // Loki admits the collector's namespace on its port; the application namespace stays default-deny.
  const ingress = prod.kubernetesObjects.find((o) => o.metadata.name === "loki-from-collector")!;
  assert.equal(ingress.metadata.namespace, "ops-baseline");
});

test("Grafana gets a Loki datasource; the ruler has the log-pattern rule; images follow the one version set", () => {
  const prod = planEnvironment(loadRepoStack("prod"));
  const grafana = prod.workloads.find((w) => w.name === "grafana")!;
  const ds = parseYaml(grafana.files.find((f) => f.path.endsWith("datasources/prometheus.yml"))!.content);
  assert.deepEqual(
    ds.datasources.map((d: { type: string; url: string }) => [d.type, d.url]),
    [
      ["prometheus", "http://prometheus:9090"],
      ["loki", "http://loki:3100"],
    ],
  );
  assert.ok(grafana.connectsTo.includes("loki"));
  const loki = prod.workloads.find((w) => w.name === "loki")!;
  assert.equal(loki.image.ref, UPSTREAM_IMAGES.loki);
  const rules = parseYaml(loki.files.find((f) => f.path === LOKI_RULE_FILE)!.content);
  assert.match(rules.groups[0].rules[0].expr, /\{environment="prod"\} \|~ "\(\?i\)\(panic\|fatal\|out of memory\)"/);
  const dev = planEnvironment(loadRepoStack("dev"));
  assert.equal(dev.workloads.find((w) => w.name === "loki")!.image.ref, `ops-baseline/loki:${VERSIONS.loki}-bookworm`);
});

test("the TypeScript version set equals toolchain/observability/versions.env, which the build uses", () => {
  const env = fs.readFileSync(path.join(REPO_ROOT, "toolchain", "observability", "versions.env"), "utf8");
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(env)?.[1];
  assert.equal(value("PROMETHEUS_VERSION"), VERSIONS.prometheus);
  assert.equal(value("ALERTMANAGER_VERSION"), VERSIONS.alertmanager);
  assert.equal(value("NODE_EXPORTER_VERSION"), VERSIONS.nodeExporter);
  assert.equal(value("LOKI_VERSION"), VERSIONS.loki);
  // Prometheus 3.x modules are v0.3XX.Y; the image tags name the same version.
  const [maj, min, patch] = VERSIONS.prometheus.split(".");
  assert.equal(
    value("PROMETHEUS_MODULE"),
    `github.com/prometheus/prometheus@v0.${maj}${min.padStart(2, "0")}.${patch}`,
  );
  for (const [name, ref] of Object.entries(UPSTREAM_IMAGES)) {
    assert.match(ref, /@sha256:[a-f0-9]{64}$/, `${name} is pinned by digest`);
  }
  assert.ok(UPSTREAM_IMAGES.prometheus.includes(`:v${VERSIONS.prometheus}@`));
  assert.ok(UPSTREAM_IMAGES.alertmanager.includes(`:v${VERSIONS.alertmanager}@`));
  assert.ok(UPSTREAM_IMAGES.nodeExporter.includes(`:v${VERSIONS.nodeExporter}@`));
  assert.ok(UPSTREAM_IMAGES.loki.includes(`:${VERSIONS.loki}@`));
});
