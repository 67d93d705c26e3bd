// The rtap fixture's rules and generated promtool suite, checked by the pinned promtool for the
// service's own metric names and for renamed ones; and a rule that counts probe traffic fails the
// suite (its "stays silent" cases feed failing /health, /ready and /metrics requests).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { planEnvironment } from "../../stacks/plan";
import { loadOverlaid, readFixture } from "../../test/support/overlay";
import { pinnedTool, run, runOk } from "../../test/support/tools";
import { renderPromtoolTests } from "./promtool-tests";

const RTAP = readFixture("signals/rtap.overlay.yaml");

function writeSuite(overlay: string, dir: string, edit: (rules: string) => string = (r) => r): string[] {
  const config = loadOverlaid("dev", overlay);
  const plan = planEnvironment(config);
  const files = plan.monitoring!.ruleFiles;
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), edit(f.content));
  fs.writeFileSync(
    path.join(dir, "tests.yml"),
    renderPromtoolTests(
      config.alerts,
      plan.monitoring!.context,
      files.map((f) => f.name),
    ),
  );
  return files.map((f) => path.join(dir, f.name));
}

for (const [naming, prefix] of [
  ["own names", "rtap_"],
  ["renamed", "pipeline_"],
] as const) {
  test(`signals (${naming}): promtool checks the rules and the generated suite passes`, () => {
    const promtool = pinnedTool("promtool");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-signals-"));
    try {
      const rules = writeSuite(RTAP.replaceAll("rtap_", prefix), dir);
      const checked = runOk(promtool, ["check", "rules", ...rules]);
      assert.equal((checked.match(/SUCCESS/g) ?? []).length, rules.length, checked);
      const suite = fs.readFileSync(path.join(dir, "tests.yml"), "utf8");
      assert.match(suite, new RegExp(`${prefix}pipeline_latency_seconds_bucket\\{job="rtap"`));
      assert.match(suite, /http_server_request_duration_seconds_count\{job="web"/);
      const out = runOk(promtool, ["test", "rules", path.join(dir, "tests.yml")]);
      assert.match(out, /SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("signals: rules that count probe and scrape requests fail the generated suite", () => {
  const promtool = pinnedTool("promtool");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-signals-"));
  try {
    writeSuite(RTAP, dir, (rules) => rules.replace(/,(path|route|http_route)!~"\/health\|\/ready\|\/metrics"/g, ""));
    const result = run(promtool, ["test", "rules", path.join(dir, "tests.yml")]);
    assert.notEqual(result.status, 0, "promtool accepted rules that count probe traffic");
    const out = result.stdout + result.stderr;
    for (const alert of ["ErrorRateWarning", "LatencyP95High", "SloErrorBudgetBurnFast"]) {
      assert.match(out, new RegExp(`${alert}: stays silent`), `${alert} fires on probe traffic`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("custom rules: their promtool tests run, and a rule that differs from its test fails the suite", () => {
  const promtool = pinnedTool("promtool");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-signals-"));
  try {
    writeSuite(RTAP, dir);
    const suite = fs.readFileSync(path.join(dir, "tests.yml"), "utf8");
    assert.match(suite, /RtapStandbyMissing pages when one of two instances is down/);
    assert.match(suite, /RtapErrorsHigh stays silent at 0\.5 errors per second/);
    runOk(promtool, ["test", "rules", path.join(dir, "tests.yml")]);
    // The rule as a team might mistype it (threshold 0.1 instead of 1): its own test catches it.
    writeSuite(RTAP, dir, (rules) =>
      rules.replace("sum by (job) (rtap:errors:rate5m) > 1", "sum by (job) (rtap:errors:rate5m) > 0.1"),
    );
    const result = run(promtool, ["test", "rules", path.join(dir, "tests.yml")]);
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /RtapErrorsHigh stays silent at 0\.5 errors per second/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
