// The rendered monitoring configuration of every example system's stack files, checked by the real
// Prometheus and Alertmanager tools of the pinned version (test/support/tools.ts pinnedTool):
// promtool check config, check rules, the generated promtool suite (each alert, with the stack
// file's thresholds, fires just past its threshold and stays silent just inside it), and
// amtool check-config.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { renderPromtoolTests } from "../../components/alerts/promtool-tests";
import { exampleStacks, loadExample } from "../support/examples";
import { alertmanagerFileOf, writePrometheusFilesOf } from "../support/monitoring-files";
import { pinnedTool, run, runOk } from "../support/tools";
import { RUNBOOK_THRESHOLDS } from "./runbook-thresholds";
import { loadStackConfig } from "../../stacks/config/load";
import { stackFileInputFromText } from "../support/stack-files";

function withTempDir(body: (dir: string) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-examples-"));
  try {
    body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const example of exampleStacks()) {
  test(`${example.id}: promtool check config, check rules and the generated rule tests pass; amtool accepts alertmanager.yml`, () => {
    const promtool = pinnedTool("promtool");
    const amtool = pinnedTool("amtool");
    withTempDir((dir) => {
      const { config, plan } = writePrometheusFilesOf(loadExample(example), dir);
      const file = path.join(dir, "prometheus.yml");
      const inCluster = fs.readFileSync(file, "utf8").includes("/var/run/secrets/kubernetes.io/serviceaccount/");
      const check = run(promtool, ["check", "config", ...(inCluster ? ["--syntax-only"] : []), file]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      const rules = plan.monitoring!.ruleFiles.map((f) => path.join(dir, "rules", f.name));
      const checked = runOk(promtool, ["check", "rules", ...rules]);
      assert.equal((checked.match(/SUCCESS/g) ?? []).length, rules.length, checked);

      const suite = renderPromtoolTests(
        config.alerts,
        plan.monitoring!.context,
        plan.monitoring!.ruleFiles.map((f) => f.name),
      );
      // Each runbook threshold of this system is among the alerts the suite exercises.
      for (const t of RUNBOOK_THRESHOLDS.filter((r) => r.system === example.system)) {
        assert.match(suite, new RegExp(`alertname: ${t.alert}\\n`), `the suite tests ${t.alert} (${t.source})`);
      }
      fs.writeFileSync(path.join(dir, "rules", "tests.yml"), suite);
      const tested = run(promtool, ["test", "rules", path.join(dir, "rules", "tests.yml")]);
      assert.equal(tested.status, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /SUCCESS/);

      assert.match(runOk(amtool, ["check-config", alertmanagerFileOf(config, dir)]), /SUCCESS/);
    });
  });
}

test("rtap with its metrics renamed: the alerts, SLO rules and promtool suite follow the new names", () => {
  const promtool = pinnedTool("promtool");
  const example = exampleStacks().find((e) => e.id === "rtap/dev")!;
  const renamed = fs.readFileSync(example.target.file, "utf8").replaceAll("rtap_", "pipeline_");
  const input = stackFileInputFromText(example.stack, renamed, path.dirname(example.target.file));
  const config = loadStackConfig({ ...input, file: example.target.relFile });
  withTempDir((dir) => {
    const { plan } = writePrometheusFilesOf(config, dir);
    const text = plan.monitoring!.ruleFiles.map((f) => f.content).join("\n");
    assert.doesNotMatch(text, /rtap_(pipeline|buffer|errors|frames)/, "no rule reads the old names");
    for (const series of [
      "pipeline_pipeline_latency_seconds_bucket",
      "pipeline_buffer_utilization_ratio",
      "pipeline_errors_total",
    ]) {
      assert.ok(text.includes(series), `a rule reads ${series}`);
    }
    const suite = renderPromtoolTests(
      config.alerts,
      plan.monitoring!.context,
      plan.monitoring!.ruleFiles.map((f) => f.name),
    );
    assert.doesNotMatch(suite, /rtap_(pipeline|buffer|errors|frames)/);
    fs.writeFileSync(path.join(dir, "rules", "tests.yml"), suite);
    const tested = run(promtool, ["test", "rules", path.join(dir, "rules", "tests.yml")]);
    assert.equal(tested.status, 0, tested.stdout + tested.stderr);
  });
});
