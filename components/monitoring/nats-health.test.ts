// NatsServerDown reads the blackbox exporter's probe of each NATS store's /healthz, not the NATS
// exporter's varz series (which upstream keeps serving with their last values when the server is
// gone): the probe job in prometheus.yml, the rule on it, and the NetworkPolicies that let the
// blackbox exporter reach the monitoring port on Kubernetes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import type { RawConfig } from "../../stacks/config/defaults";
import { loadStackConfig } from "../../stacks/config/load";
import type { StackConfig } from "../../stacks/config/schema";
import { planEnvironment } from "../../stacks/plan";
import { brokerStackInput, NATS_STORE } from "../../test/support/broker-stack";
import { exampleStacks, loadExample } from "../../test/support/examples";
import { networkPolicies } from "../targets/kubernetes/network";
import type { K8sObject } from "../targets/kubernetes/objects";

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  params?: Record<string, string[]>;
  static_configs?: Array<{ targets: string[]; labels?: Record<string, string> }>;
  relabel_configs?: Array<Record<string, unknown>>;
}

const natsStores = (config: StackConfig) =>
  Object.entries(config.dataStores)
    .filter(([, s]) => s.engine === "nats")
    .map(([name, s]) => ({ name, port: (s as { monitoringPort: number }).monitoringPort }));

function rulesOf(plan: ReturnType<typeof planEnvironment>): Array<{ alert?: string; expr: string }> {
  return plan
    .monitoring!.ruleFiles.flatMap(
      (f) => (parseYaml(f.content) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> }).groups,
    )
    .flatMap((g) => g.rules);
}

const tOps01 = exampleStacks().filter((e) => e.system === "t-ops-01");
const cases: Array<{ name: string; config: () => StackConfig }> = [
  { name: "broker stack dev", config: () => loadStackConfig(brokerStackInput("dev")) },
  { name: "broker stack prod", config: () => loadStackConfig(brokerStackInput("prod")) },
  ...tOps01.map((e) => ({ name: e.id, config: () => loadExample(e) })),
];

test("t-ops-01 has a Docker and a Kubernetes stack file, both with a NATS store", () => {
  assert.deepEqual(tOps01.map((e) => e.stack).sort(), ["dev", "prod"]);
  for (const e of tOps01) assert.ok(natsStores(loadExample(e)).length > 0, e.id);
});

for (const c of cases) {
  test(`${c.name}: a probe job per NATS store on its /healthz, and NatsServerDown reads it, not the varz series`, () => {
    const config = c.config();
    const plan = planEnvironment(config);
    const jobs = (parseYaml(plan.monitoring!.prometheusConfig) as { scrape_configs: ScrapeConfig[] }).scrape_configs;
    const stores = natsStores(config);
    assert.ok(stores.length > 0);
    const rules = rulesOf(plan);
    for (const { name, port } of stores) {
      const job = jobs.find((j) => j.job_name === `${name}-healthz`);
      assert.ok(job, `prometheus.yml has the job ${name}-healthz`);
      assert.equal(job.metrics_path, "/probe");
      assert.deepEqual(job.params, { module: ["http_2xx"] });
      assert.deepEqual(job.static_configs, [
        { targets: [`http://${name}:${port}/healthz`], labels: { datastore: name } },
      ]);
      assert.deepEqual(job.relabel_configs?.at(-1), {
        target_label: "__address__",
        replacement: "blackbox-exporter:9115",
      });
      const down = rules.filter((r) => r.alert === "NatsServerDown" && r.expr.includes(`datastore="${name}"`));
      assert.equal(down.length, 1, `one NatsServerDown rule for ${name}`);
      const probe = `probe_success{job="${name}-healthz",datastore="${name}"}`;
      assert.equal(down[0].expr, `${probe} == 0 or absent(${probe})`);
      assert.doesNotMatch(down[0].expr, /gnatsd_varz/);
    }
    // Not in the services' blackbox job: ProbeFailing (job="blackbox") does not page for it too.
    const blackbox = jobs.find((j) => j.job_name === "blackbox");
    const probed = (blackbox?.static_configs ?? []).flatMap((s) => s.targets);
    for (const { name } of stores) assert.ok(!probed.some((t) => t.startsWith(`http://${name}:`)), probed.join(" "));
    // The blackbox exporter connects to each store: on Docker one network with the store's name as
    // alias (nothing filters ports there), on Kubernetes the NetworkPolicies below.
    const exporter = plan.workloads.find((w) => w.name === "blackbox-exporter")!;
    for (const { name } of stores) assert.ok(exporter.connectsTo.includes(name), exporter.connectsTo.join(" "));
  });
}

for (const c of cases.filter((c) => c.config().target.kind === "kubernetes")) {
  test(`${c.name}: the NetworkPolicies let the blackbox exporter reach each NATS store's monitoring port`, () => {
    const config = c.config();
    const plan = planEnvironment(config);
    const ns = config.target.kind === "kubernetes" ? config.target.namespace : "";
    const policies = networkPolicies(plan.workloads, plan.jobs, { namespace: ns, commonLabels: {} });
    const policyOf = (name: string) => {
      const p = policies.find((x) => x.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === name);
      assert.ok(p, `a NetworkPolicy selects ${name}`);
      return p;
    };
    const named = (peer: K8sObject) => peer.podSelector?.matchLabels?.["app.kubernetes.io/name"];
    const ports = (rule: K8sObject) => (rule.ports ?? []).map((p: K8sObject) => `${p.port}/${p.protocol}`);
    for (const { name, port } of natsStores(config)) {
      const egress = (policyOf("blackbox-exporter").spec.egress as K8sObject[]).filter((r) =>
        (r.to ?? []).some((t: K8sObject) => named(t) === name),
      );
      assert.ok(
        egress.some((r) => ports(r).includes(`${port}/TCP`)),
        `blackbox-exporter egress to ${name}:${port}`,
      );
      const ingress = ((policyOf(name).spec.ingress ?? []) as K8sObject[]).filter((r) =>
        (r.from ?? []).some((f: K8sObject) => named(f) === "blackbox-exporter"),
      );
      assert.ok(
        ingress.some((r) => ports(r).includes(`${port}/TCP`)),
        `${name} ingress from blackbox-exporter`,
      );
    }
  });
}

test("without the blackbox exporter a stack with NATS is refused: a stopped NATS server would page nobody", () => {
  assert.throws(
    () =>
      loadStackConfig(
        brokerStackInput("dev", (v) => {
          const m = (v.monitoring ?? {}) as RawConfig;
          v.monitoring = { ...m, exporters: { ...((m.exporters ?? {}) as RawConfig), blackbox: { enabled: false } } };
        }),
      ),
    (err: Error) =>
      /monitoring\.exporters\.blackbox\.enabled/.test(err.message) &&
      err.message.includes(`dataStores.${NATS_STORE}`) &&
      /pages nobody/.test(err.message),
  );
});
