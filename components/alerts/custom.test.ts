import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { renderStackDocs } from "../../stacks/opsdocs";
import { ConfigError } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { readAttachments } from "../../tools/docs/stacks";
import { loadOverlaid, readFixture } from "../../test/support/overlay";
import { REPO_ROOT } from "../../test/support/stack-files";
import { SEVERITY_ROUTES } from "../monitoring/alertmanager";
import { checkPromql } from "./custom";
import { renderPromtoolTests } from "./promtool-tests";

const RTAP = readFixture("signals/rtap.overlay.yaml");

function problemsOf(overlay: string): string {
  try {
    loadOverlaid("dev", overlay);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  assert.fail("the stack file was accepted");
}

test("custom rules render with the catalogue's labels, a runbook_url to their own section, and their tests", () => {
  const config = loadOverlaid("dev", RTAP);
  const plan = planEnvironment(config);
  const file = plan.monitoring!.ruleFiles.find((f) => f.name === "custom.rules.yml");
  assert.ok(file, "custom.rules.yml is rendered");
  const rules = (parseYaml(file.content) as { groups: Array<{ name: string; rules: any[] }> }).groups;
  assert.deepEqual(
    rules.map((g) => [g.name, g.rules.map((r) => r.alert ?? r.record)]),
    [["ops-baseline-custom-rtap", ["rtap:errors:rate5m", "RtapErrorsHigh", "RtapStandbyMissing"]]],
  );
  const standby = rules[0].rules[2];
  assert.deepEqual(standby.labels, { family: "RtapStandbyMissing", severity: "critical" });
  assert.equal(standby.for, "30s");
  assert.equal(standby.annotations.runbook_url, "docs/stacks/dev/RUNBOOK.md#rtapstandbymissing");
  // Severity routes a custom alert like a catalogue one: critical pages.
  assert.equal(SEVERITY_ROUTES[standby.labels.severity as keyof typeof SEVERITY_ROUTES], "paging");
  // The stack's suite carries the custom tests, with the rule's labels and annotations expected.
  const suite = parseYaml(
    renderPromtoolTests(
      config.alerts,
      plan.monitoring!.context,
      plan.monitoring!.ruleFiles.map((f) => f.name),
    ),
  ) as { tests: Array<{ name: string; alert_rule_test: any[] }> };
  const own = suite.tests.find((t) => t.name === "RtapStandbyMissing pages when one of two instances is down");
  assert.ok(own);
  assert.deepEqual(own.alert_rule_test[0].exp_alerts[0].exp_labels, {
    job: "rtap",
    family: "RtapStandbyMissing",
    severity: "critical",
  });
  assert.equal(own.alert_rule_test[0].exp_alerts[0].exp_annotations.summary, "rtap runs without its standby instance");
  // The generated runbook has the alert's own section, with the rule's runbook text in it.
  const docs = renderStackDocs({
    stack: "dev",
    stackFile: "Pulumi.dev.yaml",
    plan,
    attachments: readAttachments(config, REPO_ROOT),
    regenerate: "npm run docs -- dev",
  });
  const runbook = docs.get("RUNBOOK.md")!;
  assert.match(runbook, /<a id="rtapstandbymissing"><\/a>/);
  assert.match(runbook, /Start the standby instance again/);
  assert.match(runbook, /<a id="rtaperrorshigh"><\/a>/);
});

test("custom rules: PromQL is parsed with the Prometheus grammar", () => {
  assert.deepEqual(checkPromql('sum by (job) (rate(a_total{job="x"}[5m])) > 1'), { metrics: ["a_total"] });
  assert.match(checkPromql("sum(rate(a_total[5m]) >").error!, /does not parse as PromQL at column/);
  assert.match(checkPromql("rate(a_total[5m]").error!, /does not parse as PromQL/);
  assert.match(checkPromql("no_such_function(a_total)").error!, /does not parse as PromQL at column 17/);
  assert.match(checkPromql('up{job="a"').error!, /does not parse/);
});

test("custom rules: bad input names the file and the key", () => {
  const bad = (from: string, to: string) => {
    assert.ok(RTAP.includes(from), from);
    return problemsOf(RTAP.replace(from, to));
  };
  assert.match(
    bad("expr: sum by (job) (rtap:errors:rate5m) > 1", "expr: sum by (job) (rtap:errors:rate5m >"),
    /Pulumi\.dev\.yaml: ops-baseline:alerts\.custom\.rules\.1\.expr: does not parse as PromQL at column \d+/,
  );
  assert.match(
    bad("- alert: RtapErrorsHigh", "- alert: ServiceDown"),
    /alerts\.custom\.rules\.1\.alert: ServiceDown is an alert of the catalogue; pick another name/,
  );
  assert.match(
    bad("          severity: warning\n", "          severity: warning\n          severty: page\n"),
    /alerts\.custom\.rules\.1\.severty: unknown key \(did you mean "severity"\?\)/,
  );
  assert.match(
    bad("rate(rtap_errors_total{", "rate(rtap_errs_total{"),
    /alerts\.custom\.rules\.0\.expr: reads rtap_errs_total, which services\.rtap does not declare; declare it under services\.rtap\.signals\.metrics/,
  );
  assert.match(
    bad(
      "              alertname: RtapErrorsHigh\n              exp_alerts: []\n            - eval_time: 10m",
      "              alertname: RtapErorsHigh\n              exp_alerts: []\n            - eval_time: 10m",
    ),
    /alerts\.custom\.tests\.0\.alert_rule_test\.0\.alertname: names no custom alert; expected one of: RtapErrorsHigh, RtapStandbyMissing/,
  );
  assert.match(
    bad(
      "service: rtap\n          expr: sum by (job) (rtap:errors",
      "service: rtapp\n          expr: sum by (job) (rtap:errors",
    ),
    /alerts\.custom\.rules\.1\.service: names no service; expected one of: api, rtap, web/,
  );
  assert.match(
    bad("file: test/fixtures/signals/rtap-alerts.yaml", "file: test/fixtures/signals/missing.yaml"),
    /alerts\.custom\.file: names test\/fixtures\/signals\/missing\.yaml, which is not a file/,
  );
});

test("custom rules: a problem in the rules file names the stack file's key, the rules file and its key", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-custom-"));
  try {
    const text = readFixture("signals/rtap-alerts.yaml")
      .replace('expr: count by (job) (up{job="rtap"} == 1) < 2', 'expr: count by (job) (up{job="rtap"} == 1 < 2')
      .replace("    for: 30s\n", "    for: 30s\n    sevrity: critical\n");
    const file = path.join(dir, "alerts.yaml");
    fs.writeFileSync(file, text);
    const overlay = RTAP.replace(
      "file: test/fixtures/signals/rtap-alerts.yaml",
      `file: ${path.relative(REPO_ROOT, file)}`,
    );
    let msg = problemsOf(overlay);
    assert.match(
      msg,
      new RegExp(
        `alerts\\.custom\\.file: ${path.relative(REPO_ROOT, file).replace(/[./]/g, "\\$&")}: rules\\.0\\.sevrity: unknown key`,
      ),
    );
    fs.writeFileSync(file, text.replace("    sevrity: critical\n", ""));
    msg = problemsOf(overlay);
    assert.match(
      msg,
      /Pulumi\.dev\.yaml: ops-baseline:alerts\.custom\.file: .*alerts\.yaml: rules\.0\.expr: does not parse as PromQL at column \d+/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
