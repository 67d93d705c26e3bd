// The rendered monitoring configuration of both stacks, checked by the real Prometheus and
// Alertmanager tools of the version both environments run (promtool, amtool built by
// toolchain/observability.sh; test/support/tools.ts pinnedTool checks their version).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { renderPromtoolTests } from "../alerts/promtool-tests";
import { renderRuleFiles } from "../alerts/rules";
import { planContext } from "../../test/support/golden";
import { loadRepoStack, STACKS } from "../../test/support/stack-files";
import { alertmanagerFileOf, writePrometheusFilesOf } from "../../test/support/monitoring-files";
import { pinnedTool, run, runOk } from "../../test/support/tools";
import { SEVERITY_ROUTES } from "./alertmanager";

/** Writes a stack's Prometheus files into a directory laid out like /etc/prometheus. */
function writePrometheusFiles(stack: string, dir: string) {
  return writePrometheusFilesOf(loadRepoStack(stack), dir);
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-monitoring-"));
}

for (const stack of STACKS) {
  test(`${stack}: promtool check config and check rules accept every rendered file`, () => {
    const promtool = pinnedTool("promtool");
    const dir = tempDir();
    try {
      const { plan } = writePrometheusFiles(stack, dir);
      const file = path.join(dir, "prometheus.yml");
      // The pinned promtool is built with Kubernetes service discovery, so the kubelet, cAdvisor and
      // node jobs of prod are checked with the rest. Their credentials are the pod's service-account
      // token, which exists only inside the cluster: for such a config promtool checks syntax and
      // semantics without opening referenced files (the rule files are checked below).
      const inCluster = fs.readFileSync(file, "utf8").includes("/var/run/secrets/kubernetes.io/serviceaccount/");
      const check = run(promtool, ["check", "config", ...(inCluster ? ["--syntax-only"] : []), file]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout + check.stderr, /SUCCESS/);
      const rules = plan.monitoring!.ruleFiles.map((f) => path.join(dir, "rules", f.name));
      const checked = runOk(promtool, ["check", "rules", ...rules]);
      assert.equal((checked.match(/SUCCESS/g) ?? []).length, rules.length, checked);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${stack}: the generated promtool suite proves every alert fires past its threshold and not inside it`, () => {
    const promtool = pinnedTool("promtool");
    const dir = tempDir();
    try {
      const { config, plan } = writePrometheusFiles(stack, dir);
      const suite = renderPromtoolTests(
        config.alerts,
        planContext(stack),
        plan.monitoring!.ruleFiles.map((f) => f.name),
      );
      fs.writeFileSync(path.join(dir, "rules", "tests.yml"), suite);
      const out = runOk(promtool, ["test", "rules", path.join(dir, "rules", "tests.yml")]);
      assert.match(out, /SUCCESS/);
      const tests = (suite.match(/^ {2}- name: /gm) ?? []).length;
      assert.ok(tests >= 80, `${tests} promtool tests`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a changed threshold, for or severity makes the generated suite fail", () => {
  const promtool = pinnedTool("promtool");
  const config = loadRepoStack("dev");
  const ctx = planContext("dev");
  const changes: Array<Record<string, { threshold?: number; for?: number; severity?: "warning" }>> = [
    { ErrorRateWarning: { threshold: 2 } },
    { ServiceDown: { for: 300 } },
    { CpuUsageCritical: { severity: "warning" } },
  ];
  for (const overrides of changes) {
    const dir = tempDir();
    try {
      const original = renderRuleFiles(config.alerts, ctx);
      const changed = renderRuleFiles({ ...config.alerts, overrides }, ctx);
      fs.mkdirSync(path.join(dir, "rules"));
      for (const f of changed) fs.writeFileSync(path.join(dir, "rules", f.name), f.content);
      fs.writeFileSync(
        path.join(dir, "rules", "tests.yml"),
        renderPromtoolTests(
          config.alerts,
          ctx,
          original.map((f) => f.name),
        ),
      );
      const result = run(promtool, ["test", "rules", path.join(dir, "rules", "tests.yml")]);
      assert.notEqual(result.status, 0, `promtool accepted rules changed by ${JSON.stringify(overrides)}`);
      assert.match(result.stdout + result.stderr, new RegExp(`FAILED[\\s\\S]*${Object.keys(overrides)[0]}`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

/** The rendered alertmanager.yml with secret placeholders filled by stand-in URLs. */
function alertmanagerFile(stack: string, dir: string): string {
  return alertmanagerFileOf(loadRepoStack(stack), dir);
}

for (const stack of STACKS) {
  test(`${stack}: amtool accepts alertmanager.yml and routes each severity to its receiver`, () => {
    const amtool = pinnedTool("amtool");
    const dir = tempDir();
    try {
      const file = alertmanagerFile(stack, dir);
      assert.match(runOk(amtool, ["check-config", file]), /SUCCESS/);
      const route = (...labels: string[]) => {
        const result = run(amtool, ["config", "routes", "test", `--config.file=${file}`, ...labels]);
        assert.equal(result.status, 0, result.stderr);
        return result.stdout.trim();
      };
      for (const [severity, receiver] of Object.entries(SEVERITY_ROUTES)) {
        assert.equal(route("alertname=ServiceDown", `severity=${severity}`), receiver, `severity ${severity}`);
      }
      assert.equal(route("alertname=Watchdog", "severity=info"), "heartbeat");
      assert.equal(route("alertname=Unlabelled"), "ticket", "the default receiver");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("prod: ServiceDown pages for a crashed replica (up == 0) and for a service with no target left (scaled to zero)", () => {
  const promtool = pinnedTool("promtool");
  const dir = tempDir();
  try {
    writePrometheusFiles("prod", dir);
    const rule = (YAML.parse(fs.readFileSync(path.join(dir, "rules", "services.rules.yml"), "utf8")).groups as any[])
      .flatMap((g) => g.rules)
      .find((r: any) => r.alert === "ServiceDown");
    const expected = (labels: Record<string, string>) => {
      const fill = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l) => labels[l] ?? "");
      const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, fill(String(v))]));
      return `          - exp_labels: ${JSON.stringify({ ...labels, family: "ServiceDown", severity: "critical" })}\n            exp_annotations: ${JSON.stringify(annotations)}`;
    };
    const others = ["alertmanager", "node", "prometheus"].map(
      (job) => `      - series: up{job="${job}",instance="${job}:9090"}\n        values: 1x10`,
    );
    const down = (series: string[], expected: string) =>
      [
        "  - interval: 30s",
        "    input_series:",
        ...series,
        "    alert_rule_test:",
        "      - eval_time: 2m",
        "        alertname: ServiceDown",
        "        exp_alerts:",
        expected,
      ].join("\n");
    const suite = [
      `rule_files: [${path.join(dir, "rules", "services.rules.yml")}]`,
      "evaluation_interval: 30s",
      "tests:",
      // One of two API replicas crashed: it stays a target and reports 0.
      down(
        [
          ...others,
          '      - series: up{job="api",instance="10.0.0.1:3000"}\n        values: 1x10',
          '      - series: up{job="api",instance="10.0.0.2:3000"}\n        values: 0x10',
        ],
        expected({ job: "api" }),
      ),
      // Scaled to zero: discovery finds nothing, so there is no `up` series for api at all.
      down(others, expected({ job: "api" })),
    ].join("\n");
    fs.writeFileSync(path.join(dir, "down.yml"), suite + "\n");
    const result = run(promtool, ["test", "rules", path.join(dir, "down.yml")]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
