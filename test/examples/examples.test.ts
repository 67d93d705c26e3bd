// The five runbook systems of examples/, each rendered by the real program under Pulumi mocks on
// both targets: every service placed with its ports and health checks, no secret in plain text,
// the stand-in's arguments agreeing with the stack file, and every runbook threshold the stack file
// expresses present in the rendered rules (test/examples/runbook-thresholds.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { planEnvironment } from "../../stacks/plan";
import { EXAMPLE_SYSTEMS, exampleStacks, exampleText, loadExample } from "../support/examples";
import { plainSecretLeaks, runProgram } from "../support/program";
import { RUNBOOK_THRESHOLDS } from "./runbook-thresholds";

const examples = exampleStacks();
test("every runbook system ships a Docker and a Kubernetes stack file", () => {
  for (const system of EXAMPLE_SYSTEMS) {
    const kinds = examples.filter((e) => e.system === system).map((e) => loadExample(e).target.kind);
    assert.deepEqual([...kinds].sort(), ["docker", "kubernetes"], `examples/${system}`);
  }
  assert.deepEqual([...new Set(examples.map((e) => e.system))].sort(), [...EXAMPLE_SYSTEMS]);
});

for (const example of examples) {
  test(`${example.id}: the program places every service with its ports and health checks, no secret in plain text`, async () => {
    const config = loadExample(example);
    const run = await runProgram(example.stack, exampleText(example), example.target.relFile);
    assert.deepEqual(plainSecretLeaks(run.resources.map((r) => r.inputs)), []);
    for (const [name, service] of Object.entries(config.services)) {
      // A service behind an integration flag that is off is not placed (C0Di3's optional services).
      const off = service.integration !== undefined && !config.integrations[service.integration]?.enabled;
      if (off) {
        assert.equal(
          run.resources.filter((r) => [name, `deployment-${name}`, `statefulset-${name}`].includes(r.name)).length,
          0,
          `${name} is not placed while integrations.${service.integration} is off`,
        );
        continue;
      }
      if (config.target.kind === "docker") {
        const c = run.one("docker:index/container:Container", name).inputs as any;
        const published = (c.ports ?? []).map((p: any) => `${p.ip}:${p.external}->${p.internal}`).sort();
        const declared = service.ports
          .filter((p) => p.hostPort !== undefined)
          .map((p) => `127.0.0.1:${p.hostPort}->${p.port}`)
          .sort();
        assert.deepEqual(published, declared, `${name} ports`);
        assert.ok(c.healthcheck?.tests?.length > 0, `${name} has a healthcheck`);
      } else {
        // A service with a persistent volume (RTT's WAL, NATS' JetStream) is a StatefulSet.
        const controllers = [
          ...run.byType("kubernetes:apps/v1:Deployment").filter((r) => r.name === `deployment-${name}`),
          ...run.byType("kubernetes:apps/v1:StatefulSet").filter((r) => r.name === `statefulset-${name}`),
        ];
        assert.equal(controllers.length, 1, `one Deployment or StatefulSet for ${name}`);
        const d = controllers[0].inputs as any;
        const container = d.spec.template.spec.containers[0];
        assert.deepEqual(
          container.ports.map((p: any) => p.containerPort).sort(),
          service.ports.map((p) => p.port).sort(),
          `${name} container ports`,
        );
        assert.ok(container.livenessProbe && container.readinessProbe, `${name} probes`);
        const svc = run.byType("kubernetes:core/v1:Service").find((s) => (s.inputs as any).metadata.name === name);
        assert.ok(svc, `a Service for ${name}`);
      }
    }
  });

  test(`${example.id}: the stand-in serves the ports, health paths and metrics the stack file declares`, () => {
    const config = loadExample(example);
    for (const [name, service] of Object.entries(config.services)) {
      if (!service.image.includes("/standin:")) continue;
      const args = service.args ?? [];
      const values = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
      const listening = [...values("--http"), ...values("--tcp")].map(Number).sort();
      assert.deepEqual(listening, service.ports.map((p) => p.port).sort(), `${name}: stand-in ports`);
      const http = values("--http").map(Number);
      const portOf = (portName: string | undefined) =>
        service.ports.find((p) => p.name === portName)?.port ?? service.ports[0]?.port;
      if (service.metrics) assert.ok(http.includes(portOf(service.metrics.port)!), `${name}: metrics on an HTTP port`);
      for (const probe of [service.health.liveness, service.health.readiness, service.health.startup]) {
        if (probe?.http) assert.ok(values("--health").includes(probe.http), `${name}: stand-in answers ${probe.http}`);
      }
    }
  });
}

test("a bad example stack file fails before anything is registered, naming its file and key", async () => {
  const example = examples.find((e) => e.id === "rtap/dev")!;
  const text = exampleText(example).replace("    rtap-main:\n", "    rtap-main:\n      portz: []\n");
  assert.notEqual(text, exampleText(example));
  await assert.rejects(
    runProgram(example.stack, text, example.target.relFile),
    /examples\/rtap\/Pulumi\.dev\.yaml: ops-baseline:services\.rtap-main\.portz: unknown key/,
  );
});

function renderedRules(example: (typeof examples)[number]) {
  const plan = planEnvironment(loadExample(example));
  return plan.monitoring!.ruleFiles.flatMap((f) =>
    (parseYaml(f.content) as { groups: Array<{ rules: any[] }> }).groups.flatMap((g) => g.rules.filter((r) => r.alert)),
  );
}

for (const t of RUNBOOK_THRESHOLDS) {
  test(`${t.system}: ${t.alert} follows the runbook (${t.source})`, () => {
    const stacks = examples.filter((e) => e.system === t.system);
    assert.ok(stacks.length >= 2, `examples/${t.system} has its stack files`);
    for (const example of stacks) {
      // Traceable from the stack file: the value is written there (an override or an SLO), not
      // inherited silently from the catalogue.
      const config = loadExample(example);
      const override = config.alerts.overrides[t.alert];
      // A rule of the stack's own is written there whole (its threshold is in its expression).
      const own = config.alerts.custom.rules.find((r) => r.alert === t.alert);
      if (own !== undefined) {
        if (t.threshold !== undefined) assert.ok(own.expr.includes(`> ${t.threshold}`), `${example.id}: ${own.expr}`);
        if (t.for !== undefined) assert.ok(own.for !== undefined, `${example.id}: alerts.custom ${t.alert}.for`);
      } else if (t.threshold !== undefined && t.select === undefined) {
        assert.equal(override?.threshold, t.threshold, `${example.id}: alerts.overrides.${t.alert}.threshold`);
      }
      if (t.for !== undefined && own === undefined) {
        assert.ok(override?.for !== undefined, `${example.id}: alerts.overrides.${t.alert}.for`);
      }
      if (t.select !== undefined) assert.ok(Object.keys(config.alerts.slos).length > 0, `${example.id}: alerts.slos`);
      const rules = renderedRules(example).filter(
        (r) => r.alert === t.alert && (t.select === undefined || r.expr.includes(t.select)),
      );
      if (t.rendered !== undefined) {
        const text = planEnvironment(loadExample(example))
          .monitoring!.ruleFiles.map((f) => f.content)
          .join("\n");
        assert.ok(text.includes(t.rendered), `${example.id}: the rules contain ${t.rendered}`);
      }
      assert.ok(rules.length > 0, `${example.id}: ${t.alert} is rendered`);
      for (const rule of rules) {
        if (t.threshold !== undefined) {
          assert.match(
            rule.expr,
            new RegExp(`[<>] ${String(t.threshold).replace(".", "\\.")}( |\\)|$)`),
            `${example.id}: ${rule.expr}`,
          );
        }
        if (t.for !== undefined) assert.equal(rule.for, t.for, `${example.id}: for`);
        if (t.severity !== undefined) assert.equal(rule.labels.severity, t.severity, `${example.id}: severity`);
      }
    }
  });
}
